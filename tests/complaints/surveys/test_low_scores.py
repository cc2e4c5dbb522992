"""A low post-contact survey score soon after a closure is recorded on the closed complaint."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.consumers import make_consumers
from services.complaints.models import Complaint
from services.complaints.settings import ComplaintsSettings
from shared.contracts.contact import SurveyCompletedV1
from shared.events import to_envelope
from tests.complaints.conftest import MONDAY_10_CN, FakeClock
from tests.complaints.helpers import actions, close_accepted, file

DAY = dt.timedelta(days=1)


async def _answer(
    session: AsyncSession, settings: ComplaintsSettings, customer: uuid.UUID, **answers: Any
) -> None:
    event = SurveyCompletedV1.model_validate(
        {
            "survey_id": uuid.uuid4(),
            "customer_id": customer,
            "channel": "voice",
            "questions": ["csat", "quality"],
            "answered_at": MONDAY_10_CN + 30 * DAY,
            **answers,
        }
    )
    [handler] = [
        spec.handlers[event.type]
        for spec in make_consumers(settings, FakeClock())
        if event.type in spec.handlers
    ]
    await handler(session, event, to_envelope(event, source="tests"))
    await session.commit()


async def _closed(
    session: AsyncSession, settings: ComplaintsSettings, customer: uuid.UUID, days: int
) -> Complaint:
    """A complaint of `customer` closed `days` days after Monday 10:00."""
    complaint = await file(session, settings, MONDAY_10_CN, customer_id=customer)
    at = MONDAY_10_CN + days * DAY
    return await close_accepted(session, settings, complaint, acknowledged=at, decided=at)


async def test_a_low_score_within_the_window_flags_the_closed_complaint(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    customer = uuid.uuid4()
    recent = await _closed(session, settings, customer, days=20)  # 10 days before the answer
    older = await _closed(session, settings, customer, days=10)  # 20 days before: outside 14
    await _answer(session, settings, customer, csat=4, expected_quality=3, perceived_quality=3)
    await session.refresh(recent)
    assert recent.low_score_after_closure_at is None

    await _answer(
        session,
        settings,
        customer,
        csat=4,
        expected_quality=4,
        perceived_quality=2,
        quality="unacceptable",
    )
    await session.refresh(recent)
    await session.refresh(older)
    assert recent.low_score_after_closure_at == MONDAY_10_CN + 30 * DAY
    assert older.low_score_after_closure_at is None
    assert (await actions(session, recent))[-1] == "low_score_after_closure"
    assert "low_score_after_closure" not in await actions(session, older)
