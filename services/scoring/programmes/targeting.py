"""Whom a programme reaches: the customers its target matches, split at random into two groups.

The split is a complete randomisation: the matching customers, in customer-id order, are
shuffled by a generator seeded with the programme's recorded seed, and the first
round(n x control share) form the control group. The same customers and seed always give the
same groups, so a draw can be checked afterwards.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Target:
    """Which customers a programme is for; a criterion left empty matches everyone."""

    tiers: frozenset[str] = frozenset()
    lifecycle_stages: frozenset[str] = frozenset()
    min_churn_risk: float | None = None
    max_churn_risk: float | None = None
    max_members: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A customer as the last published scores describe them."""

    customer_id: str
    tier: str | None
    churn_risk: float | None
    lifecycle_stage: str | None
    net_spend: Decimal = Decimal(0)


@dataclass(frozen=True)
class Draw:
    """The two groups of a programme and the seed that split them."""

    seed: int
    treated: list[Candidate] = field(default_factory=list)
    control: list[Candidate] = field(default_factory=list)


def matches(target: Target, candidate: Candidate) -> bool:
    """Whether the customer is one the programme is for."""
    if target.tiers and candidate.tier not in target.tiers:
        return False
    if target.lifecycle_stages and candidate.lifecycle_stage not in target.lifecycle_stages:
        return False
    risk = candidate.churn_risk
    if target.min_churn_risk is not None and (risk is None or risk < target.min_churn_risk):
        return False
    return target.max_churn_risk is None or (risk is not None and risk <= target.max_churn_risk)


def draw(
    target: Target, candidates: Iterable[Candidate], *, control_share: float, seed: int
) -> Draw:
    """The matching customers split at random into treated and control.

    Past `max_members`, a random sample of that size (from the same generator) is drawn first.
    """
    rng = random.Random(seed)
    chosen = sorted((c for c in candidates if matches(target, c)), key=_customer)
    if target.max_members is not None and len(chosen) > target.max_members:
        chosen = sorted(rng.sample(chosen, target.max_members), key=_customer)
    shuffled = list(chosen)
    rng.shuffle(shuffled)
    controls = round(len(shuffled) * control_share)
    return Draw(
        seed=seed,
        treated=sorted(shuffled[controls:], key=_customer),
        control=sorted(shuffled[:controls], key=_customer),
    )


def _customer(candidate: Candidate) -> str:
    return candidate.customer_id


def describe(target: Target) -> dict[str, object]:
    """The target as stored with its programme (sorted lists, empty criteria left out)."""
    out: dict[str, object] = {}
    if target.tiers:
        out["tiers"] = sorted(target.tiers)
    if target.lifecycle_stages:
        out["lifecycle_stages"] = sorted(target.lifecycle_stages)
    for name in ("min_churn_risk", "max_churn_risk", "max_members"):
        value = getattr(target, name)
        if value is not None:
            out[name] = value
    return out


def target_of(stored: dict[str, object]) -> Target:
    """The target a programme stored."""

    def number(name: str) -> float | None:
        value = stored.get(name)
        return float(value) if isinstance(value, int | float) else None

    def names(name: str) -> frozenset[str]:
        value = stored.get(name)
        return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()

    limit = stored.get("max_members")
    return Target(
        tiers=names("tiers"),
        lifecycle_stages=names("lifecycle_stages"),
        min_churn_risk=number("min_churn_risk"),
        max_churn_risk=number("max_churn_risk"),
        max_members=limit if isinstance(limit, int) else None,
    )
