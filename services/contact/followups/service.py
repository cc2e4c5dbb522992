"""Follow-ups: the policy of a customer's tier and kind decides; call-back tasks are routed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.customers import repository as customers
from services.contact.errors import FollowUpPolicyNotFoundError
from services.contact.followups import repository
from services.contact.followups.levels import Level, Trigger, follow_up_for
from services.contact.followups.models import FollowUp, FollowUpPolicy
from services.contact.followups.schemas import PolicyWrite
from services.contact.models import Customer
from services.contact.routing import lines
from services.contact.settings import ContactSettings
from shared.contracts.scoring import TIERS
from shared.db import utcnow
from shared.pagination import page_of

# The policy tier of customers scoring has not tiered yet.
UNSCORED = "unscored"


async def _live_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    """The customer, or the one it was merged into; None if unknown or erased."""
    customer = await customers.find_customer(session, customer_id)
    if customer is not None and customer.merged_into_id is not None:
        customer = await customers.find_customer(session, customer.merged_into_id)
    if customer is None or customer.deleted_at is not None:
        return None
    return customer


async def follow_up(
    session: AsyncSession,
    settings: ContactSettings,
    *,
    customer_id: uuid.UUID,
    trigger: Trigger,
    trigger_key: str,
    now: dt.datetime,
) -> FollowUp | None:
    """The call-back task the customer's policy calls for after `trigger`, routed at once.

    Once per `trigger_key`: a trigger seen again creates nothing. A customer with a call-back
    task still open (waiting, offered or in an agent's hands) gets no second one: the new
    trigger is recorded against that task. None when the policy's level does nothing after
    `trigger`, or the customer is unknown or erased.
    """
    customer = await _live_customer(session, customer_id)
    if customer is None:
        return None
    policy = await repository.find_policy(
        session, tier=customer.tier or UNSCORED, kind=customer.kind
    )
    if policy is None:
        return None
    level = cast(Level, policy.level)
    subject = follow_up_for(level, trigger, csat_at_most=policy.csat_at_most)
    if subject is None:
        return None
    record = FollowUp(
        id=uuid.uuid4(),
        trigger_key=trigger_key,
        trigger=trigger.name,
        customer_id=customer.id,
        level=level,
        reason=subject,
        created_at=now,
    )
    try:
        # The task and its record stand or fall together: a trigger seen twice leaves one task.
        async with session.begin_nested():
            item = await repository.open_follow_up_item(session, customer.id)
            if item is None:
                item = await lines.enter_line(
                    session,
                    settings,
                    queue_name=policy.queue,
                    channel="callback",
                    entered_at=now,
                    customer_id=customer.id,
                    subject=subject,
                )
            record.queue_id, record.work_item_id = item.queue_id, item.id
            session.add(record)
            await session.flush()
    except IntegrityError:
        return None
    return record


async def list_policies(session: AsyncSession) -> list[FollowUpPolicy]:
    """Every policy, by tier then kind."""
    order = (*TIERS, UNSCORED)
    policies = await repository.all_policies(session)
    return sorted(policies, key=lambda p: (order.index(p.tier), p.customer_kind))


async def set_policy(
    session: AsyncSession, *, tier: str, kind: str, data: PolicyWrite
) -> FollowUpPolicy:
    """Change the level, queue and low-score bound kept with `tier` customers of `kind`."""
    policy = await repository.find_policy(session, tier=tier, kind=kind)
    if policy is None:
        raise FollowUpPolicyNotFoundError(tier, kind)
    policy.level, policy.queue, policy.csat_at_most = data.level, data.queue, data.csat_at_most
    policy.updated_at = utcnow()
    await session.flush()
    return policy


async def follow_ups_of(
    session: AsyncSession, customer_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[FollowUp], str | None]:
    """A page of the customer's follow-ups, newest first, and the next page's cursor."""
    rows = await repository.follow_ups_of_customer(session, customer_id, cursor=cursor, limit=limit)
    return page_of(rows, limit, lambda f: (f.created_at, f.id))
