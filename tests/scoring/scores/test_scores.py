"""Scores with their reasons, and the events a change of scores stages."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from services.scoring.scores import churn
from shared.contracts.complaints import (
    ComplaintClosedV1,
    ComplaintFiledV1,
    ComplaintReopenedV1,
    ComplaintResolvedV1,
    SatisfactionSurveyedV1,
)
from shared.db import Database
from shared.events import Event, to_envelope
from shared.inbox import Handler
from tests.scoring.conftest import NOW, tx
from tests.scoring.helpers import fitted, staged


async def test_scores_come_with_their_inputs_and_reasons(client: httpx.AsyncClient) -> None:
    fit = await fitted(client)
    assert fit["time_unit"] == "weeks"
    assert fit["bgnbd"]["converged"] is True
    assert fit["fit_seconds"] > 0
    assert (await client.get("/v1/model")).json()["fit_id"] == fit["fit_id"]

    loyal = uuid.uuid4()
    items = [tx(loyal, "60.00", days_ago=d) for d in (200, 160, 120, 90, 60, 30, 10)]
    await client.post("/v1/transactions", json={"transactions": items})
    score = (await client.get(f"/v1/customers/{loyal}/score")).json()

    assert score["model"]["fit_id"] == fit["fit_id"]
    value = score["value"]
    assert value["clv"] > 0 and value["clv_textbook"] > 0
    assert value["tier"] in ("gold", "silver")
    assert {r["code"] for r in value["reasons"]} >= {"expected-purchases", "tier-cut"}
    assert 0 < value["p_alive"] <= 1
    assert score["rfm"]["score"] == "".join(
        str(score["rfm"][d]) for d in ("recency", "frequency", "monetary")
    )
    assert score["rfm"]["frequency"] == 5
    assert score["lifecycle"]["stage"] == "stability"
    churn = score["churn"]
    assert 0 <= churn["risk"] < 0.7
    assert churn["reasons"][0]["code"] == "purchase-pattern"
    assert sum(r["contribution"] for r in churn["reasons"]) == pytest.approx(
        churn["risk"], abs=1e-5
    )

    gone = uuid.uuid4()
    await client.post(
        "/v1/transactions",
        json={"transactions": [tx(gone, "5.00", days_ago=d) for d in (340, 330, 320)]},
    )
    lapsed = (await client.get(f"/v1/customers/{gone}/score")).json()
    assert lapsed["lifecycle"]["stage"] == "decline"
    assert lapsed["churn"]["risk"] > churn["risk"]
    assert "overdue" in {r["code"] for r in lapsed["churn"]["reasons"]}


async def test_moving_into_gold_stages_tier_changed(
    client: httpx.AsyncClient, db: Database
) -> None:
    await fitted(client)
    star = uuid.uuid4()
    await client.post("/v1/transactions", json=tx(star, "10.00", days_ago=100))
    before = (await client.get(f"/v1/customers/{star}/score")).json()["value"]["tier"]
    burst = [tx(star, "400.00", days_ago=d) for d in (80, 60, 40, 20, 5)]
    await client.post("/v1/transactions", json={"transactions": burst})
    assert (await client.get(f"/v1/customers/{star}/score")).json()["value"]["tier"] == "gold"

    changes = [
        e["data"] for e in await staged(db, "scoring.tier_changed") if e["subject"] == str(star)
    ]
    assert [c["tier"] for c in changes] == [before, "gold"]
    assert changes[-1]["previous_tier"] == before
    history = (await client.get(f"/v1/customers/{star}/score/history")).json()["entries"]
    assert history[0]["tier"] == "gold"
    assert history[-1]["tier"] == before

    # A repeated transaction publishes nothing more.
    count = len(await staged(db, "scoring.customer_scored"))
    await client.post("/v1/transactions", json=burst[0])
    assert len(await staged(db, "scoring.customer_scored")) == count


def _complaint(cls: type[Event], complaint: uuid.UUID, customer: uuid.UUID, **data: Any) -> Event:
    return cls(complaint_id=complaint, customer_id=customer, **data)


def _filed(
    complaint: uuid.UUID, customer: uuid.UUID, category: str, severity: str, priority: str
) -> Event:
    return _complaint(
        ComplaintFiledV1,
        complaint,
        customer,
        category=category,
        severity=severity,
        priority=priority,
        filed_at=NOW,
    )


def _complaints_and_a_bad_survey(customer: uuid.UUID) -> list[Event]:
    """Two complaints (one filed twice, closed and reopened), then CSAT 1 and NPS 2."""
    first, second = uuid.uuid4(), uuid.uuid4()
    return [
        _filed(first, customer, "billing", "high", "p1"),
        _filed(second, customer, "delivery", "low", "p3"),
        _filed(second, customer, "delivery", "low", "p3"),
        _complaint(ComplaintResolvedV1, second, customer, root_cause="company", resolved_at=NOW),
        _complaint(
            ComplaintClosedV1,
            second,
            customer,
            outcome="accepted",
            root_cause="company",
            closed_at=NOW,
        ),
        _complaint(ComplaintReopenedV1, second, customer, reason="again", reopened_at=NOW),
        _complaint(SatisfactionSurveyedV1, first, customer, csat=1, nps=2, surveyed_at=NOW),
    ]


async def _deliver_each(db: Database, handlers: dict[str, Handler], events: list[Event]) -> None:
    """Apply each event in a committed transaction of its own, as the runner does."""
    for event in events:
        async with db.sessionmaker() as session:
            await handlers[event.type](session, event, to_envelope(event, source="tests"))
            await session.commit()


async def test_complaints_and_low_satisfaction_raise_churn_risk(
    client: httpx.AsyncClient, db: Database, handlers: dict[str, Handler]
) -> None:
    await fitted(client)
    customer = uuid.uuid4()
    await client.post("/v1/transactions", json=tx(customer, "30.00", days_ago=45))
    calm = (await client.get(f"/v1/customers/{customer}/score")).json()["churn"]["risk"]
    assert calm < 0.7

    await _deliver_each(db, handlers, _complaints_and_a_bad_survey(customer))

    score = (await client.get(f"/v1/customers/{customer}/score")).json()
    assert score["complaints"] == score["complaints"] | {
        "total": 2,
        "open": 2,
        "by_root_cause": {"company": 1},
        "last_csat": 1,
        "last_nps": 2,
    }
    codes = {r["code"] for r in score["churn"]["reasons"]}
    assert {"open-complaints", "low-csat", "nps-detractor"} <= codes
    assert score["churn"]["risk"] >= 0.7 > calm
    raised = [e["data"] for e in await staged(db, "scoring.churn_risk_raised")]
    assert [r["customer_id"] for r in raised] == [str(customer)]
    assert raised[0]["threshold"] == 0.7
    assert "open-complaints" in raised[0]["reasons"]


def test_population_service_risk_matches_the_per_customer_rule() -> None:
    day = dt.timedelta(days=1)
    rows = [
        SimpleNamespace(
            complaints_open=o, last_complaint_at=at, last_csat=c, last_nps=n, last_quality=q
        )
        for o in (0, 1, 3)
        for at in (None, NOW - 10 * day, NOW - 200 * day)
        for c in (None, 1, 3, 5)
        for n in (None, 2, 9)
        for q in (None, "unacceptable", "delighted")
    ]
    vectorised = churn.service_risk(rows, NOW)
    for row, value in zip(rows, vectorised, strict=True):
        expected = churn.churn_risk([], churn.signals_of(row), NOW).risk
        assert value == pytest.approx(expected, abs=1e-6), row
