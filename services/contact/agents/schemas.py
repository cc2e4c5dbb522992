"""Agent requests and answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from services.contact.agents.presence import ChosenState, PauseReason
from shared.inputs import InputModel

Skill = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_.-]+$")]
Proficiency = Annotated[int, Field(ge=1, le=5)]
ChannelName = Annotated[str, Field(pattern=r"^(voice|chat|email|callback)$")]


class AgentFields(InputModel):
    """What describes an agent."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    skills: dict[Skill, Proficiency] = Field(
        default_factory=dict, max_length=50, description="Skill and its proficiency, 1 to 5."
    )
    languages: list[Annotated[str, Field(min_length=2, max_length=10)]] = Field(
        default_factory=list, max_length=20
    )
    teams: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=20
    )
    capacity: dict[ChannelName, Annotated[int, Field(ge=0, le=20)]] = Field(
        default_factory=lambda: {"voice": 1, "chat": 3, "email": 5, "callback": 1},
        description="Most contacts at once per channel.",
    )
    address: str | None = Field(
        default=None,
        max_length=200,
        description="Where the phone system reaches them: `client:<name>`, a number, an extension.",
    )


class AgentCreate(AgentFields):
    """A new agent."""

    login: str = Field(min_length=1, max_length=100, description="The agent id they sign in with.")


class AgentUpdate(InputModel):
    """Changes to an agent; fields left out stay."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    skills: dict[Skill, Proficiency] | None = Field(default=None, max_length=50)
    languages: list[Annotated[str, Field(min_length=2, max_length=10)]] | None = None
    teams: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = None
    capacity: dict[ChannelName, Annotated[int, Field(ge=0, le=20)]] | None = None
    address: str | None = Field(default=None, max_length=200)


class AgentRead(AgentCreate):
    """An agent and their presence."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    presence: str
    presence_reason: str | None
    presence_since: dt.datetime
    idle_since: dt.datetime | None
    wrap_up_until: dt.datetime | None


class PresenceRequest(InputModel):
    """The presence a person chooses; a pause needs its reason."""

    model_config = ConfigDict(extra="forbid")

    state: ChosenState
    reason: PauseReason | None = None

    @model_validator(mode="after")
    def _pause_has_reason(self) -> PresenceRequest:
        if self.state == "paused" and self.reason is None:
            raise ValueError("a pause needs its reason (break, lunch, training, …)")
        return self
