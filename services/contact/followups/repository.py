"""Follow-up policy and follow-up queries."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.followups.models import FollowUp, FollowUpPolicy
from services.contact.models import WorkItem
from shared.pagination import newest_first


async def find_policy(session: AsyncSession, *, tier: str, kind: str) -> FollowUpPolicy | None:
    """The policy of `tier` customers of `kind`."""
    query = select(FollowUpPolicy).where(
        FollowUpPolicy.tier == tier, FollowUpPolicy.customer_kind == kind
    )
    return (await session.scalars(query)).first()


async def all_policies(session: AsyncSession) -> list[FollowUpPolicy]:
    """Every policy."""
    return list((await session.scalars(select(FollowUpPolicy))).all())


async def follow_ups_of_customer(
    session: AsyncSession, customer_id: uuid.UUID, *, cursor: str | None, limit: int
) -> list[FollowUp]:
    """The customer's follow-ups, newest first, one past `limit`."""
    query = select(FollowUp).where(FollowUp.customer_id == customer_id)
    query = newest_first(query, FollowUp.created_at, FollowUp.id, cursor=cursor, limit=limit)
    return list((await session.scalars(query)).all())


async def open_follow_up_item(session: AsyncSession, customer_id: uuid.UUID) -> WorkItem | None:
    """A call-back task a policy created for the customer that is not finished yet."""
    query = (
        select(WorkItem)
        .join(FollowUp, FollowUp.work_item_id == WorkItem.id)
        .where(
            FollowUp.customer_id == customer_id,
            WorkItem.state.in_(("waiting", "offered", "assigned")),
        )
        .limit(1)
    )
    return (await session.scalars(query)).first()
