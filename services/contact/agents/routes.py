"""`/v1/agents`: agents, their presence and their offers."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.contact.agents import service
from services.contact.agents.schemas import AgentCreate, AgentRead, AgentUpdate, PresenceRequest
from services.contact.routing import answers
from services.contact.routing.schemas import OfferRead
from shared.api import Session, allow, problem
from shared.db import utcnow
from shared.identity import Identity, Requires

router = APIRouter(prefix="/v1/agents", tags=["agents"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No such agent")}
Reading = Annotated[Identity, Depends(Requires("agents:read"))]


@router.post(
    "",
    dependencies=allow("agents:manage"),
    response_model=AgentRead,
    status_code=201,
    summary="Create an agent (signed out until they sign in)",
    responses={409: problem("The login is taken"), 422: problem("Invalid agent")},
)
async def create_agent(data: AgentCreate, session: Session) -> AgentRead:
    return AgentRead.model_validate(await service.create_agent(session, data, now=utcnow()))


@router.get(
    "",
    response_model=list[AgentRead],
    summary="List agents with their presence",
    description=(
        "An agent sees only themself; a supervisor the agents sharing one of their teams (all "
        "agents when they have no team); admins and systems everyone."
    ),
)
async def list_agents(session: Session, caller: Reading) -> list[AgentRead]:
    return [AgentRead.model_validate(a) for a in await service.visible_agents(session, caller)]


@router.get(
    "/{agent_id}",
    response_model=AgentRead,
    summary="Read an agent (yourself; a supervisor their teams' agents)",
    responses={**_NOT_FOUND, 403: problem("Not your agent")},
)
async def read_agent(agent_id: uuid.UUID, session: Session, caller: Reading) -> AgentRead:
    return AgentRead.model_validate(await service.read_agent(session, agent_id, caller))


@router.patch(
    "/{agent_id}",
    dependencies=allow("agents:manage"),
    response_model=AgentRead,
    summary="Change an agent's name, skills, languages, teams, capacity or address",
    responses={**_NOT_FOUND, 422: problem("Invalid change")},
)
async def update_agent(agent_id: uuid.UUID, data: AgentUpdate, session: Session) -> AgentRead:
    return AgentRead.model_validate(await service.update_agent(session, agent_id, data))


@router.put(
    "/{agent_id}/presence",
    response_model=AgentRead,
    summary="Set presence: available, paused with a reason, or offline",
    description=(
        "An agent sets their own presence; supervisors their teams' agents' (anyone's when "
        "they have no team), admins anyone's. With contacts in hand an "
        "agent cannot pause or sign out (409 `agent-busy`). Every change is logged with its "
        "time and published as `contact.agent_presence_changed`."
    ),
    responses={
        **_NOT_FOUND,
        403: problem("Not your agent"),
        409: problem("Contacts in hand"),
        422: problem("Invalid presence"),
    },
)
async def set_presence(
    agent_id: uuid.UUID,
    data: PresenceRequest,
    session: Session,
    caller: Annotated[Identity, Depends(Requires("presence:set"))],
) -> AgentRead:
    agent = await service.choose_presence(
        session, agent_id, data.state, reason=data.reason, caller=caller, now=utcnow()
    )
    return AgentRead.model_validate(agent)


@router.get(
    "/{agent_id}/offers",
    response_model=list[OfferRead],
    summary="The agent's pending offers, each with its screen pop",
    responses={**_NOT_FOUND, 403: problem("Not your agent")},
)
async def agent_offers(
    agent_id: uuid.UUID,
    session: Session,
    caller: Annotated[Identity, Depends(Requires("offers:answer"))],
) -> list[OfferRead]:
    offers = await answers.pending_offers(session, agent_id, caller=caller)
    return [OfferRead.model_validate(o) for o in offers]
