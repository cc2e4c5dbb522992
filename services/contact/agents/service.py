"""Agents: creating and changing them, and every change of their presence."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.agents import repository
from services.contact.agents.oversight import Oversight, oversight
from services.contact.agents.presence import ChosenState, may_choose
from services.contact.agents.schemas import AgentCreate, AgentUpdate
from services.contact.errors import (
    AgentBusyError,
    AgentExistsError,
    AgentNotFoundError,
    NotYourAgentError,
)
from services.contact.events import stage
from services.contact.models import Agent, PresenceChange
from shared.contracts.routing import AgentPresenceChangedV1
from shared.identity import Identity
from shared.inserts import try_insert


async def create_agent(session: AsyncSession, data: AgentCreate, *, now: dt.datetime) -> Agent:
    """A new agent, signed out until they sign in."""
    agent = Agent(
        id=uuid.uuid4(),
        presence="offline",
        presence_since=now,
        created_at=now,
        **data.model_dump(),
    )
    if not await try_insert(session, agent):
        raise AgentExistsError(data.login)
    return agent


async def get_agent(session: AsyncSession, agent_id: uuid.UUID) -> Agent:
    """The agent; raises `AgentNotFoundError`."""
    agent = await repository.find_agent(session, agent_id)
    if agent is None:
        raise AgentNotFoundError(agent_id)
    return agent


async def list_agents(session: AsyncSession) -> Sequence[Agent]:
    """Every agent."""
    return await repository.list_agents(session)


async def update_agent(session: AsyncSession, agent_id: uuid.UUID, data: AgentUpdate) -> Agent:
    """Change an agent's name, skills, languages, teams, capacity or address."""
    agent = await get_agent(session, agent_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(agent, name, value)
    await session.flush()
    return agent


async def oversight_of(session: AsyncSession, caller: Identity) -> Oversight:
    """Whose work `caller` may see and act on (see `oversight`)."""
    own = None
    if caller.agent_id and caller.may("agents:supervise"):
        me = await repository.find_by_login(session, caller.agent_id)
        own = me.teams if me is not None else None
    return oversight(caller, own)


async def check_acting_for(session: AsyncSession, agent: Agent, caller: Identity) -> None:
    """A person acts for themself; supervisors for their teams' agents; admins for anyone."""
    if not (await oversight_of(session, caller)).covers(agent.login, agent.teams):
        raise NotYourAgentError(agent.id)


async def read_agent(session: AsyncSession, agent_id: uuid.UUID, caller: Identity) -> Agent:
    """The agent, if the caller oversees them; raises `NotYourAgentError` otherwise."""
    agent = await get_agent(session, agent_id)
    await check_acting_for(session, agent, caller)
    return agent


async def visible_agents(session: AsyncSession, caller: Identity) -> list[Agent]:
    """The agents the caller oversees: all for admins and systems, their team, themselves."""
    scope = await oversight_of(session, caller)
    return [a for a in await repository.list_agents(session) if scope.covers(a.login, a.teams)]


async def choose_presence(
    session: AsyncSession,
    agent_id: uuid.UUID,
    state: ChosenState,
    *,
    reason: str | None,
    caller: Identity,
    now: dt.datetime,
) -> Agent:
    """Set the presence a person chose (available, paused with a reason, offline)."""
    agent = await get_agent(session, agent_id)
    await check_acting_for(session, agent, caller)
    in_hand = await repository.contacts_in_hand(session, agent.id)
    if not may_choose(agent.presence, state, contacts_in_hand=in_hand):
        if in_hand:
            raise AgentBusyError(agent.id, in_hand)
        return agent
    await change_presence(
        session, agent, state, reason=reason if state == "paused" else None, now=now
    )
    return agent


async def change_presence(
    session: AsyncSession, agent: Agent, state: str, *, reason: str | None, now: dt.datetime
) -> None:
    """Move the agent to `state`, log it and announce it."""
    previous = agent.presence
    agent.presence, agent.presence_reason, agent.presence_since = state, reason, now
    agent.wrap_up_until = None
    if state == "available":
        agent.idle_since = now
    session.add(PresenceChange(agent_id=agent.id, state=state, reason=reason, at=now))
    await session.flush()
    await stage(
        session,
        AgentPresenceChangedV1(
            agent_id=agent.id,
            agent_login=agent.login,
            state=state,
            previous_state=previous,
            reason=reason,
            changed_at=now,
        ),
        key=str(agent.id),
    )


async def start_wrap_up(
    session: AsyncSession, agent: Agent, *, seconds: float, now: dt.datetime
) -> None:
    """After the agent's last contact: after-call work for `seconds`, then available."""
    if await repository.contacts_in_hand(session, agent.id):
        return
    if seconds <= 0:
        await change_presence(session, agent, "available", reason=None, now=now)
        return
    await change_presence(session, agent, "after_call_work", reason=None, now=now)
    agent.wrap_up_until = now + dt.timedelta(seconds=seconds)
    await session.flush()


async def end_wrap_ups(session: AsyncSession, now: dt.datetime) -> int:
    """Agents whose wrap-up time is over become available; how many."""
    over = await repository.wrap_up_over(session, now)
    for agent in over:
        await change_presence(session, agent, "available", reason=None, now=now)
    return len(over)
