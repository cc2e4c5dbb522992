"""Contact service tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata, utcnow


def fit(model: type[DeclarativeBase], name: str, value: Any) -> Any:
    """`value` cut to the length of `model.name`'s column: descriptive provider text may be long."""
    length = getattr(model.__table__.c[name].type, "length", None)
    if isinstance(value, str) and length is not None and len(value) > length:
        return value[:length]
    return value


class Base(DeclarativeBase):
    """Declarative base of the contact service's own database."""

    metadata = make_metadata()


class Customer(Base):
    """A person or organisation we are in contact with; unknown callers start as prospects."""

    __tablename__ = "customer"
    # The customer list pages newest first on (created_at, id).
    __table_args__ = (Index("ix_customer_created_at_id", "created_at", "id"),)
    # The customer list pages newest first on (created_at, id): a page reads its rows off
    # this index, whatever the number of customers.
    __table_args__ = (Index("ix_customer_created_at_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    state: Mapped[str] = mapped_column(String(20), default="prospect")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    # Case-folded name, so a prefix search is one indexed range scan on both backends.
    name_key: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    kind: Mapped[str] = mapped_column(String(20), default="consumer")
    party: Mapped[str] = mapped_column(String(20), default="individual")
    man_money: Mapped[bool | None] = mapped_column(Boolean, default=None)
    man_authority: Mapped[bool | None] = mapped_column(Boolean, default=None)
    man_need: Mapped[bool | None] = mapped_column(Boolean, default=None)
    tier: Mapped[str | None] = mapped_column(String(10), default=None)
    churn_risk: Mapped[float | None] = mapped_column(Float, default=None)
    scored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # The state scoring derives from events (prospect, current, lost), beside `state` set by hand.
    derived_state: Mapped[str | None] = mapped_column(String(20), default=None)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    # Set when the customer is erased: identities gone, personal data blanked, no longer found.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=utcnow)


class CustomerIdentity(Base):
    """One way to recognise a customer: a phone number in E.164, an e-mail, an external id.

    Several customers may share a value (a household landline); `ordinal` 0 is the first owner,
    and its uniqueness is what makes two concurrent first calls create one prospect, not two.
    """

    __tablename__ = "customer_identity"
    __table_args__ = (
        UniqueConstraint("kind", "value", "ordinal"),
        UniqueConstraint("customer_id", "kind", "value"),
        Index("ix_customer_identity_kind_value", "kind", "value"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallEvent(Base):
    """One event posted to the call-event API (`/v1/contacts/events`); stored once per key.

    Its `id` is the `call_event_id` of the `contact.call_event_recorded` it publishes; events
    from provider webhooks publish under their `CallLogEntry` id instead.
    """

    __tablename__ = "call_event"
    __table_args__ = (UniqueConstraint("provider", "call_id", "sequence_number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    provider: Mapped[str] = mapped_column(String(40))
    provider_call_id: Mapped[str] = mapped_column("call_id", String(128))
    sequence_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # None while the caller's number is shared and nobody has said whose call it is.
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id"), index=True, default=None
    )
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Call(Base):
    """One provider call, its legs folded together: ranked state, outcome and what we know.

    `identification` says how the call got its customer: `caller_id` (the number has one owner,
    or an unknown number became a prospect), `held` (several customers share the number; the
    call waits with `candidate_customer_ids` and no customer until an agent picks one) or
    `agent` (an agent picked), or `pending` (no event names the caller yet). `announced`: the
    lifecycle events published; `settles_at`: when the call publishes what it owes.
    """

    __tablename__ = "call"
    __table_args__ = (
        UniqueConstraint("provider", "call_key"),
        Index("ix_call_customer_id_started_at", "customer_id", "started_at"),
        Index("ix_call_identification_started_at", "identification", "started_at"),
        Index("ix_call_state_queue", "state", "queue"),
        Index("ix_call_settles_at", "settles_at"),
        Index("ix_call_started_at_id", "started_at", "id"),  # the call list, newest first
        # The call list pages newest first on (started_at, id).
        Index("ix_call_started_at_id", "started_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    provider: Mapped[str] = mapped_column(String(40))
    # The provider's id of the call (the root leg's), as distinct from our `id`.
    provider_call_id: Mapped[str] = mapped_column("call_key", String(128))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer.id"), default=None)
    identification: Mapped[str] = mapped_column(String(20), default="caller_id")
    candidate_customer_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    announced: Mapped[list[str]] = mapped_column(JSON, default=list)
    direction: Mapped[str | None] = mapped_column(String(20), default=None)
    from_number: Mapped[str | None] = mapped_column(String(64), default=None)
    to_number: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[str] = mapped_column(String(20), default="initiated")
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ringing_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    connected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    queue: Mapped[str | None] = mapped_column(String(200), default=None)
    agent: Mapped[str | None] = mapped_column(String(200), default=None)
    wrap_up_code: Mapped[str | None] = mapped_column(String(100), default=None)
    disposition: Mapped[str | None] = mapped_column(String(100), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    recording_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    ivr_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    legs: Mapped[list[str]] = mapped_column(JSON, default=list)
    settles_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallLogEntry(Base):
    """One provider event of a call, normalised; stored once per `(provider, dedup_key)`."""

    __tablename__ = "call_log_entry"
    __table_args__ = (UniqueConstraint("provider", "dedup_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("call.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    dedup_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(60))
    leg_id: Mapped[str | None] = mapped_column(String(128), default=None)
    sequence: Mapped[int | None] = mapped_column(Integer, default=None)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # True once `contact.call_event_recorded` is staged for it (held calls wait for a customer).
    announced: Mapped[bool] = mapped_column(Boolean, default=False)


class Contact(Base):
    """A non-voice contact (e-mail, chat, web form, SMS) of a customer."""

    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_contact_customer_id_occurred_at", "customer_id", "occurred_at"),
        Index("ix_contact_settles_at", "settles_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer.id"))
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(20), default="inbound")
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    body: Mapped[str | None] = mapped_column(Text, default=None)
    agent: Mapped[str | None] = mapped_column(String(200), default=None)
    queue: Mapped[str | None] = mapped_column(String(200), default=None)
    disposition: Mapped[str | None] = mapped_column(String(100), default=None)
    wrap_up_code: Mapped[str | None] = mapped_column(String(100), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    settles_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class Agent(Base):
    """A person who takes contacts: skills, capacity per channel and current presence."""

    __tablename__ = "agent"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # The agent id people sign in with (their identity's `agent_id`).
    login: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Where the phone system reaches them: a Twilio client (`client:ada`), a number, an extension.
    address: Mapped[str | None] = mapped_column(String(200), default=None)
    presence: Mapped[str] = mapped_column(String(20), default="offline")
    presence_reason: Mapped[str | None] = mapped_column(String(60), default=None)
    presence_since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When they last became free: the longest-idle agent is offered first.
    idle_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    wrap_up_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PresenceChange(Base):
    """Every change of an agent's presence, with its time (occupancy and adherence)."""

    __tablename__ = "presence_change"
    __table_args__ = (Index("ix_presence_change_agent_id_at", "agent_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agent.id"))
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(60), default=None)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RoutingQueue(Base):
    """A waiting line: required skills, service-level target, priority, hours and overflow."""

    __tablename__ = "routing_queue"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    required_skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    service_level_percent: Mapped[float] = mapped_column(Float, default=80.0)
    service_level_seconds: Mapped[int] = mapped_column(Integer, default=20)
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    # Weekday (mon…sun) → [opening, closing] "HH:MM"; empty means always open.
    opening_hours: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    holiday_country: Mapped[str | None] = mapped_column(String(2), default=None)
    overflow_queue_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    overflow_after_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkItem(Base):
    """A contact waiting to be routed (a call, chat, e-mail or call-back task) and its fate."""

    __tablename__ = "work_item"
    __table_args__ = (
        Index("ix_work_item_state_priority", "state", "priority", "entered_at"),
        Index("ix_work_item_customer_id_state", "customer_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("routing_queue.id"))
    channel: Mapped[str] = mapped_column(String(20))
    call_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("call.id"), unique=True, default=None
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    candidate_customer_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    # waiting → offered → assigned → completed; or abandoned / removed on the way.
    state: Mapped[str] = mapped_column(String(20), default="waiting")
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    priority_reasons: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    preferred_agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    declined_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    offers: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class Offer(Base):
    """One offer of a work item to one agent; at most one pending per item and per agent."""

    __tablename__ = "offer"
    __table_args__ = (
        Index(
            "uq_offer_pending_work_item",
            "work_item_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index(
            "uq_offer_pending_agent",
            "agent_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_offer_state_expires_at", "state", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    work_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_item.id"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agent.id"))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    offered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    screen_pop: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ConnectRequest(Base):
    """An instruction to the phone system to connect an accepted call, retried until done."""

    __tablename__ = "connect_request"
    __table_args__ = (Index("ix_connect_request_done_at_next_at", "done_at", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offer.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(40))
    provider_call_id: Mapped[str] = mapped_column(String(128))
    agent_address: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


# KPIs read contacts by when they entered and ended, and presence by time, in windows.
Index("ix_work_item_entered_at", WorkItem.entered_at)
Index("ix_work_item_ended_at", WorkItem.ended_at)
Index("ix_presence_change_at", PresenceChange.at)
