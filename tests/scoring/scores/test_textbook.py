"""Textbook rules on hand-computed numbers: CLV, tier cuts, RFM segments, lifecycle, causes,
loyalty and the model-based churn figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from services.scoring.population.reports import Population, churn_rate
from services.scoring.scores import causes, clv, rfm
from services.scoring.scores.lifecycle import lifecycle_stage
from services.scoring.scores.loyalty import LoyaltyInputs, group_loyalty, loyalty
from services.scoring.scores.policy import Policy
from services.scoring.scores.value import tier_thresholds, tiers


def test_textbook_clv_three_years_of_100_at_10_percent() -> None:
    # 100/1.1 + 100/1.21 + 100/1.331 = 90.909 + 82.645 + 75.131
    assert clv.textbook_clv([100, 100, 100], 0.10) == pytest.approx(248.69, abs=0.005)
    assert clv.textbook_clv([100, 100, 100], 0.0) == 300


def test_textbook_clv_discounts_net_cash_flow_after_cost_to_serve() -> None:
    # 36 months of one 10.00 purchase: 120 a year; 2.00 to serve each purchase: 24 a year.
    # Net 96 a year for three years at 10 %: 96 x 2.486852 = 238.74.
    monthly = np.full((1, 36), 10.0)
    value = clv.net_textbook_clv(monthly, [10.0], [2.0], 0.10)
    assert value[0] == pytest.approx(238.7378, abs=1e-3)
    # 14 months: a full year then a partial one (2 months).
    assert clv.yearly(np.ones((1, 14))).tolist() == [[12.0, 2.0]]


def test_tier_cuts_gold_1_silver_19_bronze_30_iron_50() -> None:
    values = np.arange(100, 0, -1, dtype=np.float64)  # CLV 100 down to 1
    cuts = tier_thresholds(values, (0.01, 0.19, 0.30))
    # Gold is the top 1 (100), silver the next 19 (99..81), bronze the next 30 (80..51).
    assert cuts == {"gold": 100.0, "silver": 81.0, "bronze": 51.0}
    found = tiers(values, cuts)
    assert [found.count(t) for t in ("gold", "silver", "bronze", "iron")] == [1, 19, 30, 50]
    assert found[0] == "gold" and found[19] == "silver" and found[20] == "bronze"
    assert found[49] == "bronze" and found[50] == "iron"
    # Zero CLV is always iron, even at a cut.
    assert tiers(np.array([0.0]), {"gold": 0.0, "silver": 0.0, "bronze": 0.0}) == ["iron"]


@pytest.mark.parametrize(
    ("cell", "segment"),
    [
        ((5, 5, 5), "Champions"),
        ((3, 4, 1), "Loyal"),
        ((5, 5, 3), "Loyal"),
        ((1, 5, 5), "Can't lose them"),
        ((2, 3, 1), "At risk"),
        ((1, 4, 3), "At risk"),
        ((4, 2, 1), "Potential loyalists"),
        ((5, 1, 5), "New customers"),
        ((4, 1, 1), "Promising"),
        ((3, 3, 2), "Need attention"),
        ((3, 1, 4), "About to sleep"),
        ((2, 2, 5), "Hibernating"),
        ((2, 1, 1), "Hibernating"),
        ((1, 2, 1), "Lost"),
    ],
)
def test_each_rfm_segment_rule(cell: tuple[int, int, int], segment: str) -> None:
    assert rfm.rfm_segment(*cell) == segment


def test_rfm_scores_count_the_population_edges_beaten() -> None:
    edges = {
        "recency": [10.0, 20.0, 30.0, 40.0],
        "frequency": [1.0, 2.0, 3.0, 5.0],
        "monetary": [50.0, 100.0, 200.0, 400.0],
    }
    h = SimpleNamespace(
        recency_days=np.array([5.0, 25.0, 40.0]),
        purchase_days=np.array([6.0, 2.0, 1.0]),
        net_spend=np.array([500.0, 100.0, 10.0]),
    )
    r, f, m = rfm.rfm_scores(cast(Any, h), edges)
    # 5 days beats all four recency edges; 25 beats 30 and 40; 40 beats none (not below 40).
    assert r.tolist() == [5.0, 3.0, 1.0]
    assert f.tolist() == [5.0, 2.0, 1.0]
    assert m.tolist() == [5.0, 2.0, 1.0]


def test_all_four_lifecycle_stages() -> None:
    threshold = 0.7
    assert lifecycle_stage(0, 0, 0.0, None, threshold)[0] == "exploration"
    assert lifecycle_stage(1, 0, 0.3, None, threshold)[0] == "exploration"
    assert lifecycle_stage(3, 2, 0.3, 0.8, threshold)[0] == "formation"
    assert lifecycle_stage(5, 4, 0.3, 1.0, threshold)[0] == "stability"
    assert lifecycle_stage(5, 4, 0.7, 1.0, threshold)[0] == "decline"
    assert lifecycle_stage(5, 4, 0.3, 2.0, threshold)[0] == "decline"


def test_each_churn_cause_has_its_side_and_category() -> None:
    assert causes.label("sla-breach") == causes.Cause("company", "broken_promise")
    assert causes.label("missed-callback") == causes.Cause("company", "broken_promise")
    assert causes.label("unanswered-calls") == causes.Cause("company", "neglect")
    assert causes.label("open-complaints") == causes.Cause("company", "product_service_defect")
    assert causes.label("staff-turnover") == causes.Cause("company", "staff_turnover")
    assert causes.label("price") == causes.Cause("customer", "price")
    assert causes.label("competitor") == causes.Cause("customer", "competitor")
    assert causes.label("moved-away") == causes.Cause("customer", "moved_away")
    assert causes.label("overdue") == causes.Cause("customer", "objective")
    assert causes.label("tier-cut") == causes.Cause("unknown", "unknown")
    signals = causes.Signals({"company": 1, "customer": 1}, 2, 1, 2, 9)
    assert causes.churn_causes(signals) == [
        "complaint-company-cause",
        "sla-breach",
        "unanswered-calls",
        "low-csat",
        "complaint-customer-cause",
    ]
    assert causes.churn_causes(causes.Signals({}, 0, 0, None, None)) == ["lapsed"]


def _inputs(
    days: int, paid: str, discount: str, year: str, wallet: str | None, nps: int | None
) -> LoyaltyInputs:
    return LoyaltyInputs(
        purchase_days=days,
        gross_spend=Decimal(paid),
        discounted=Decimal(discount),
        spend_last_year=Decimal(year),
        declared_wallet=None if wallet is None else Decimal(wallet),
        last_nps=nps,
    )


def test_loyalty_measures_of_a_customer_and_a_group() -> None:
    one = loyalty(_inputs(4, "300", "100", "150", "600", 9))
    # 3 repeat days; 150 of a 600 wallet; paid 300 of 400 listed: tolerance 0.75; a promoter.
    assert (one.repeat_purchase_days, one.repeat_buyer) == (3, True)
    assert (one.share_of_wallet, one.price_tolerance, one.nps_class) == (0.25, 0.75, "promoter")
    group = group_loyalty(
        [
            one,
            loyalty(_inputs(1, "100", "0", "100", None, 10)),
            loyalty(_inputs(2, "50", "50", "0", "100", 5)),
            loyalty(_inputs(0, "0", "0", "0", None, 7)),
        ]
    )
    # Buyers: 3, of whom 2 came back. Wallets: 0.25 and 0.0. Tolerance: 0.75, 1.0, 0.5.
    # NPS: promoters 9 and 10, detractor 5, passive 7: (2 - 1) / 4 = 25.
    assert (group.customers, group.buyers) == (4, 3)
    assert group.repeat_purchase_rate == pytest.approx(0.666667)
    assert (group.with_wallet, group.share_of_wallet) == (2, 0.125)
    assert group.price_tolerance == 0.75
    assert (group.nps_answers, group.nps) == (4, 25.0)


def test_model_based_churn_rate_is_the_mean_probability_of_no_purchase() -> None:
    pop = SimpleNamespace(
        buyers=np.array([True, True, False]),
        values=SimpleNamespace(
            p_no_purchase=np.array([0.2, 0.4, 1.0]), p_alive=np.array([0.9, 0.5, 0.0])
        ),
        policy=Policy(churn_horizon_weeks=39.0, churn_risk_threshold=0.7),
        risk=np.array([0.3, 0.75, 1.0]),
        model=SimpleNamespace(fit_id=7),
        computed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    figure = churn_rate(cast(Population, pop))
    # Buyers' mean P(no purchase) (0.2 + 0.4) / 2 = 0.3; 39 weeks / 0.3 = 130 weeks.
    assert (figure.buyers, figure.churn_rate, figure.average_lifetime_weeks) == (2, 0.3, 130.0)
    assert (figure.at_risk, figure.expected_inactive) == (1, 0.6)
