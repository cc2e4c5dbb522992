"""What a programme did: treated against control, with confidence intervals.

Retention is the share of a group that bought in the measurement window; its uplift is the
difference of the two proportions, with Newcombe's hybrid score interval (method 10 of
Newcombe 1998, built from the two Wilson intervals), which keeps its coverage for small groups
and proportions near 0 or 1 where the plain normal interval does not. Spend is the mean net
spend per member in the window (non-buyers count as 0); its uplift is the difference of the
two means with Welch's interval (t with Welch-Satterthwaite degrees of freedom), which does not
assume the groups spread alike. The cost per retained customer is the programme's total cost
over the customers it kept beyond what the control group says would have stayed anyway:
total cost / (retention uplift x treated members); undefined unless the uplift is positive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist

from scipy.special import stdtrit  # not scipy.stats: ~50 MiB more at every start


@dataclass(frozen=True)
class Interval:
    """An estimate and its confidence interval."""

    estimate: float
    low: float
    high: float


def wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson's score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def z_of(confidence: float) -> float:
    """The two-sided standard normal quantile of a confidence level."""
    return NormalDist().inv_cdf((1 + confidence) / 2)


def proportion_difference(
    k1: int, n1: int, k2: int, n2: int, *, confidence: float = 0.95
) -> Interval:
    """k1/n1 - k2/n2 with Newcombe's hybrid score interval; both groups must be non-empty."""
    z = z_of(confidence)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    return Interval(
        estimate=d,
        low=d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        high=d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def mean_difference(
    a: Sequence[float], b: Sequence[float], *, confidence: float = 0.95
) -> Interval | None:
    """mean(a) - mean(b) with Welch's interval; None unless each group has two values."""
    n1, n2 = len(a), len(b)
    if n1 < 2 or n2 < 2:
        return None
    m1, m2 = sum(a) / n1, sum(b) / n2
    v1 = sum((x - m1) ** 2 for x in a) / (n1 - 1)
    v2 = sum((x - m2) ** 2 for x in b) / (n2 - 1)
    se2 = v1 / n1 + v2 / n2
    d = m1 - m2
    if se2 == 0:
        return Interval(estimate=d, low=d, high=d)
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    half = float(stdtrit(df, (1 + confidence) / 2)) * math.sqrt(se2)  # Student's t quantile
    return Interval(estimate=d, low=d - half, high=d + half)


def cost_per_retained(total_cost: float, uplift: float, treated: int) -> float | None:
    """Total cost / (uplift x treated): what each customer kept by the programme cost."""
    kept = uplift * treated
    return total_cost / kept if kept > 0 else None


@dataclass(frozen=True)
class GroupOutcome:
    """One group in the measurement window."""

    members: int
    retained: int
    retention: float
    spend: Decimal
    mean_spend: float


@dataclass(frozen=True)
class Comparison:
    """Treated against control, with the uplifts and what each retained customer cost."""

    treated: GroupOutcome
    control: GroupOutcome
    retention_uplift: Interval
    spend_uplift: Interval | None
    retained_by_programme: float
    cost_per_retained_customer: float | None


def compare(
    outcomes: Sequence[tuple[str, int, Decimal]], *, total_cost: Decimal, confidence: float
) -> Comparison:
    """Compare the groups of `(group, orders, net spend)` per member; both must be non-empty."""
    spends: dict[str, list[Decimal]] = {"treated": [], "control": []}
    buyers = {"treated": 0, "control": 0}
    for group, orders, net in outcomes:
        spends[group].append(net)
        buyers[group] += orders > 0
    treated, control = (_outcome(buyers[g], spends[g]) for g in ("treated", "control"))
    retention = proportion_difference(
        treated.retained, treated.members, control.retained, control.members, confidence=confidence
    )
    spend_uplift = mean_difference(
        [float(x) for x in spends["treated"]],
        [float(x) for x in spends["control"]],
        confidence=confidence,
    )
    return Comparison(
        treated=treated,
        control=control,
        retention_uplift=retention,
        spend_uplift=spend_uplift,
        retained_by_programme=retention.estimate * treated.members,
        cost_per_retained_customer=cost_per_retained(
            float(total_cost), retention.estimate, treated.members
        ),
    )


def _outcome(retained: int, spends: list[Decimal]) -> GroupOutcome:
    n = len(spends)
    total = sum(spends, Decimal(0))
    return GroupOutcome(
        members=n,
        retained=retained,
        retention=retained / n if n else 0.0,
        spend=total,
        mean_spend=float(total) / n if n else 0.0,
    )
