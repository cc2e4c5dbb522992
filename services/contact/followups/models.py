"""Follow-up tables of the contact service (on the service's `Base`, migrated with it)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.contact.models import Base
from shared.db import UTCDateTime, utcnow


class FollowUpPolicy(Base):
    """The relationship level kept with one tier and kind of customer, and where its calls go."""

    __tablename__ = "follow_up_policy"
    __table_args__ = (UniqueConstraint("tier", "customer_kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # gold, silver, bronze, iron, or `unscored` for customers scoring has not tiered yet.
    tier: Mapped[str] = mapped_column(String(10))
    customer_kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    # The routing queue of its call-back tasks; None is the default queue.
    queue: Mapped[str | None] = mapped_column(String(200), default=None)
    csat_at_most: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(Base):
    """A call-back task a policy created, once per trigger (a survey, a closure, a crossing)."""

    __tablename__ = "follow_up"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    trigger_key: Mapped[str] = mapped_column(String(200), unique=True)
    trigger: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    level: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    queue_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    work_item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
