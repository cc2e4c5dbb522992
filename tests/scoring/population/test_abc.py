"""ABC classes by profit and the 80/20/30 view, on ten customers computed by hand."""

from __future__ import annotations

import pytest

from services.scoring.population.abc import (
    CustomerProfit,
    abc_classes,
    class_figures,
    cost_to_serve,
    pareto,
)

# (id, revenue, handle seconds) at 1.00 per minute; profits 500, 200, 100, 80, 50, 40, 30, 0,
# -20, -30: positive profit 1000, total 950.
ROWS = [
    ("c01", 520.0, 1200),
    ("c02", 200.0, 0),
    ("c03", 110.0, 600),
    ("c04", 80.0, 0),
    ("c05", 50.0, 0),
    ("c06", 40.0, 0),
    ("c07", 30.0, 0),
    ("c08", 10.0, 600),
    ("c09", 10.0, 1800),
    ("c10", 5.0, 2100),
]


def _customers() -> list[CustomerProfit]:
    return [CustomerProfit(c, revenue, cost_to_serve(s, 1.0)) for c, revenue, s in ROWS]


def test_cost_to_serve_is_handle_minutes_times_the_rate() -> None:
    assert cost_to_serve(90, 2.5) == pytest.approx(3.75)


def test_abc_classes_close_at_80_and_95_percent_of_positive_profit() -> None:
    classes = abc_classes(_customers())
    # Before c04 the top three made 800 of 1000 (80 %): c04 opens B; 970 before c07 opens C.
    assert [classes[c] for c, *_ in ROWS] == ["A", "A", "A", "B", "B", "B", "C", "C", "C", "C"]
    figures = class_figures(_customers(), classes)
    assert (figures["A"].customers, figures["A"].profit) == (3, 800.0)
    assert (figures["B"].customers, figures["B"].profit) == (3, 170.0)
    assert (figures["C"].customers, figures["C"].profit) == (4, -20.0)
    assert figures["A"].profit_share == pytest.approx(800 / 950, abs=1e-6)
    assert figures["C"].cost_to_serve == 10 + 30 + 35
    assert figures["A"].revenue == 520 + 200 + 110


def test_80_20_30_view() -> None:
    view = pareto(_customers())
    # Top 20 % = 2 customers: 700 of 950; bottom 30 % = 3 customers: 0 - 20 - 30.
    assert (view.top_customers, view.top_profit) == (2, 700.0)
    assert view.top_profit_share == pytest.approx(0.736842, abs=1e-6)
    assert (view.bottom_customers, view.bottom_profit) == (3, -50.0)
    assert view.bottom_profit_share == pytest.approx(-0.052632, abs=1e-6)
    assert view.unprofitable_customers == 2


def test_no_customers_no_shares() -> None:
    view = pareto([])
    assert (view.top_customers, view.top_profit_share, view.bottom_customers) == (0, None, 0)
