"""KPI tables of the contact service (on the service's `Base`, migrated with it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.contact.models import Base
from shared.db import UTCDateTime, utcnow


class KpiInterval(Base):
    """The KPI counters of one 15-minute interval x queue x tier x agent x channel.

    "" stands for a dimension that does not apply: offered and abandoned contacts have no
    agent, agent-time rows no queue, tier or channel; `tier` "" is a customer with no tier yet.
    """

    __tablename__ = "kpi_interval"
    __table_args__ = (
        UniqueConstraint("interval_start", "queue_id", "tier", "agent_id", "channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    interval_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    queue_id: Mapped[str] = mapped_column(String(36))
    tier: Mapped[str] = mapped_column(String(10))
    agent_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(20))
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_in_threshold: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_short: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_in_threshold: Mapped[int] = mapped_column(Integer, default=0)
    answer_wait_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    abandon_wait_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    talk_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    after_call_work_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    transferred: Mapped[int] = mapped_column(Integer, default=0)
    staffed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    available_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    on_contact_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    wrap_up_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class KpiRollup(Base):
    """How far the intervals are rolled up: every interval before `rolled_up_to` is stored."""

    __tablename__ = "kpi_rollup"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    rolled_up_to: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
