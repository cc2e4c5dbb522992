"""Queries of routing: the lines, agents' load, offers, connect requests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.models import Agent, ConnectRequest, Offer, RoutingQueue, WorkItem

OPEN = ("waiting", "offered", "assigned")


async def waiting_items(session: AsyncSession, limit: int) -> Sequence[WorkItem]:
    """Contacts waiting for an offer, best first (the index on state, priority, entry time)."""
    rows = await session.scalars(
        select(WorkItem)
        .where(WorkItem.state == "waiting")
        .order_by(WorkItem.priority.desc(), WorkItem.entered_at, WorkItem.id)
        .limit(limit)
    )
    return rows.all()


async def routable_agents(session: AsyncSession) -> Sequence[Agent]:
    """Agents signed in (every state but offline)."""
    return (await session.scalars(select(Agent).where(Agent.presence != "offline"))).all()


async def agent_loads(session: AsyncSession) -> dict[uuid.UUID, dict[str, int]]:
    """Contacts each agent has in hand, per channel."""
    rows = await session.execute(
        select(WorkItem.agent_id, WorkItem.channel, func.count())
        .where(WorkItem.state == "assigned")
        .group_by(WorkItem.agent_id, WorkItem.channel)
    )
    loads: dict[uuid.UUID, dict[str, int]] = {}
    for agent_id, channel, count in rows:
        if agent_id is not None:
            loads.setdefault(agent_id, {})[channel] = count
    return loads


async def agents_with_pending_offers(session: AsyncSession) -> set[uuid.UUID]:
    """Agents who have an offer they have not answered."""
    rows = await session.scalars(select(Offer.agent_id).where(Offer.state == "pending"))
    return set(rows.all())


async def expired_offers(session: AsyncSession, now: dt.datetime) -> Sequence[Offer]:
    """Pending offers past their time."""
    rows = await session.scalars(
        select(Offer).where(Offer.state == "pending", Offer.expires_at <= now).order_by(Offer.id)
    )
    return rows.all()


async def pending_offer_for_item(session: AsyncSession, item_id: uuid.UUID) -> Offer | None:
    """The item's unanswered offer, if any."""
    offer: Offer | None = await session.scalar(
        select(Offer).where(Offer.work_item_id == item_id, Offer.state == "pending")
    )
    return offer


async def offers_of_agent(
    session: AsyncSession, agent_id: uuid.UUID, states: Sequence[str]
) -> Sequence[Offer]:
    """An agent's offers in `states`, newest first."""
    rows = await session.scalars(
        select(Offer)
        .where(Offer.agent_id == agent_id, Offer.state.in_(states))
        .order_by(Offer.offered_at.desc())
    )
    return rows.all()


async def offered_to(session: AsyncSession, item_id: uuid.UUID, login: str) -> bool:
    """Whether the work item is offered, pending an answer, to the agent with `login`."""
    found = await session.scalar(
        select(Offer.id)
        .join(Agent, Agent.id == Offer.agent_id)
        .where(Offer.work_item_id == item_id, Offer.state == "pending", Agent.login == login)
        .limit(1)
    )
    return found is not None


async def item_for_call(session: AsyncSession, call_id: uuid.UUID) -> WorkItem | None:
    """The work item of a call, if it entered a line."""
    item: WorkItem | None = await session.scalar(
        select(WorkItem).where(WorkItem.call_id == call_id)
    )
    return item


async def open_items_of_customer(
    session: AsyncSession, customer_id: uuid.UUID
) -> Sequence[WorkItem]:
    """The customer's contacts still waiting or offered."""
    rows = await session.scalars(
        select(WorkItem).where(
            WorkItem.customer_id == customer_id, WorkItem.state.in_(("waiting", "offered"))
        )
    )
    return rows.all()


async def last_agent_of(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID | None:
    """The agent who last took one of the customer's contacts."""
    agent: uuid.UUID | None = await session.scalar(
        select(WorkItem.agent_id)
        .where(WorkItem.customer_id == customer_id, WorkItem.agent_id.is_not(None))
        .order_by(WorkItem.assigned_at.desc())
        .limit(1)
    )
    return agent


async def queue_by_name(session: AsyncSession, name: str) -> RoutingQueue | None:
    """The queue called `name`."""
    queue: RoutingQueue | None = await session.scalar(
        select(RoutingQueue).where(RoutingQueue.name == name)
    )
    return queue


async def queues_by_id(session: AsyncSession) -> dict[uuid.UUID, RoutingQueue]:
    """Every queue by id."""
    return {q.id: q for q in (await session.scalars(select(RoutingQueue))).all()}


async def due_connect_requests(session: AsyncSession, now: dt.datetime) -> Sequence[ConnectRequest]:
    """Connect instructions not yet acknowledged whose next attempt is due."""
    rows = await session.scalars(
        select(ConnectRequest)
        .where(ConnectRequest.done_at.is_(None), ConnectRequest.next_attempt_at <= now)
        .order_by(ConnectRequest.next_attempt_at)
        .limit(50)
    )
    return rows.all()


async def items_in_queue(
    session: AsyncSession, queue_id: uuid.UUID, states: Sequence[str]
) -> Sequence[WorkItem]:
    """A queue's work items in `states`, best first."""
    rows = await session.scalars(
        select(WorkItem)
        .where(WorkItem.queue_id == queue_id, WorkItem.state.in_(states))
        .order_by(WorkItem.priority.desc(), WorkItem.entered_at, WorkItem.id)
    )
    return rows.all()


async def work_items_of_customer(session: AsyncSession, customer_id: uuid.UUID) -> list[WorkItem]:
    """Every work item of a customer, whatever its state."""
    rows = await session.scalars(select(WorkItem).where(WorkItem.customer_id == customer_id))
    return list(rows.all())


async def offers_of_items(session: AsyncSession, item_ids: Sequence[uuid.UUID]) -> list[Offer]:
    """Every offer made of these work items."""
    if not item_ids:
        return []
    rows = await session.scalars(select(Offer).where(Offer.work_item_id.in_(item_ids)))
    return list(rows.all())
