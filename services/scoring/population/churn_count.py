"""Churn counted from customer states (客户流失率): lost ÷ active, per month and per tier.

Active in a month = customers whose state was `current` when the month began; lost = those of
them who churned (moved to `lost`) within the month. Churn rate = lost / active, and the average
customer lifetime = 1 / churn rate, in months. A customer counts under the tier recorded when
their current spell began. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from services.scoring.scores.causes import label
from shared.contracts.scoring import TIERS

# Customers whose spell began before any tier was published.
UNSCORED = "unscored"
TIER_KEYS: tuple[str, ...] = (*TIERS, UNSCORED)


@dataclass(frozen=True)
class Change:
    """One state change of a customer, as the rule dated it."""

    customer_id: str
    state: str
    transition: str
    occurred_at: dt.datetime
    tier: str | None = None
    causes: Sequence[str] = ()


@dataclass(frozen=True)
class Rate:
    """Lost ÷ active, and the average lifetime it implies (months)."""

    active: int
    lost: int
    churn_rate: float | None
    average_lifetime_months: float | None


def rate(active: int, lost: int) -> Rate:
    """Churn rate lost / active and lifetime 1 / churn rate (none when undefined)."""
    churn = lost / active if active else None
    lifetime = 1 / churn if churn else None
    return Rate(
        active=active,
        lost=lost,
        churn_rate=None if churn is None else round(churn, 6),
        average_lifetime_months=None if lifetime is None else round(lifetime, 3),
    )


@dataclass(frozen=True)
class Month:
    """Churn counted in one calendar month (UTC), in total and per tier."""

    month: str
    total: Rate
    by_tier: dict[str, Rate]


@dataclass(frozen=True)
class CountedChurn:
    """Churn counted over whole months: per month, over the period, per tier, by cause."""

    months: list[Month]
    total: Rate
    by_tier: dict[str, Rate]
    by_cause: dict[str, int] = field(default_factory=dict)
    by_side: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)


def month_starts(now: dt.datetime, months: int) -> list[dt.datetime]:
    """The first instants of the `months` whole months before `now`'s month, and of its own."""
    year, month = now.year, now.month
    out = []
    for _ in range(months + 1):
        out.append(dt.datetime(year, month, 1, tzinfo=dt.UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _spells(changes: Iterable[Change]) -> dict[str, list[Change]]:
    by_customer: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        by_customer[c.customer_id].append(c)
    return {k: sorted(v, key=lambda c: c.occurred_at) for k, v in by_customer.items()}


def _in_month(history: list[Change], start: dt.datetime, end: dt.datetime) -> tuple[Any, Any]:
    """The change in force when the month began, and the first churn within it."""
    before = [c for c in history if c.occurred_at < start]
    opening = before[-1] if before else None
    churned = next(
        (c for c in history if c.transition == "churned" and start <= c.occurred_at < end), None
    )
    return opening, churned


def counted_churn(changes: Iterable[Change], *, now: dt.datetime, months: int) -> CountedChurn:
    """Churn counted over the `months` whole months before `now`'s month."""
    starts = month_starts(now, months)
    histories = _spells(changes)
    per_month: list[Month] = []
    active_by_tier: Counter[str] = Counter()
    lost_by_tier: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    for start, end in pairwise(starts):
        active: Counter[str] = Counter()
        lost: Counter[str] = Counter()
        for history in histories.values():
            opening, churned = _in_month(history, start, end)
            if opening is None or opening.state != "current":
                continue
            tier = opening.tier or UNSCORED
            active[tier] += 1
            if churned is not None:
                lost[tier] += 1
                causes.update(churned.causes)
        active_by_tier += active
        lost_by_tier += lost
        per_month.append(
            Month(
                month=start.strftime("%Y-%m"),
                total=rate(sum(active.values()), sum(lost.values())),
                by_tier={t: rate(active[t], lost[t]) for t in TIER_KEYS},
            )
        )
    return CountedChurn(
        months=per_month,
        total=rate(sum(active_by_tier.values()), sum(lost_by_tier.values())),
        by_tier={t: rate(active_by_tier[t], lost_by_tier[t]) for t in TIER_KEYS},
        by_cause=dict(sorted(causes.items())),
        by_side=_grouped(causes, lambda code: label(code).side),
        by_category=_grouped(causes, lambda code: label(code).category),
    )


def _grouped(causes: Counter[str], key: Any) -> dict[str, int]:
    out: Counter[str] = Counter()
    for code, n in causes.items():
        out[key(code)] += n
    return dict(sorted(out.items()))
