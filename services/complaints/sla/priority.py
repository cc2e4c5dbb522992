"""A complaint's priority from its severity and what scoring says about the customer."""

from __future__ import annotations

from typing import Literal

from shared.contracts.scoring import TIERS

Severity = Literal["low", "medium", "high", "critical"]
Priority = Literal["p1", "p2", "p3", "p4"]

SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")
PRIORITIES: tuple[Priority, ...] = ("p1", "p2", "p3", "p4")

_SEVERITY_POINTS = {"low": 0, "medium": 2, "high": 4, "critical": 6}
# Key customers (gold and silver, DOMAIN.md §3) are worth more urgency: one point for each
# tier above the lowest (gold 3, silver 2, bronze 1, iron 0).
_TIER_POINTS: dict[str, int] = {tier: len(TIERS) - 1 - rank for rank, tier in enumerate(TIERS)}


def compute_priority(severity: str, tier: str | None, churn_risk: float | None) -> Priority:
    """Priority from severity, the customer's tier and churn risk; p1 is the most urgent."""
    points = _SEVERITY_POINTS.get(severity, 0) + _TIER_POINTS.get(tier or "", 0)
    risk = churn_risk or 0.0
    points += 2 if risk >= 0.7 else 1 if risk >= 0.4 else 0
    if points >= 8:
        return "p1"
    if points >= 5:
        return "p2"
    if points >= 3:
        return "p3"
    return "p4"
