"""The waiting lines: contacts enter, move with their customer's scores, and leave.

A call enters its queue's line when the phone system says it is queued; it leaves when it is
connected or ends. Chats, e-mails and call-back tasks enter through the API. A waiting
contact's priority is recomputed whenever scoring reports a new tier or churn risk for its
customer, so a customer who became gold while waiting moves forward at once.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.customers import repository as customers
from services.contact.models import Call, RoutingQueue, WorkItem
from services.contact.routing import repository
from services.contact.routing.answers import complete_work_item
from services.contact.routing.engine import Weights, priority
from services.contact.settings import ContactSettings
from shared.contracts.scoring import TIERS
from shared.db import utcnow
from shared.inserts import insert_or_get

# Call states in which a caller is still waiting for an agent.
_WAITING_CALL_STATES = ("queued",)


def weights_of(settings: ContactSettings) -> Weights:
    """The priority weights from the settings."""
    return Weights(
        queue=settings.routing_queue_priority_weight,
        tiers=settings.routing_tier_points,
        churn_risk=settings.routing_churn_risk_points,
        churn_threshold=settings.at_risk_churn_threshold,
    )


async def queue_for(
    session: AsyncSession, settings: ContactSettings, name: str | None
) -> RoutingQueue:
    """The queue called `name`, else the default queue (created on first use)."""
    found = await repository.queue_by_name(session, name) if name else None
    if found is not None:
        return found
    default = await repository.queue_by_name(session, settings.routing_default_queue)
    if default is not None:
        return default
    queue, _ = await insert_or_get(
        session,
        RoutingQueue(id=uuid.uuid4(), name=settings.routing_default_queue),
        lambda: repository.queue_by_name(session, settings.routing_default_queue),
    )
    return queue


async def enter_line(
    session: AsyncSession,
    settings: ContactSettings,
    *,
    queue_name: str | None,
    channel: str,
    entered_at: dt.datetime,
    customer_id: uuid.UUID | None,
    candidates: list[str] | None = None,
    call_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    subject: str | None = None,
) -> WorkItem:
    """A new waiting contact in its queue's line, with its priority and preferred agent."""
    queue = await queue_for(session, settings, queue_name)
    item = WorkItem(
        id=uuid.uuid4(),
        queue_id=queue.id,
        channel=channel,
        call_id=call_id,
        contact_id=contact_id,
        customer_id=customer_id,
        candidate_customer_ids=candidates or [],
        subject=subject,
        entered_at=entered_at,
        state="waiting",
    )
    await _score(session, settings, item, queue)
    if customer_id is not None:
        item.preferred_agent_id = await repository.last_agent_of(session, customer_id)
    if call_id is not None:
        item, _ = await insert_or_get(
            session, item, lambda: repository.item_for_call(session, call_id)
        )
    else:
        session.add(item)
        await session.flush()
    return item


async def _score(
    session: AsyncSession, settings: ContactSettings, item: WorkItem, queue: RoutingQueue
) -> None:
    tier, risk = await _scores_of(session, item)
    item.priority, item.priority_reasons = priority(
        weights_of(settings), queue_priority=queue.priority, tier=tier, churn_risk=risk
    )


async def _scores_of(session: AsyncSession, item: WorkItem) -> tuple[str | None, float | None]:
    """The customer's tier and churn risk; for a held call, the best of its candidates."""
    ids = (
        [item.customer_id]
        if item.customer_id
        else [uuid.UUID(c) for c in item.candidate_customer_ids]
    )
    best: tuple[str | None, float | None] = (None, None)
    for customer_id in ids:
        customer = await customers.find_customer(session, customer_id)
        if customer is not None and _rank(customer.tier) < _rank(best[0]):
            best = (customer.tier, customer.churn_risk)
    return best


def _rank(tier: str | None) -> int:
    return TIERS.index(tier) if tier in TIERS else len(TIERS)


async def follow_call(session: AsyncSession, settings: ContactSettings, call: Call) -> None:
    """Keep a call's place in line in step with the call: in while queued, out once not."""
    if call.queued_at is None and call.state not in _WAITING_CALL_STATES:
        return  # never queued, so never in a line: nothing to look up
    item = await repository.item_for_call(session, call.id)
    if call.state in _WAITING_CALL_STATES and item is None and call.ended_at is None:
        await enter_line(
            session,
            settings,
            queue_name=call.queue,
            channel="voice",
            entered_at=call.queued_at or call.started_at,
            customer_id=call.customer_id,
            candidates=list(call.candidate_customer_ids),
            call_id=call.id,
        )
        return
    if item is None:
        return
    if item.customer_id is None and call.customer_id is not None:
        item.customer_id = call.customer_id
        await reprioritise(session, settings, call.customer_id)
    ended_at = call.ended_at or utcnow()
    if call.state == "ended" and item.state in ("waiting", "offered"):
        await leave_line(session, item, state="abandoned", at=ended_at)
    elif call.state == "ended" and item.state == "assigned":
        await complete_work_item(session, settings, item.id, caller=None, now=ended_at)
    elif call.connected_at is not None and item.state in ("waiting", "offered"):
        # Connected by the phone system itself (an agent dialled the queue): out of our line.
        await leave_line(session, item, state="removed", at=call.connected_at)


async def leave_line(session: AsyncSession, item: WorkItem, *, state: str, at: dt.datetime) -> None:
    """Take a waiting or offered contact out of the line; its pending offer is withdrawn."""
    offer = await repository.pending_offer_for_item(session, item.id)
    if offer is not None:
        offer.state, offer.decided_at = "withdrawn", at
    item.state, item.ended_at = state, at
    await session.flush()


async def reprioritise(
    session: AsyncSession, settings: ContactSettings, customer_id: uuid.UUID
) -> int:
    """Recompute the priority of the customer's waiting contacts; how many moved."""
    queues = await repository.queues_by_id(session)
    moved = 0
    for item in await repository.open_items_of_customer(session, customer_id):
        before = item.priority
        await _score(session, settings, item, queues[item.queue_id])
        moved += item.priority != before
    if moved:
        await session.flush()
    return moved
