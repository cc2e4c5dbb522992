"""Every customer scored at once, and the population views made of it."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.scoring.model.btyd import Array
from services.scoring.model.history import History, history_of
from services.scoring.model.snapshot import PopulationModel
from services.scoring.scores import churn, rfm
from services.scoring.scores.lifecycle import STAGES, lifecycle_stage
from services.scoring.scores.policy import Policy
from services.scoring.scores.value import ValueScores, cost_per_purchase, tiers, value_scores
from shared.contracts.scoring import TIERS, LifecycleStage, Tier


@dataclass
class Population:
    """Every customer's scores at one moment, as arrays."""

    computed_at: dt.datetime
    policy: Policy
    customers: int
    h: History
    model: PopulationModel
    values: ValueScores
    risk: Array
    tiers: list[Tier]
    segments: list[str]
    stages: list[LifecycleStage]

    @property
    def buyers(self) -> Any:
        """Which customers bought, as a boolean array."""
        return self.h.purchase_days > 0


def score_population(
    rows: Sequence[Any], model: PopulationModel, policy: Policy, now: dt.datetime
) -> Population:
    """Score every customer of `rows` with `model` at `now`."""
    h = history_of(rows, now.date())
    values = value_scores(model, h, policy, cost_per_purchase(rows, h, policy))
    base = np.where(h.purchase_days > 0, values.p_no_purchase, 0.0)
    risk = 1 - (1 - base) * (1 - churn.service_risk(rows, now))
    segments: list[str] = []
    if rfm.has_edges(model.rfm_edges):
        r, f, m = rfm.rfm_scores(h, model.rfm_edges)
        segments = [
            rfm.rfm_segment(int(a), int(b), int(c)) if days > 0 else rfm.NO_PURCHASE_SEGMENT
            for a, b, c, days in zip(r, f, m, h.purchase_days, strict=True)
        ]
    ratios = churn.overdue_ratios(h)
    stages = [
        lifecycle_stage(
            int(days),
            float(x),
            float(k),
            None if math.isnan(q) else float(q),
            policy.churn_risk_threshold,
        )[0]
        for days, x, k, q in zip(h.purchase_days, h.x, risk, ratios, strict=True)
    ]
    return Population(
        now,
        policy,
        len(rows),
        h,
        model,
        values,
        risk,
        tiers(values.clv, model.tier_thresholds),
        segments,
        stages,
    )


@dataclass(frozen=True)
class Distribution:
    """How customers spread over tiers, RFM segments and lifecycle stages, at read time."""

    customers: int
    buyers: int
    tiers: dict[str, int]
    segments: dict[str, int]
    lifecycle_stages: dict[str, int]
    risk_bands: list[dict[str, float]]
    fit_id: int | None
    computed_at: dt.datetime


# Churn risk in tenths: [0, 0.1), [0.1, 0.2), ..., [0.9, 1.0].
RISK_EDGES = np.linspace(0.0, 1.0, 11)


def distribution(pop: Population) -> Distribution:
    """Buyers per tier, customers per RFM segment, lifecycle stage and tenth of churn risk."""
    by_tier = Counter(t for t, b in zip(pop.tiers, pop.buyers, strict=True) if b)
    by_stage = Counter(pop.stages)
    counts, _ = np.histogram(np.clip(pop.risk, 0.0, 1.0), bins=RISK_EDGES)
    return Distribution(
        customers=pop.customers,
        buyers=int(pop.buyers.sum()),
        tiers={t: by_tier.get(t, 0) for t in TIERS},
        segments=dict(sorted(Counter(pop.segments).items())),
        lifecycle_stages={s: by_stage.get(s, 0) for s in STAGES},
        risk_bands=[
            {"low": round(float(lo), 1), "high": round(float(hi), 1), "customers": int(n)}
            for lo, hi, n in zip(RISK_EDGES[:-1], RISK_EDGES[1:], counts, strict=True)
        ],
        fit_id=pop.model.fit_id,
        computed_at=pop.computed_at,
    )


@dataclass(frozen=True)
class Equity:
    """Customer equity: the sum of every customer's CLV."""

    customers: int
    equity: float
    equity_textbook: float
    average_clv: float
    by_tier: dict[str, float]
    horizon_months: int
    fit_id: int
    computed_at: dt.datetime


def equity(pop: Population) -> Equity:
    """Σ CLV in total and by tier."""
    by_tier: dict[str, float] = dict.fromkeys(TIERS, 0.0)
    for tier, clv in zip(pop.tiers, pop.values.clv, strict=True):
        by_tier[tier] += float(clv)
    total = float(pop.values.clv.sum())
    return Equity(
        customers=pop.customers,
        equity=round(total, 2),
        equity_textbook=round(float(pop.values.clv_textbook.sum()), 2),
        average_clv=round(total / pop.customers, 4) if pop.customers else 0.0,
        by_tier={k: round(v, 2) for k, v in by_tier.items()},
        horizon_months=pop.policy.clv_horizon_months,
        fit_id=pop.model.fit_id,
        computed_at=pop.computed_at,
    )


@dataclass(frozen=True)
class ChurnRate:
    """Population churn over the horizon and the average lifetime it implies."""

    buyers: int
    horizon_weeks: float
    churn_rate: float
    average_lifetime_weeks: float | None
    at_risk: int
    threshold: float
    expected_inactive: float
    fit_id: int
    computed_at: dt.datetime


def churn_rate(pop: Population) -> ChurnRate:
    """Expected share of buyers with no purchase over the horizon, and the implied lifetime."""
    buyers = pop.buyers
    n = int(buyers.sum())
    rate = float(pop.values.p_no_purchase[buyers].mean()) if n else 0.0
    horizon = pop.policy.churn_horizon_weeks
    threshold = pop.policy.churn_risk_threshold
    return ChurnRate(
        buyers=n,
        horizon_weeks=horizon,
        churn_rate=round(rate, 6),
        average_lifetime_weeks=round(horizon / rate, 3) if rate > 0 else None,
        at_risk=int((pop.risk[buyers] >= threshold).sum()),
        threshold=threshold,
        expected_inactive=round(float((1 - pop.values.p_alive[buyers]).sum()), 3),
        fit_id=pop.model.fit_id,
        computed_at=pop.computed_at,
    )
