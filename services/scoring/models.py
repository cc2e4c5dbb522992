"""Scoring service tables."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigIntPK, UTCDateTime, make_metadata, utcnow

Money = Numeric(18, 2)


class Base(DeclarativeBase):
    """Declarative base of the scoring service's own database."""

    metadata = make_metadata()


class CustomerStats(Base):
    """Running statistics of one customer, updated in O(1) per event.

    Purchases are counted per calendar day (UTC), as the BG/NBD fit counts them: x is the
    number of distinct purchase days after the first, t_x the first-to-last-day span.
    """

    __tablename__ = "customer_stats"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_count: Mapped[int] = mapped_column(Integer, default=0)
    call_event_count: Mapped[int] = mapped_column(Integer, default=0)
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    contacts_by_channel: Mapped[dict[str, int] | None] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Purchases (orders and refunds).
    order_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refund_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gross_spend: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    purchase_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_purchase_day: Mapped[dt.date | None] = mapped_column(Date)
    last_purchase_day: Mapped[dt.date | None] = mapped_column(Date)
    first_purchase_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_purchase_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_day_spend: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")

    # Complaints and satisfaction.
    complaints_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    complaints_open: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    complaints_escalated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    complaints_by_root_cause: Mapped[dict[str, int] | None] = mapped_column(JSON)
    last_complaint_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_csat: Mapped[int | None] = mapped_column(Integer)
    last_nps: Mapped[int | None] = mapped_column(Integer)
    last_surveyed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Perceived against expected quality in the latest post-contact survey that asked it.
    last_quality: Mapped[str | None] = mapped_column(String(16))

    # Cost to serve and the company-side churn signals beside complaints.
    handle_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    calls_abandoned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sla_breaches: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Discount given on orders (list price minus price paid), when commerce reports it.
    discounted: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    # What the customer spends a year on what we sell, anywhere, when declared.
    declared_wallet: Mapped[Decimal | None] = mapped_column(Money)

    # The customer state derived from events (prospect, current, lost) and since when.
    state: Mapped[str | None] = mapped_column(String(16))
    state_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # The scores last published, so the next change can be compared with them.
    tier: Mapped[str | None] = mapped_column(String(16))
    clv: Mapped[float | None] = mapped_column(Float)
    churn_risk: Mapped[float | None] = mapped_column(Float)
    rfm_segment: Mapped[str | None] = mapped_column(String(40))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(16))
    scored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def net_spend(self) -> Decimal:
        """Orders minus refunds."""
        return self.gross_spend - self.refunded


class PurchaseDay(Base):
    """One day on which a customer bought, with that day's net spend (out-of-order safe)."""

    __tablename__ = "purchase_day"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    spend: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class RecordedTransaction(Base):
    """A transaction applied once, by its id, from the API or the event stream."""

    __tablename__ = "recorded_transaction"

    transaction_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    refers_to: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintState(Base):
    """Whether a customer's complaint is open, so repeated closes and reopens count right."""

    __tablename__ = "complaint_state"

    complaint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    root_cause: Mapped[str | None] = mapped_column(String(16))


class ModelFit(Base):
    """One batch fit of the population models and the thresholds derived from it."""

    __tablename__ = "model_fit"

    fit_id: Mapped[int] = mapped_column("id", BigIntPK, primary_key=True, autoincrement=True)
    fitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    trigger: Mapped[str] = mapped_column(String(16))
    customers: Mapped[int] = mapped_column(Integer)
    repeat_buyers: Mapped[int] = mapped_column(Integer)
    bgnbd: Mapped[dict[str, Any]] = mapped_column(JSON)
    gamma_gamma: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tier_thresholds: Mapped[dict[str, Any]] = mapped_column("thresholds", JSON)
    rfm_edges: Mapped[dict[str, Any]] = mapped_column(JSON)
    fit_seconds: Mapped[float] = mapped_column(Float)


class ScoreHistory(Base):
    """A customer's scores each time they changed enough to be published."""

    __tablename__ = "score_history"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    tier: Mapped[str | None] = mapped_column(String(16))
    clv: Mapped[float | None] = mapped_column(Float)
    churn_risk: Mapped[float] = mapped_column(Float)
    rfm_segment: Mapped[str | None] = mapped_column(String(40))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_score_history_customer_id_id", "customer_id", "id"),)


class StateChange(Base):
    """A customer's move from one state to another, dated when the rule says it happened."""

    __tablename__ = "state_change"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    previous_state: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    transition: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The tier last published when the state changed, for churn counted per tier.
    tier: Mapped[str | None] = mapped_column(String(16))
    # Why a customer was lost: the cause codes seen at that moment.
    causes: Mapped[list[str] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_state_change_customer_id_id", "customer_id", "id"),
        Index("ix_state_change_occurred_at", "occurred_at"),
    )


class CustomerAlias(Base):
    """A customer id merged into another: later events for `merged_id` count for the survivor."""

    __tablename__ = "customer_alias"

    merged_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    merged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ErasedCustomer(Base):
    """A tombstone of an erased customer: later events about this id are ignored."""

    __tablename__ = "erased_customer"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Programme(Base):
    """A retention programme: whom, the goal, the content, the cost, the channel and frequency.

    Launching it draws its members (treated and a random control group) with a recorded seed.
    """

    __tablename__ = "programme"
    __table_args__ = (Index("ix_programme_created_at_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(String(2000))
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    cost_per_contact: Mapped[Decimal] = mapped_column(Money)
    channel: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(200))
    contacts_per_member: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer)
    due_within_hours: Mapped[int] = mapped_column(Integer)
    control_share: Mapped[float] = mapped_column(Float)
    measurement_days: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    # draft → launched
    state: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    launched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    treated_count: Mapped[int] = mapped_column(Integer, default=0)
    control_count: Mapped[int] = mapped_column(Integer, default=0)
    rounds_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_round_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    contacts_requested: Mapped[int] = mapped_column(Integer, default=0)


class ProgrammeMember(Base):
    """A customer drawn into a programme, in its treated or its control group."""

    __tablename__ = "programme_member"
    __table_args__ = (
        UniqueConstraint("programme_id", "customer_id"),
        Index("ix_programme_member_programme_id_drawn_at_id", "programme_id", "drawn_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programme.id"))
    customer_id: Mapped[str] = mapped_column(String(64))
    group: Mapped[str] = mapped_column("member_group", String(8))
    drawn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    baseline_spend: Mapped[Decimal] = mapped_column(Money)
    tier: Mapped[str | None] = mapped_column(String(16))
    churn_risk: Mapped[float | None] = mapped_column(Float)
