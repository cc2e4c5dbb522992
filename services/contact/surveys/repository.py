"""Survey queries."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.surveys.models import Survey
from shared.pagination import newest_first


async def lock_survey(session: AsyncSession, survey_id: uuid.UUID) -> Survey | None:
    """The survey, locked until the transaction ends, so two answers cannot both count."""
    found = await session.scalars(select(Survey).where(Survey.id == survey_id).with_for_update())
    return found.first()


async def survey_of_contact(
    session: AsyncSession, *, call_id: uuid.UUID | None, contact_id: uuid.UUID | None
) -> Survey | None:
    """The survey sent after the call or contact, if any."""
    query = select(Survey)
    if call_id is not None:
        query = query.where(Survey.call_id == call_id)
    else:
        query = query.where(Survey.contact_id == contact_id)
    return (await session.scalars(query)).first()


async def surveys_of_customer(
    session: AsyncSession, customer_id: uuid.UUID, *, cursor: str | None, limit: int
) -> list[Survey]:
    """The customer's surveys, newest sent first, one past `limit`."""
    query = select(Survey).where(Survey.customer_id == customer_id)
    query = newest_first(query, Survey.sent_at, Survey.id, cursor=cursor, limit=limit)
    return list((await session.scalars(query)).all())


async def blank_comments(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """Drop the free-text comments of a customer's survey answers (their scores stay)."""
    await session.execute(
        update(Survey).where(Survey.customer_id == customer_id).values(comment=None)
    )


async def move_surveys(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> None:
    """Give `target` every survey of `source` (a merge)."""
    await session.execute(
        update(Survey).where(Survey.customer_id == source).values(customer_id=target)
    )
