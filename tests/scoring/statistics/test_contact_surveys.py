"""Post-contact surveys (`contact.survey_completed`): the latest answers kept, low ones weigh."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from services.scoring.models import CustomerStats
from shared.contracts.contact import SurveyCompletedV1
from shared.db import Database
from shared.inbox import Handler
from tests.scoring.conftest import NOW
from tests.scoring.helpers import deliver


def _survey(customer: uuid.UUID, at: dt.datetime, **answers: Any) -> SurveyCompletedV1:
    return SurveyCompletedV1.model_validate(
        {
            "survey_id": uuid.uuid4(),
            "customer_id": customer,
            "channel": "chat",
            "questions": [q for q in ("csat", "nps", "quality") if q in answers],
            "answered_at": at,
            **answers,
        }
    )


async def _churn(client: httpx.AsyncClient, customer: uuid.UUID) -> dict[str, Any]:
    churn: dict[str, Any] = (await client.get(f"/v1/customers/{customer}/score")).json()["churn"]
    return churn


async def test_low_csat_and_quality_below_expectation_raise_churn_risk_with_reasons(
    client: httpx.AsyncClient, db: Database, handlers: dict[str, Handler]
) -> None:
    customer = uuid.uuid4()
    hour = dt.timedelta(hours=1)
    await deliver(
        db, handlers, _survey(customer, NOW - hour, csat=1, nps=9, quality="unacceptable")
    )
    churn = await _churn(client, customer)
    # No purchase, no model: the noisy-or of the two signals, 1 - (1 - 0.2)(1 - 0.15).
    assert churn["risk"] == pytest.approx(0.32, abs=1e-6)
    reasons = {r["code"]: r["contribution"] for r in churn["reasons"] if r["contribution"]}
    assert reasons == pytest.approx(
        {"low-csat": 0.32 * 0.2 / 0.35, "quality-below-expectation": 0.32 * 0.15 / 0.35},
        abs=1e-6,
    )

    # An NPS-only survey keeps the last CSAT and quality; an older survey changes nothing.
    await deliver(db, handlers, _survey(customer, NOW, nps=3))
    await deliver(db, handlers, _survey(customer, NOW - 2 * hour, csat=5, quality="delighted"))
    async with db.sessionmaker() as session:
        stats = await session.get(CustomerStats, str(customer))
    assert stats is not None
    assert (stats.last_csat, stats.last_nps, stats.last_quality) == (1, 3, "unacceptable")
    assert (await _churn(client, customer))["risk"] == pytest.approx(1 - 0.8 * 0.85 * 0.9, abs=1e-6)
