"""The published scores of a batch, computed over its arrays, equal those of each full card."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

import pytest

from services.scoring.model.btyd import BetaGeoParams, GammaGammaParams
from services.scoring.model.snapshot import PopulationModel
from services.scoring.models import CustomerStats
from services.scoring.scores.batch import batch_of
from services.scoring.scores.card import score_cards
from services.scoring.scores.policy import Policy
from services.scoring.scores.publishing import published_many, published_scores
from services.scoring.statistics.counters import new_stats

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
EDGES = {
    "recency": [20.0, 60.0, 120.0, 250.0],
    "frequency": [1.0, 2.0, 3.0, 5.0],
    "monetary": [40.0, 90.0, 200.0, 500.0],
}
THRESHOLDS = {"gold": 900.0, "silver": 250.0, "bronze": 60.0}


def _model(*, gg: bool = True, edges: bool = True) -> PopulationModel:
    return PopulationModel(
        fit_id=1,
        fitted_at=NOW,
        bg=BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426),
        gg=GammaGammaParams(p=6.25, q=3.74, v=15.44) if gg else None,
        tier_thresholds=THRESHOLDS,
        rfm_edges=EDGES if edges else {},
    )


def _customer(rng: random.Random) -> CustomerStats:
    """Statistics of every kind: no purchase, one day, repeat days (one of them the same day
    as the first, or in the future), complaints open or recent, surveys good and bad."""
    stats = new_stats(str(uuid.UUID(int=rng.getrandbits(128))))
    days = rng.choice([0, 1, 1, 2, 3, 5, 8, 20])
    if days:
        first = NOW.date() - dt.timedelta(days=rng.randint(-3, 700))
        last = first + dt.timedelta(days=rng.choice([0, rng.randint(0, 700)]))
        stats.purchase_days, stats.order_count = days, days + rng.randint(0, 3)
        stats.first_purchase_day, stats.last_purchase_day = first, last
        stats.gross_spend = Decimal(rng.randint(100, 500_000)) / 100
        stats.refunded = Decimal(rng.choice([0, 0, rng.randint(0, 5000)])) / 100
        stats.first_day_spend = Decimal(rng.randint(0, 20_000)) / 100
        stats.handle_seconds = rng.choice([0, 0, rng.randint(1, 20_000)])
    stats.complaints_open = rng.choice([0, 0, 0, 1, 2, 3])
    stats.last_complaint_at = rng.choice([None, NOW - dt.timedelta(days=rng.randint(0, 400))])
    stats.last_csat = rng.choice([None, 1, 2, 3, 4, 5])
    stats.last_nps = rng.choice([None, 0, 6, 7, 10])
    stats.last_quality = rng.choice([None, "unacceptable", "expected", "delighted"])
    return stats


@pytest.mark.parametrize(
    "model",
    [_model(), _model(gg=False), _model(edges=False), None],
    ids=["fitted", "no-gamma-gamma", "no-rfm-edges", "no-model"],
)
def test_published_scores_of_a_batch_are_those_of_each_card(model: PopulationModel | None) -> None:
    rng = random.Random(7)
    rows = [_customer(rng) for _ in range(3000)]
    policy = Policy()

    cards = score_cards(rows, model, policy, NOW)
    batch = batch_of(rows, model, policy, NOW)
    published = published_many(rows, batch, model, policy, NOW)

    # Exactly equal, floats included: both round the same float operations.
    assert published == [published_scores(card) for card in cards]
    # The population covers every stage and, with a model, tiers and segments.
    assert {p.lifecycle_stage for p in published} == {
        "exploration",
        "formation",
        "stability",
        "decline",
    }
    if model is not None:
        assert {p.tier for p in published} == {None, "gold", "silver", "bronze", "iron"}
