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
    `agent` (an agent picked). `announced` lists the lifecycle events already published, so a
    held call publishes what it missed, once, when it gets its customer.
    """

    __tablename__ = "call"
    __table_args__ = (
        UniqueConstraint("provider", "call_key"),
        Index("ix_call_customer_id_started_at", "customer_id", "started_at"),
        Index("ix_call_identification_started_at", "identification", "started_at"),
        Index("ix_call_state_queue", "state", "queue"),
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
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"))
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
