"""Queries on agents and their presence log."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.models import Agent, PresenceChange, WorkItem


async def find_agent(session: AsyncSession, agent_id: uuid.UUID) -> Agent | None:
    """The agent with id `agent_id`."""
    return await session.get(Agent, agent_id)


async def find_by_login(session: AsyncSession, login: str) -> Agent | None:
    """The agent who signs in as `login`."""
    agent: Agent | None = await session.scalar(select(Agent).where(Agent.login == login))
    return agent


async def list_agents(session: AsyncSession) -> Sequence[Agent]:
    """Every agent, by login."""
    return (await session.scalars(select(Agent).order_by(Agent.login))).all()


async def contacts_in_hand(session: AsyncSession, agent_id: uuid.UUID) -> int:
    """How many contacts the agent is handling now."""
    count = await session.scalar(
        select(func.count())
        .select_from(WorkItem)
        .where(WorkItem.agent_id == agent_id, WorkItem.state == "assigned")
    )
    return int(count or 0)


async def wrap_up_over(session: AsyncSession, now: dt.datetime) -> Sequence[Agent]:
    """Agents in after-call work whose wrap-up time is over."""
    rows = await session.scalars(
        select(Agent).where(Agent.presence == "after_call_work", Agent.wrap_up_until <= now)
    )
    return rows.all()


async def presence_log(
    session: AsyncSession, agent_id: uuid.UUID, since: dt.datetime
) -> Sequence[PresenceChange]:
    """The agent's presence changes since `since`, oldest first."""
    rows = await session.scalars(
        select(PresenceChange)
        .where(PresenceChange.agent_id == agent_id, PresenceChange.at >= since)
        .order_by(PresenceChange.at, PresenceChange.id)
    )
    return rows.all()
