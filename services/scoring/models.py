"""Scoring service tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata, utcnow


class Base(DeclarativeBase):
    """Declarative base of the scoring service's own database."""

    metadata = make_metadata()


class CustomerStats(Base):
    """Running statistics of one customer, updated in O(1) per event."""

    __tablename__ = "customer_stats"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_count: Mapped[int] = mapped_column(Integer, default=0)
    call_event_count: Mapped[int] = mapped_column(Integer, default=0)
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
