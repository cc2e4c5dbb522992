"""ABC analysis of customers by profit, and the 80/20/30 view of where profit comes from.

Profit of a customer = net revenue (orders minus refunds) minus cost to serve, and cost to
serve = minutes of call handle time x the cost per minute. Customers ranked by profit, best
first: A are the top customers who together make the first 80 % of the profit of profitable
customers, B the next ones up to 95 %, C everyone else, the unprofitable included. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

AbcClass = Literal["A", "B", "C"]
ABC_CLASSES: tuple[AbcClass, ...] = ("A", "B", "C")
# Cumulative shares of positive profit that close class A and class B.
A_SHARE = 0.80
B_SHARE = 0.95
# The 80/20/30 view: the top 20 % of customers and the bottom 30 %.
TOP_SHARE = 0.20
BOTTOM_SHARE = 0.30


@dataclass(frozen=True)
class CustomerProfit:
    """One customer's revenue, cost to serve and profit."""

    customer_id: str
    revenue: float
    cost_to_serve: float

    @property
    def profit(self) -> float:
        """Revenue minus cost to serve."""
        return self.revenue - self.cost_to_serve


def cost_to_serve(handle_seconds: float, cost_per_minute: float) -> float:
    """Handle time in minutes times the cost of a minute."""
    return handle_seconds / 60 * cost_per_minute


def ranked(customers: Sequence[CustomerProfit]) -> list[CustomerProfit]:
    """Customers by profit, highest first (ties by id, so the order is stable)."""
    return sorted(customers, key=lambda c: (-c.profit, c.customer_id))


def abc_classes(customers: Sequence[CustomerProfit]) -> dict[str, AbcClass]:
    """The ABC class of each customer id.

    A customer is A while the profit of those ranked above them is below 80 % of all positive
    profit (so A is the smallest top group that reaches 80 %), B below 95 %, else C; a customer
    with no profit is always C.
    """
    order = ranked(customers)
    positive = sum(c.profit for c in order if c.profit > 0)
    out: dict[str, AbcClass] = {}
    before = 0.0
    for c in order:
        share = before / positive if positive > 0 else 1.0
        if c.profit <= 0:
            out[c.customer_id] = "C"
        elif share < A_SHARE:
            out[c.customer_id] = "A"
        elif share < B_SHARE:
            out[c.customer_id] = "B"
        else:
            out[c.customer_id] = "C"
        before += max(c.profit, 0.0)
    return out


@dataclass(frozen=True)
class ClassFigures:
    """Customers, revenue, cost to serve and profit of one ABC class."""

    customers: int
    revenue: float
    cost_to_serve: float
    profit: float
    profit_share: float | None


@dataclass(frozen=True)
class Pareto:
    """The 80/20/30 view: profit of the top 20 % and of the unprofitable bottom 30 %."""

    top_customers: int
    top_profit: float
    top_profit_share: float | None
    bottom_customers: int
    bottom_profit: float
    bottom_profit_share: float | None
    unprofitable_customers: int


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole > 0 else None


def class_figures(
    customers: Sequence[CustomerProfit], classes: dict[str, AbcClass]
) -> dict[AbcClass, ClassFigures]:
    """Totals per ABC class; each profit share is of the total profit of everyone."""
    total = sum(c.profit for c in customers)
    out: dict[AbcClass, ClassFigures] = {}
    for name in ABC_CLASSES:
        members = [c for c in customers if classes[c.customer_id] == name]
        profit = sum(c.profit for c in members)
        out[name] = ClassFigures(
            customers=len(members),
            revenue=round(sum(c.revenue for c in members), 2),
            cost_to_serve=round(sum(c.cost_to_serve for c in members), 2),
            profit=round(profit, 2),
            profit_share=_share(profit, total),
        )
    return out


def pareto(customers: Sequence[CustomerProfit]) -> Pareto:
    """Share of total profit made by the top 20 % of customers and by the bottom 30 %.

    Group sizes are n x share rounded half up, at least one customer when any. The
    top share can exceed 1 when the bottom loses money: the 80/20/30 refinement.
    """
    order = ranked(customers)
    n = len(order)
    top_n = max(1, math.floor(n * TOP_SHARE + 0.5)) if n else 0
    bottom_n = max(1, math.floor(n * BOTTOM_SHARE + 0.5)) if n else 0
    total = sum(c.profit for c in order)
    top = sum(c.profit for c in order[:top_n])
    bottom = sum(c.profit for c in order[n - bottom_n :]) if bottom_n else 0.0
    return Pareto(
        top_customers=top_n,
        top_profit=round(top, 2),
        top_profit_share=_share(top, total),
        bottom_customers=bottom_n,
        bottom_profit=round(bottom, 2),
        bottom_profit_share=_share(bottom, total),
        unprofitable_customers=sum(1 for c in order if c.profit < 0),
    )
