"""Routing events published by the contact service: offers to agents and agents' presence.

Offers are keyed by the customer (or, for a contact with no customer yet, by the work item) so
one customer's offers stay in order; presence changes are keyed by the agent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.registry import registry
from shared.contracts.topics import CONTACT_ROUTING
from shared.events import Event

Channel = Literal["voice", "chat", "email", "callback"]
PresenceState = Literal["available", "on_contact", "after_call_work", "paused", "offline"]


class ScreenPop(BaseModel):
    """What the offered agent sees at once: who is calling and what they are worth to us."""

    customer_id: uuid.UUID | None = Field(description="Null while the caller is not identified.")
    candidate_customer_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Customers sharing the caller's number, if held."
    )
    name: str | None = None
    tier: str | None = None
    churn_risk: float | None = None
    from_number: str | None = Field(default=None, description="The caller's number, E.164.")
    last_contacts: list[dict[str, str | None]] = Field(
        default_factory=list, description="The latest contacts: channel, time, outcome."
    )


class _OfferEvent(Event):
    offer_id: uuid.UUID
    work_item_id: uuid.UUID
    agent_id: uuid.UUID
    agent_login: str | None = Field(
        default=None, description="The agent's login (their identity's agent id)."
    )
    customer_id: uuid.UUID | None = None
    queue: str
    channel: Channel


@registry.register
class ContactOfferedV1(_OfferEvent):
    """Sent when a waiting contact is offered to one agent; the screen pop is for them only."""

    type = "contact.contact_offered"
    version = 1
    topic = CONTACT_ROUTING

    agent_login: str = Field(description="The agent's login (their identity's agent id).")
    offered_at: dt.datetime
    expires_at: dt.datetime
    priority: float
    priority_reasons: dict[str, float] = Field(description="Each part of the priority.")
    waited_seconds: int = Field(ge=0)
    screen_pop: ScreenPop


@registry.register
class OfferAcceptedV1(_OfferEvent):
    """Sent when the agent accepts an offer: the contact is theirs, the phone system connects."""

    type = "contact.offer_accepted"
    version = 1
    topic = CONTACT_ROUTING

    accepted_at: dt.datetime
    waited_seconds: int = Field(ge=0, description="From entering the line to acceptance.")


@registry.register
class OfferRejectedV1(_OfferEvent):
    """Sent when the agent rejects an offer; the contact goes back to the line."""

    type = "contact.offer_rejected"
    version = 1
    topic = CONTACT_ROUTING

    rejected_at: dt.datetime


@registry.register
class OfferTimedOutV1(_OfferEvent):
    """Sent when an offer was not answered in time; the agent is made unavailable."""

    type = "contact.offer_timed_out"
    version = 1
    topic = CONTACT_ROUTING

    expired_at: dt.datetime


@registry.register
class AgentPresenceChangedV1(Event):
    """Sent on every change of an agent's presence; occupancy and adherence are computed from it."""

    type = "contact.agent_presence_changed"
    version = 1
    topic = CONTACT_ROUTING

    agent_id: uuid.UUID
    agent_login: str
    state: PresenceState
    previous_state: PresenceState | None
    reason: str | None = Field(default=None, description="Why, for `paused` (break, training…).")
    changed_at: dt.datetime
