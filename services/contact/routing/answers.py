"""An agent's answers to offers, and the end of the contacts they took."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.agents import service as agents
from services.contact.errors import (
    OfferNotFoundError,
    OfferNotPendingError,
    WorkItemNotAssignedError,
    WorkItemNotFoundError,
    WorkItemNotYoursError,
)
from services.contact.events import stage
from services.contact.models import Agent, Call, ConnectRequest, Offer, RoutingQueue, WorkItem
from services.contact.routing import repository
from services.contact.routing.offer_events import offer_facts, offer_key
from services.contact.settings import ContactSettings
from shared.contracts.routing import OfferAcceptedV1, OfferRejectedV1
from shared.identity import Identity


async def _pending(
    session: AsyncSession, offer_id: uuid.UUID, caller: Identity
) -> tuple[Offer, WorkItem, Agent]:
    offer = await session.get(Offer, offer_id)
    if offer is None:
        raise OfferNotFoundError(offer_id)
    agent = await session.get(Agent, offer.agent_id)
    item = await session.get(WorkItem, offer.work_item_id)
    assert agent is not None and item is not None
    await agents.check_acting_for(session, agent, caller)
    if offer.state != "pending":
        raise OfferNotPendingError(offer_id, offer.state)
    return offer, item, agent


async def accept_offer(
    session: AsyncSession,
    settings: ContactSettings,
    offer_id: uuid.UUID,
    *,
    caller: Identity,
    now: dt.datetime,
) -> Offer:
    """The contact becomes the agent's; a call is connected through the phone system."""
    offer, item, agent = await _pending(session, offer_id, caller)
    offer.state, offer.decided_at = "accepted", now
    item.state, item.agent_id, item.assigned_at = "assigned", agent.id, now
    await session.flush()
    if agent.presence != "on_contact":
        await agents.change_presence(session, agent, "on_contact", reason=None, now=now)
    await _connect(session, item, agent, offer, now)
    queue = await session.get(RoutingQueue, item.queue_id)
    await stage(
        session,
        OfferAcceptedV1(
            **offer_facts(offer, item, agent, queue.name if queue else ""),
            accepted_at=now,
            waited_seconds=max(0, int((now - item.entered_at).total_seconds())),
        ),
        key=offer_key(item),
    )
    return offer


async def _connect(
    session: AsyncSession, item: WorkItem, agent: Agent, offer: Offer, now: dt.datetime
) -> None:
    """For a call, an instruction to the phone system, sent (and retried) by the router."""
    call = await session.get(Call, item.call_id) if item.call_id else None
    if call is None:
        return
    session.add(
        ConnectRequest(
            id=uuid.uuid4(),
            offer_id=offer.id,
            provider=call.provider,
            provider_call_id=call.provider_call_id,
            agent_address=agent.address or f"client:{agent.login}",
            next_attempt_at=now,
        )
    )
    await session.flush()


async def reject_offer(
    session: AsyncSession, offer_id: uuid.UUID, *, caller: Identity, now: dt.datetime
) -> Offer:
    """The contact goes back to the line and is not offered to this agent again."""
    offer, item, agent = await _pending(session, offer_id, caller)
    offer.state, offer.decided_at = "rejected", now
    item.state = "waiting"
    item.declined_by = [*item.declined_by, str(agent.id)]
    await session.flush()
    queue = await session.get(RoutingQueue, item.queue_id)
    await stage(
        session,
        OfferRejectedV1(
            **offer_facts(offer, item, agent, queue.name if queue else ""),
            rejected_at=now,
        ),
        key=offer_key(item),
    )
    return offer


async def complete_work_item(
    session: AsyncSession,
    settings: ContactSettings,
    item_id: uuid.UUID,
    *,
    caller: Identity | None,
    now: dt.datetime,
) -> WorkItem:
    """The agent is done with the contact: wrap-up starts when it was their last one."""
    item = await session.get(WorkItem, item_id)
    if item is None:
        raise WorkItemNotFoundError(item_id)
    if item.state != "assigned" or item.agent_id is None:
        raise WorkItemNotAssignedError(item_id, item.state)
    agent = await session.get(Agent, item.agent_id)
    assert agent is not None
    if caller is not None:
        await agents.check_acting_for(session, agent, caller)
    item.state, item.ended_at = "completed", now
    await session.flush()
    await agents.start_wrap_up(session, agent, seconds=settings.routing_wrap_up_seconds, now=now)
    return item


async def pending_offers(
    session: AsyncSession, agent_id: uuid.UUID, *, caller: Identity
) -> list[Offer]:
    """The agent's unanswered offers (their own, or any agent's for a supervisor)."""
    agent = await agents.get_agent(session, agent_id)
    await agents.check_acting_for(session, agent, caller)
    return list(await repository.offers_of_agent(session, agent.id, ("pending",)))


async def read_work_item(session: AsyncSession, item_id: uuid.UUID, caller: Identity) -> WorkItem:
    """The work item, if it is the caller's to see (see `agents.oversight`).

    In an agent's hands: that agent and who oversees them. Not (or no longer) in anyone's
    hands: supervisors, admins and systems, and an agent it is offered to now.
    """
    item = await session.get(WorkItem, item_id)
    if item is None:
        raise WorkItemNotFoundError(item_id)
    scope = await agents.oversight_of(session, caller)
    holder = await session.get(Agent, item.agent_id) if item.agent_id is not None else None
    if holder is not None:
        allowed = scope.covers(holder.login, holder.teams)
    else:
        allowed = scope.everyone or caller.may("agents:supervise")
        if not allowed and caller.agent_id is not None:
            allowed = await repository.offered_to(session, item.id, caller.agent_id)
    if allowed:
        return item
    raise WorkItemNotYoursError(item_id)
