"""Queries of non-voice contacts and of a customer's history across channels."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.models import Call, Contact
from shared.pagination import newest_first


async def find_contact(session: AsyncSession, channel: str, external_id: str) -> Contact | None:
    """The contact stored under its source system's id, without locking it."""
    result = await session.scalars(
        select(Contact).where(Contact.channel == channel, Contact.external_id == external_id)
    )
    return result.first()


async def lock_contact(session: AsyncSession, channel: str, external_id: str) -> Contact | None:
    """The contact stored under its source system's id, row-locked so its events serialise."""
    result = await session.scalars(
        select(Contact)
        .where(Contact.channel == channel, Contact.external_id == external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.first()


async def lock_contacts_settled_by(
    session: AsyncSession, now: dt.datetime, *, limit: int
) -> list[Contact]:
    """Contacts whose settle time has come, earliest first, row-locked (others' skipped)."""
    result = await session.scalars(
        select(Contact)
        .where(Contact.settles_at.is_not(None), Contact.settles_at <= now)
        .order_by(Contact.settles_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list(result.all())


async def move_contacts(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    """Give `target` every contact of `source`; how many moved."""
    result = await session.execute(
        update(Contact).where(Contact.customer_id == source).values(customer_id=target)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def blank_contacts(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """Drop the subject, body and notes of every contact of a customer."""
    await session.execute(
        update(Contact)
        .where(Contact.customer_id == customer_id)
        .values(subject=None, body=None, notes=None)
    )


async def history_rows(
    session: AsyncSession, customer_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[Call], list[Contact]]:
    """A customer's calls and contacts, each newest first after `cursor`, one past `limit`."""
    calls = await session.scalars(
        newest_first(
            select(Call).where(Call.customer_id == customer_id),
            Call.started_at,
            Call.id,
            cursor=cursor,
            limit=limit,
        )
    )
    contacts = await session.scalars(
        newest_first(
            select(Contact).where(Contact.customer_id == customer_id),
            Contact.occurred_at,
            Contact.id,
            cursor=cursor,
            limit=limit,
        )
    )
    return list(calls.all()), list(contacts.all())
