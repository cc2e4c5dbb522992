"""Complaints service tables."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigIntPK, UTCDateTime, make_metadata, utcnow


class Base(DeclarativeBase):
    """Declarative base of the complaints service's own database."""

    metadata = make_metadata()


class Complaint(Base):
    """One complaint, its lifecycle timestamps, outcome and SLA timers."""

    __tablename__ = "complaint"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    source_contacts: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(60), index=True)
    description: Mapped[str] = mapped_column(Text)
    remedy_sought: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(4))
    tier: Mapped[str | None] = mapped_column(String(20))
    churn_risk: Mapped[float | None] = mapped_column(Float)
    calendar: Mapped[str] = mapped_column(String(40))
    team: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(30), index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    root_cause: Mapped[str] = mapped_column(String(20), default="unknown")
    root_cause_detail: Mapped[str | None] = mapped_column(Text)
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    decision_channel: Mapped[str | None] = mapped_column(String(40))
    decision_summary: Mapped[str | None] = mapped_column(Text)
    complainant_response: Mapped[str | None] = mapped_column(String(20))
    recourse_offered: Mapped[str | None] = mapped_column(Text)
    compensation_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    compensation_currency: Mapped[str | None] = mapped_column(String(3))
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    related_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    assessed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    investigation_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_communicated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when a low post-contact survey score followed the closure (see surveys/low_scores.py).
    low_score_after_closure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    # SLA clock: targets run from sla_started_at (filing, or the last reopening) in business
    # time, plus the business time spent paused; paused_at is set while waiting on the customer.
    sla_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sla_paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledgement_warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledgement_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledgement_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledgement_breached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_breached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The earliest pending warning or deadline; NULL when nothing is pending. The timer
    # task reads `WHERE next_due_at <= now ORDER BY next_due_at`, so its cost follows the
    # number due, not the number open.
    next_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}
    __table_args__ = (
        Index("ix_complaint_next_due_at", "next_due_at"),
        Index("ix_complaint_received_at_id", "received_at", "id"),
    )


class ComplaintAudit(Base):
    """One entry of a complaint's append-only audit trail."""

    __tablename__ = "complaint_audit"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@event.listens_for(ComplaintAudit, "before_update")
@event.listens_for(ComplaintAudit, "before_delete")
def _audit_is_append_only(*_args: Any) -> None:
    raise RuntimeError("the complaint audit trail is append-only")


class CustomerProfile(Base):
    """What scoring last told us about a customer: tier and churn risk."""

    __tablename__ = "customer_profile"

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(20))
    churn_risk: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactSeen(Base):
    """One contact (first event of a call) seen on contact.calls; the denominator of reports."""

    __tablename__ = "contact_seen"

    call_event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class SatisfactionSurvey(Base):
    """The complainant's answer after closure; one per closure (a reopening allows another)."""

    __tablename__ = "satisfaction_survey"
    __table_args__ = (UniqueConstraint("complaint_id", "closure"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"), index=True)
    closure: Mapped[int] = mapped_column(Integer)
    csat: Mapped[int] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    surveyed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CustomerAlias(Base):
    """A customer id merged into another: events still naming it are applied to the survivor.

    Kept flat: when the survivor is merged in turn, its aliases are repointed, so one lookup
    always gives the customer that remains.
    """

    __tablename__ = "customer_alias"

    merged_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    merged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class FilingKey(Base):
    """What makes two filings one complaint: an `Idempotency-Key` or a source contact.

    `key` is `idempotency-key:<value>` or `source-contact:<ref>`; the primary key lets one
    filing claim it, so a retried or concurrent copy finds the complaint instead of adding one.
    """

    __tablename__ = "complaint_filing_key"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
