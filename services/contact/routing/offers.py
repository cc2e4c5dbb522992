"""Offering waiting contacts to agents, and what their answers do.

One routing pass: offers past their time go back to the line (their agent is paused with
reason `missed_offer`), wrap-ups that are over make their agents available, waiting contacts
move to their overflow queue when they waited too long, then every free agent who can take a
waiting contact is offered the best one (see `engine`). Each offer is an event for the offered
agent only.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.agents import service as agents
from services.contact.agents.presence import ROUTABLE
from services.contact.events import stage
from services.contact.models import Agent, Offer, RoutingQueue, WorkItem
from services.contact.queues.hours import is_open
from services.contact.routing import repository
from services.contact.routing.engine import AgentSlot, Timing, Waiting, assign, line_order
from services.contact.routing.offer_events import offer_facts, offer_key
from services.contact.routing.screen_pop import screen_pop
from services.contact.settings import ContactSettings
from shared.contracts.routing import ContactOfferedV1, OfferTimedOutV1

# How many waiting contacts one pass looks at: enough for every free agent many times over.
LINE_WINDOW = 5000


def timing_of(settings: ContactSettings) -> Timing:
    """The routing delays from the settings."""
    return Timing(
        preferred_agent_seconds=settings.routing_preferred_agent_seconds,
        expansion_seconds=settings.routing_expansion_seconds,
    )


async def routing_pass(session: AsyncSession, settings: ContactSettings, now: dt.datetime) -> int:
    """Time out offers, end wrap-ups, overflow, then offer; how many offers were made."""
    await expire_offers(session, now)
    await agents.end_wrap_ups(session, now)
    queues = await repository.queues_by_id(session)
    items = list(await repository.waiting_items(session, LINE_WINDOW))
    await _overflow(session, items, queues, now)
    slots = await _agent_slots(session)
    open_now = {q.id for q in queues.values() if _open(q, now)}
    waiting = line_order(_waiting(item, queues) for item in items if item.queue_id in open_now)
    decisions = assign(waiting, list(slots.values()), now=now, timing=timing_of(settings))
    by_id = {item.id: item for item in items}
    agents_by_id = {a.id: a for a in await repository.routable_agents(session)}
    for chosen, slot in decisions:
        await _offer(
            session,
            settings,
            by_id[chosen.id],
            agents_by_id[slot.id],
            queues[by_id[chosen.id].queue_id],
            now,
        )
    return len(decisions)


def _open(queue: RoutingQueue, now: dt.datetime) -> bool:
    """Contacts of a closed queue wait (an e-mail stays for the morning); none is offered."""
    return is_open(
        queue.opening_hours,
        timezone=queue.timezone,
        holiday_country=queue.holiday_country,
        at=now,
    )


def _waiting(item: WorkItem, queues: dict[uuid.UUID, RoutingQueue]) -> Waiting:
    return Waiting(
        id=item.id,
        channel=item.channel,
        required=dict(queues[item.queue_id].required_skills),
        entered_at=item.entered_at,
        priority=item.priority,
        preferred_agent_id=item.preferred_agent_id,
        declined_by=frozenset(uuid.UUID(a) for a in item.declined_by),
    )


async def _agent_slots(session: AsyncSession) -> dict[uuid.UUID, AgentSlot]:
    loads = await repository.agent_loads(session)
    offered = await repository.agents_with_pending_offers(session)
    return {
        agent.id: AgentSlot(
            id=agent.id,
            skills=dict(agent.skills),
            capacity=dict(agent.capacity),
            load=loads.get(agent.id, {}),
            idle_since=agent.idle_since or agent.presence_since,
            available=agent.presence in ROUTABLE,
            signed_in=agent.presence != "offline",
            offered=agent.id in offered,
        )
        for agent in await repository.routable_agents(session)
    }


async def _overflow(
    session: AsyncSession,
    items: list[WorkItem],
    queues: dict[uuid.UUID, RoutingQueue],
    now: dt.datetime,
) -> None:
    """Contacts that waited past their queue's overflow time move to the overflow queue."""
    for item in items:
        queue = queues[item.queue_id]
        if queue.overflow_queue_id is None or queue.overflow_after_seconds is None:
            continue
        if (now - item.entered_at).total_seconds() >= queue.overflow_after_seconds:
            item.queue_id = queue.overflow_queue_id
    await session.flush()


async def _offer(
    session: AsyncSession,
    settings: ContactSettings,
    item: WorkItem,
    agent: Agent,
    queue: RoutingQueue,
    now: dt.datetime,
) -> None:
    pop = await screen_pop(session, item)
    offer = Offer(
        id=uuid.uuid4(),
        work_item_id=item.id,
        agent_id=agent.id,
        state="pending",
        offered_at=now,
        expires_at=now + dt.timedelta(seconds=settings.routing_offer_timeout_seconds),
        screen_pop=pop.model_dump(mode="json"),
    )
    session.add(offer)
    item.state, item.offers = "offered", item.offers + 1
    await session.flush()
    await stage(
        session,
        ContactOfferedV1(
            **offer_facts(offer, item, agent, queue.name),
            offered_at=now,
            expires_at=offer.expires_at,
            priority=item.priority,
            priority_reasons=item.priority_reasons,
            waited_seconds=max(0, int((now - item.entered_at).total_seconds())),
            screen_pop=pop,
        ),
        key=offer_key(item),
    )


async def expire_offers(session: AsyncSession, now: dt.datetime) -> int:
    """Offers not answered in time: the contact goes back, the agent is paused."""
    expired = await repository.expired_offers(session, now)
    for offer in expired:
        item = await session.get(WorkItem, offer.work_item_id)
        agent = await session.get(Agent, offer.agent_id)
        assert item is not None and agent is not None
        offer.state, offer.decided_at = "timed_out", now
        if item.state == "offered":
            item.state = "waiting"
        await session.flush()
        await agents.change_presence(session, agent, "paused", reason="missed_offer", now=now)
        await stage(
            session,
            OfferTimedOutV1(
                **offer_facts(offer, item, agent, await _queue_name(session, item)),
                expired_at=now,
            ),
            key=offer_key(item),
        )
    return len(expired)


async def _queue_name(session: AsyncSession, item: WorkItem) -> str:
    queue = await session.get(RoutingQueue, item.queue_id)
    return queue.name if queue else ""
