"""Churn counted from customer states: lost ÷ active per month and tier, lifetime = 1 / rate."""

from __future__ import annotations

import datetime as dt

import pytest

from services.scoring.population.churn_count import Change, counted_churn, month_starts, rate


def at(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


# Four customers over January-March 2026 (and a prospect who never bought):
CHANGES = [
    # a: gold, current since December, churns on 10 February.
    Change("a", "current", "first_purchase", at(2025, 12, 1), "gold"),
    Change("a", "lost", "churned", at(2026, 2, 10), "gold", ["lapsed"]),
    # b: iron, current since November, stays.
    Change("b", "current", "first_purchase", at(2025, 11, 15), "iron"),
    # c: iron, current from 20 January, churns on 5 March after SLA breaches and lost calls.
    Change("c", "current", "first_purchase", at(2026, 1, 20), "iron"),
    Change("c", "lost", "churned", at(2026, 3, 5), "iron", ["sla-breach", "unanswered-calls"]),
    # d: lost in December, won back on 10 January as silver.
    Change("d", "current", "first_purchase", at(2025, 10, 1), "bronze"),
    Change("d", "lost", "churned", at(2025, 12, 20), "bronze", ["price"]),
    Change("d", "current", "won_back", at(2026, 1, 10), "silver"),
    Change("e", "prospect", "first_contact", at(2025, 9, 1)),
]


def test_month_starts_cover_whole_months_before_this_one() -> None:
    assert [m.date().isoformat() for m in month_starts(at(2026, 4, 15), 3)] == [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
    ]
    assert month_starts(at(2026, 2, 3), 2)[0].date().isoformat() == "2025-12-01"


def test_churn_counted_per_month_tier_and_cause() -> None:
    churn = counted_churn(CHANGES, now=at(2026, 4, 15), months=3)
    # January: a, b active, none lost. February: a, b, c, d active, a lost (1/4).
    # March: b, c, d active, c lost (1/3). The period: 2 lost of 9 customer-months.
    assert [(m.month, m.total.active, m.total.lost) for m in churn.months] == [
        ("2026-01", 2, 0),
        ("2026-02", 4, 1),
        ("2026-03", 3, 1),
    ]
    assert churn.months[1].total.churn_rate == 0.25
    assert churn.months[1].total.average_lifetime_months == 4.0
    assert churn.months[2].total.churn_rate == pytest.approx(0.333333)
    assert churn.total.churn_rate == pytest.approx(0.222222)
    assert churn.total.average_lifetime_months == 4.5
    # Per tier, by the tier when the current spell began.
    gold, iron, silver = (churn.by_tier[t] for t in ("gold", "iron", "silver"))
    assert (gold.active, gold.lost, gold.churn_rate, gold.average_lifetime_months) == (
        2,
        1,
        0.5,
        2.0,
    )
    assert (iron.active, iron.lost, iron.churn_rate, iron.average_lifetime_months) == (
        5,
        1,
        0.2,
        5.0,
    )
    assert (silver.active, silver.lost, silver.churn_rate) == (2, 0, 0.0)
    assert silver.average_lifetime_months is None
    assert churn.months[1].by_tier["gold"].lost == 1
    # December's loss of d is before the period.
    assert churn.by_cause == {"lapsed": 1, "sla-breach": 1, "unanswered-calls": 1}
    assert churn.by_side == {"company": 2, "customer": 1}
    assert churn.by_category == {"broken_promise": 1, "neglect": 1, "objective": 1}


def test_rate_and_lifetime_are_undefined_without_active_customers() -> None:
    assert rate(0, 0).churn_rate is None and rate(0, 0).average_lifetime_months is None
    assert (rate(20, 1).churn_rate, rate(20, 1).average_lifetime_months) == (0.05, 20.0)
