"""Survey table of the contact service (on the service's `Base`, migrated with it)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.contact.models import Base
from shared.db import UTCDateTime


class Survey(Base):
    """A survey sent after a call (`call_id`) or another contact (`contact_id`); one each."""

    __tablename__ = "survey"
    __table_args__ = (Index("ix_survey_customer_id_sent_at", "customer_id", "sent_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"))
    call_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("call.id"), unique=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    via: Mapped[str] = mapped_column(String(20))  # ivr, sms, email, web
    state: Mapped[str] = mapped_column(String(20), default="sent")
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    csat: Mapped[int | None] = mapped_column(Integer, default=None)
    nps: Mapped[int | None] = mapped_column(Integer, default=None)
    expected_quality: Mapped[int | None] = mapped_column(Integer, default=None)
    perceived_quality: Mapped[int | None] = mapped_column(Integer, default=None)
    quality: Mapped[str | None] = mapped_column(String(20), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
