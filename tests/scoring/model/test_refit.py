"""Refits: the CDNOW parameters from a shuffled log, scheduled refits and the sweep after them."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable

import pytest
from lifetimes import datasets as lifetimes_datasets
from sqlalchemy import select

from services.scoring.model import repository
from services.scoring.model.history import history, history_of
from services.scoring.model.service import refit
from services.scoring.models import ScoreHistory
from services.scoring.scores.service import Scorer
from services.scoring.settings import ScoringSettings
from services.scoring.statistics.ledger import Transaction
from services.scoring.statistics.service import record_transactions
from shared.db import Database
from tests.kafka_helpers import eventually
from tests.scoring.cdnow import CALIBRATION_END, sample_log
from tests.scoring.conftest import population, running
from tests.scoring.helpers import staged


async def test_the_cdnow_log_replayed_in_any_order_gives_the_summary_and_the_parameters(
    db: Database, scorer: Scorer
) -> None:
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
            await record_transactions(
                session, delivered[start : start + 2500], scorer=scorer, now=end
            )
            await session.commit()

    summary = lifetimes_datasets.load_cdnow_summary_data_with_monetary_value()
    async with db.sessionmaker() as session:
        rows = await repository.buyers(session)
        h = history_of(rows, CALIBRATION_END)
        ids = [uuid.UUID(r.customer_id).int for r in rows]
        fit = await refit(session, settings=scorer.settings, models=scorer.models, now=end)
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
            return len(await staged(db, "scoring.tier_changed")) == 60

        await eventually(everyone_tiered, timeout=30, what="tiers published by the sweep")
    async with db.sessionmaker() as session:
        causes = set(await session.scalars(select(ScoreHistory.cause)))
    # Without a model nothing was worth publishing: every publication came from the sweep.
    assert causes == {"refit"}


def test_future_dated_purchases_never_put_t_x_beyond_t() -> None:
    today = dt.date(2026, 1, 10)
    h = history(
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
