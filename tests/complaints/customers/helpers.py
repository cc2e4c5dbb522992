"""Helpers of the customer event tests: the events, applying them, reading what they left."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit.repository import audit_trail
from services.complaints.complaints.repository import page_of_complaints
from services.complaints.complaints.service import get_complaint
from services.complaints.consumers import make_consumers
from services.complaints.customers.repository import get_profile
from services.complaints.models import (
    Complaint,
    CustomerProfile,
)
from services.complaints.settings import ComplaintsSettings
from shared.contracts.contact import CallEventRecordedV1, CustomersMergedV1
from shared.contracts.scoring import TierChangedV1
from shared.db import Database
from shared.events import Event, to_envelope
from tests.complaints.conftest import FakeClock
from tests.complaints.helpers import cn

MONDAY = cn(2026, 11, 2, 10)
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


async def consume(
    session: AsyncSession, settings: ComplaintsSettings, event: Event, *, at: dt.datetime = MONDAY
) -> None:
    """Apply one event as the complaints consumers would, in one committed transaction."""
    handlers = {
        type_: handler
        for spec in make_consumers(settings, FakeClock(at))
        for type_, handler in spec.handlers.items()
    }
    await handlers[event.type](session, event, to_envelope(event, source="rapport/test"))
    await session.commit()


def merged(survivor: uuid.UUID, merged_id: uuid.UUID) -> CustomersMergedV1:
    """A merge of `merged_id` into `survivor`."""
    return CustomersMergedV1(
        customer_id=survivor,
        merged_customer_id=merged_id,
        identities_moved=1,
        interactions_moved=2,
        merged_at=MONDAY,
    )


def tier_changed(customer_id: uuid.UUID, tier: str, previous: str = "iron") -> TierChangedV1:
    """Scoring moving a customer to `tier`."""
    return TierChangedV1(
        customer_id=customer_id,
        previous_tier=previous,
        tier=tier,
        clv=1000.0,
        churn_risk=0.1,
        changed_at=MONDAY,
    )


def contact(customer_id: uuid.UUID, when: dt.datetime = MONDAY) -> CallEventRecordedV1:
    """The first event of a call from `customer_id`."""
    return CallEventRecordedV1(
        call_event_id=uuid.uuid4(),
        customer_id=customer_id,
        provider="asterisk",
        call_id="c-1",
        sequence_number=0,
        status="ringing",
        occurred_at=when,
        first_event_of_call=True,
    )


async def complaint(db: Database, complaint_id: uuid.UUID) -> Complaint:
    """A complaint as stored, read in a fresh session."""
    async with db.sessionmaker() as s:
        return await get_complaint(s, complaint_id)


async def actions_of(db: Database, complaint_id: uuid.UUID) -> list[str]:
    """A complaint's audit actions, oldest first."""
    async with db.sessionmaker() as s:
        return [e.action for e in await audit_trail(s, complaint_id)]


async def listed(db: Database, customer_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids the complaint listing shows for a customer."""
    async with db.sessionmaker() as s:
        page = await page_of_complaints(s, cursor=None, limit=200, customer_id=customer_id)
        return {c.id for c in page}


async def profile(db: Database, customer_id: uuid.UUID) -> CustomerProfile | None:
    """The stored profile of a customer, if any."""
    async with db.sessionmaker() as s:
        return await get_profile(s, customer_id)


async def count(db: Database, model: Any, *where: Any) -> int:
    """Rows of `model` matching `where`."""
    async with db.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)
