"""Refit, scores with reasons, population views and the events a change publishes."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from lifetimes import datasets as lifetimes_datasets
from sqlalchemy import select

from services.scoring import repository, scores, service
from services.scoring.consumers import handlers
from services.scoring.ledger import Transaction
from services.scoring.models import CustomerStats, ScoreHistory
from services.scoring.settings import ScoringSettings
from shared.contracts.complaints import (
    ComplaintClosedV1,
    ComplaintFiledV1,
    ComplaintReopenedV1,
    ComplaintResolvedV1,
    SatisfactionSurveyedV1,
)
from shared.db import Database, OutboxMessage
from shared.events import Event, to_envelope
from tests.kafka_helpers import eventually
from tests.scoring.cdnow import CALIBRATION_END, sample_log
from tests.scoring.conftest import NOW, population, running, tx


async def _staged(db: Database, event_type: str) -> list[dict[str, Any]]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.event_type == event_type)
            .order_by(OutboxMessage.id)
        )
        return [json.loads(p) for p in rows]


async def _fitted(client: httpx.AsyncClient, n: int = 150) -> dict[str, Any]:
    response = await client.post("/v1/transactions", json={"transactions": population(n)})
    assert response.status_code == 200, response.text
    refit = await client.post("/v1/model/refit")
    assert refit.status_code == 201, refit.text
    return refit.json()  # type: ignore[no-any-return]


async def test_the_cdnow_log_replayed_in_any_order_gives_the_summary_and_the_parameters(
    db: Database, settings_for: Callable[..., ScoringSettings]
) -> None:
    settings = settings_for()
    end = dt.datetime.combine(CALIBRATION_END, dt.time(23, 59), tzinfo=dt.UTC)
    items = [
        Transaction(
            transaction_id=f"cdnow-{i}",
            customer_id=uuid.UUID(int=p.customer),
            kind="order",
            amount=p.spend,
            currency="USD",
            occurred_at=dt.datetime.combine(p.day, dt.time(12), tzinfo=dt.UTC),
        )
        for i, p in enumerate(sample_log())
        if p.day <= CALIBRATION_END
    ]
    # Shuffled, with a tenth of the transactions delivered twice.
    rng = random.Random(3)
    delivered = items + rng.sample(items, len(items) // 10)
    rng.shuffle(delivered)
    for start in range(0, len(delivered), 2500):
        async with db.sessionmaker() as session:
            await service.record_transactions(
                session, delivered[start : start + 2500], settings=settings, now=end
            )
            await session.commit()

    summary = lifetimes_datasets.load_cdnow_summary_data_with_monetary_value()
    async with db.sessionmaker() as session:
        rows = await repository.buyers(session)
        h = service._history_of(rows, CALIBRATION_END)
        ids = [uuid.UUID(r.customer_id).int for r in rows]
        fit = await service.refit(session, settings=settings, now=end)
    expected = summary.loc[ids]
    assert len(ids) == 2357
    assert list(h.x) == list(expected.frequency)
    assert max(abs(h.t_x - expected.recency.to_numpy())) < 0.005
    assert max(abs(h.T - expected["T"].to_numpy())) < 0.005
    assert max(abs(h.monetary_mean - expected.monetary_value.to_numpy())) < 0.005 + 1e-9
    bg = fit.bgnbd
    assert [round(float(bg[k]), 3) for k in ("r", "alpha", "a", "b")] == [
        0.243,
        4.414,
        0.793,
        2.426,
    ]
    assert fit.gamma_gamma is not None
    assert [f"{float(fit.gamma_gamma[k]):.3g}" for k in ("p", "q", "v")] == ["6.25", "3.74", "15.4"]
    assert fit.repeat_buyers == 946
    # Cumulative repeat purchases by 1997-09-30: 2,457 made; the model expects 2,494 (+1.5 %).
    assert fit.bgnbd["actual_repeat_purchases"] == 2457
    assert fit.bgnbd["expected_repeat_purchases"] == pytest.approx(2457, rel=0.02)
    assert fit.tier_thresholds["gold"] > fit.tier_thresholds["silver"] > 0


async def test_scores_come_with_their_inputs_and_reasons(client: httpx.AsyncClient) -> None:
    fit = await _fitted(client)
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


async def test_population_views_add_up(client: httpx.AsyncClient) -> None:
    await _fitted(client, n=200)
    dist = (await client.get("/v1/scores/distribution")).json()
    equity = (await client.get("/v1/scores/equity")).json()
    churn = (await client.get("/v1/scores/churn-rate")).json()

    assert sum(dist["tiers"].values()) == dist["buyers"] == 200
    assert dist["tiers"]["gold"] == 2 and dist["tiers"]["iron"] >= 90
    assert sum(dist["segments"].values()) == dist["customers"]
    assert sum(dist["lifecycle_stages"].values()) == dist["customers"]
    assert equity["equity"] == pytest.approx(sum(equity["by_tier"].values()), abs=0.05)
    assert equity["by_tier"]["gold"] > 0
    assert 0 < churn["churn_rate"] < 1
    assert churn["average_lifetime_weeks"] == pytest.approx(
        churn["horizon_weeks"] / churn["churn_rate"], rel=1e-3
    )


async def test_moving_into_gold_stages_tier_changed(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _fitted(client)
    star = uuid.uuid4()
    await client.post("/v1/transactions", json=tx(star, "10.00", days_ago=100))
    before = (await client.get(f"/v1/customers/{star}/score")).json()["value"]["tier"]
    burst = [tx(star, "400.00", days_ago=d) for d in (80, 60, 40, 20, 5)]
    await client.post("/v1/transactions", json={"transactions": burst})
    assert (await client.get(f"/v1/customers/{star}/score")).json()["value"]["tier"] == "gold"

    changes = [
        e["data"] for e in await _staged(db, "scoring.tier_changed") if e["subject"] == str(star)
    ]
    assert [c["tier"] for c in changes] == [before, "gold"]
    assert changes[-1]["previous_tier"] == before
    history = (await client.get(f"/v1/customers/{star}/score/history")).json()["entries"]
    assert history[0]["tier"] == "gold"
    assert history[-1]["tier"] == before

    # A repeated transaction publishes nothing more.
    count = len(await _staged(db, "scoring.customer_scored"))
    await client.post("/v1/transactions", json=burst[0])
    assert len(await _staged(db, "scoring.customer_scored")) == count


def _complaint(cls: type[Event], complaint: uuid.UUID, customer: uuid.UUID, **data: Any) -> Event:
    return cls(complaint_id=complaint, customer_id=customer, **data)


async def test_complaints_and_low_satisfaction_raise_churn_risk(
    client: httpx.AsyncClient, db: Database, settings_for: Callable[..., ScoringSettings]
) -> None:
    await _fitted(client)
    customer = uuid.uuid4()
    await client.post("/v1/transactions", json=tx(customer, "30.00", days_ago=45))
    calm = (await client.get(f"/v1/customers/{customer}/score")).json()["churn"]["risk"]
    assert calm < 0.7

    bound = handlers(settings_for())
    first, second = uuid.uuid4(), uuid.uuid4()
    events: list[Event] = [
        _complaint(
            ComplaintFiledV1,
            first,
            customer,
            category="billing",
            severity="high",
            priority="p1",
            filed_at=NOW,
        ),
        _complaint(
            ComplaintFiledV1,
            second,
            customer,
            category="delivery",
            severity="low",
            priority="p3",
            filed_at=NOW,
        ),
        _complaint(
            ComplaintFiledV1,
            second,
            customer,
            category="delivery",
            severity="low",
            priority="p3",
            filed_at=NOW,
        ),
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
    for event in events:
        async with db.sessionmaker() as session:
            await bound[event.type](session, event, to_envelope(event, source="tests"))
            await session.commit()

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
    raised = [e["data"] for e in await _staged(db, "scoring.churn_risk_raised")]
    assert [r["customer_id"] for r in raised] == [str(customer)]
    assert raised[0]["threshold"] == 0.7
    assert "open-complaints" in raised[0]["reasons"]


async def test_contacts_keep_counting_per_call(db: Database) -> None:
    customer = uuid.uuid4()
    async with db.sessionmaker() as session:
        for first in (True, False, True):
            await service.record_call_event(
                session, customer_id=customer, occurred_at=NOW, first_event_of_call=first
            )
        await session.commit()
    async with db.sessionmaker() as session:
        stats = await session.get(CustomerStats, str(customer))
    assert stats is not None
    assert (stats.contact_count, stats.call_event_count) == (2, 3)
    assert stats.contacts_by_channel == {"call": 2}

    async with db.sessionmaker() as session:
        await service.record_contact(
            session, customer_id=customer, occurred_at=NOW, channel="email"
        )
        await session.commit()
    async with db.sessionmaker() as session:
        stats = await session.get(CustomerStats, str(customer))
    assert stats is not None
    assert (stats.contact_count, stats.call_event_count) == (3, 3)
    assert stats.contacts_by_channel == {"call": 2, "email": 1}
    assert stats.net_spend == Decimal(0)


async def test_a_scheduled_refit_fits_and_rescores_everyone(
    settings_for: Callable[..., ScoringSettings], db: Database
) -> None:
    async with running(settings_for(refit_interval_seconds=0.3)) as client:
        seeded = await client.post("/v1/transactions", json={"transactions": population(60)})
        assert seeded.status_code == 200

        async def fitted() -> bool:
            return (await client.get("/v1/model")).status_code == 200

        await eventually(fitted, timeout=30, what="a scheduled refit")
        assert (await client.get("/v1/model")).json()["trigger"] == "schedule"

        async def everyone_tiered() -> bool:
            return len(await _staged(db, "scoring.tier_changed")) == 60

        await eventually(everyone_tiered, timeout=30, what="tiers published by the sweep")
    async with db.sessionmaker() as session:
        causes = set(await session.scalars(select(ScoreHistory.cause)))
    # Without a model nothing was worth publishing: every publication came from the sweep.
    assert causes == {"refit"}


def test_population_service_risk_matches_the_per_customer_rule() -> None:
    day = dt.timedelta(days=1)
    rows = [
        SimpleNamespace(complaints_open=o, last_complaint_at=at, last_csat=c, last_nps=n)
        for o in (0, 1, 3)
        for at in (None, NOW - 10 * day, NOW - 200 * day)
        for c in (None, 1, 3, 5)
        for n in (None, 2, 9)
    ]
    vectorised = service._service_risk(rows, NOW)
    for row, value in zip(rows, vectorised, strict=True):
        expected = scores.churn_risk([], service._signals(row), NOW).risk
        assert value == pytest.approx(expected, abs=1e-6), row


def test_future_dated_purchases_never_put_t_x_beyond_t() -> None:
    today = dt.date(2026, 1, 10)
    h = scores.history(
        [dt.date(2026, 1, 3), dt.date(2026, 1, 12)],
        [dt.date(2026, 1, 9), dt.date(2026, 1, 15)],
        [2, 2],
        [10.0, 10.0],
        [5.0, 5.0],
        today,
    )
    assert list(h.T) == [1.0, 0.0]
    assert list(h.t_x) == [6 / 7, 0.0]
    assert list(h.monetary_mean) == [5.0, 5.0]
