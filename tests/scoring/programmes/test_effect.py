"""The effect estimate: Newcombe's interval, Welch's interval, cost per retained customer."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from scipy.stats import ttest_ind

from services.scoring.programmes.effect import (
    compare,
    cost_per_retained,
    mean_difference,
    proportion_difference,
)


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10.
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
    ],
)
def test_the_retention_uplift_has_newcombes_hybrid_score_interval(
    counts: tuple[int, int, int, int], low: float, high: float
) -> None:
    k1, n1, k2, n2 = counts
    found = proportion_difference(k1, n1, k2, n2)
    assert found.estimate == pytest.approx(k1 / n1 - k2 / n2)
    assert found.low == pytest.approx(low, abs=5e-5)
    assert found.high == pytest.approx(high, abs=5e-5)


def test_the_spend_uplift_has_welchs_interval() -> None:
    treated = [0.0, 0.0, 35.5, 80.0, 12.25, 0.0, 61.0, 44.0]
    control = [0.0, 20.0, 0.0, 0.0, 15.0, 30.0]
    found = mean_difference(treated, control, confidence=0.9)
    assert found is not None
    expected = ttest_ind(treated, control, equal_var=False).confidence_interval(0.9)
    assert found.estimate == pytest.approx(232.75 / 8 - 65 / 6)
    assert (found.low, found.high) == pytest.approx((expected.low, expected.high))
    assert mean_difference([1.0], control) is None
    same = mean_difference([5.0, 5.0], [2.0, 2.0])
    assert same is not None and (same.low, same.high) == (3.0, 3.0)


def test_cost_per_retained_customer_is_total_cost_over_the_customers_the_uplift_kept() -> None:
    # 300 treated, 15 points more kept than control: 45 customers for 1200.
    assert cost_per_retained(1200.0, 0.15, 300) == pytest.approx(1200 / 45)
    assert cost_per_retained(1200.0, 0.0, 300) is None
    assert cost_per_retained(1200.0, -0.05, 300) is None


def test_compare_counts_buyers_and_spend_per_group() -> None:
    outcomes = [
        ("treated", 2, Decimal("30.00")),
        ("treated", 1, Decimal("10.00")),
        ("treated", 0, Decimal("0")),
        ("treated", 0, Decimal("0")),
        ("control", 1, Decimal("20.00")),
        ("control", 0, Decimal("0")),
        ("control", 0, Decimal("0")),
        ("control", 0, Decimal("0")),
    ]
    found = compare(outcomes, total_cost=Decimal("8.00"), confidence=0.95)
    assert (found.treated.members, found.treated.retained) == (4, 2)
    assert (found.control.members, found.control.retained) == (4, 1)
    assert found.treated.spend == Decimal("40.00") and found.treated.mean_spend == 10.0
    assert found.control.mean_spend == 5.0
    assert found.retention_uplift.estimate == pytest.approx(0.25)
    assert found.retained_by_programme == pytest.approx(1.0)
    assert found.cost_per_retained_customer == pytest.approx(8.0)
    assert found.spend_uplift is not None and found.spend_uplift.estimate == pytest.approx(5.0)


def test_the_intervals_cover_a_planted_uplift_about_95_times_in_100() -> None:
    rng = np.random.default_rng(7)
    n, trials = 280, 2000
    treated, control = rng.binomial(n, 0.55, trials), rng.binomial(n, 0.40, trials)
    intervals = [
        proportion_difference(int(a), n, int(b), n) for a, b in zip(treated, control, strict=True)
    ]
    covered = sum(i.low < 0.15 < i.high for i in intervals)
    # Binomial(2000, 0.95) has sd ≈ 9.7: 1900 ± 40.
    assert 1860 <= covered <= 1940
    spend_hits = 0
    for _ in range(400):
        a = rng.binomial(1, 0.55, n) * rng.uniform(30, 90, n)
        b = rng.binomial(1, 0.40, n) * rng.uniform(20, 80, n)
        found = mean_difference(a.tolist(), b.tolist())
        assert found is not None
        spend_hits += found.low < 0.55 * 60 - 0.40 * 50 < found.high
    # Binomial(400, 0.95) has sd ≈ 4.4: 380 ± 18.
    assert 362 <= spend_hits <= 398
