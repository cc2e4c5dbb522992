"""Churn risk: the model's P(no purchase) combined with complaint and satisfaction signals.

The service signals weigh the same for one customer (`churn_risk`, with reasons) and for the
whole population at once (`service_risk`): both read the weights from the functions below.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from services.scoring.model import btyd
from services.scoring.model.btyd import Array
from services.scoring.model.history import History
from services.scoring.model.snapshot import PopulationModel
from services.scoring.scores.policy import Policy

# A complaint this recent still weighs on churn risk after it is closed.
RECENT_COMPLAINT_DAYS = 90
# Days since the last complaint of a customer who never complained: never recent.
NEVER = 1e9
# Answer of a customer never surveyed: above every scale, so it weighs nothing.
NOT_ASKED = 99


@dataclass(frozen=True)
class Signals:
    """Service signals of one customer that BTYD models do not see."""

    complaints_open: int = 0
    last_complaint_at: dt.datetime | None = None
    last_csat: int | None = None
    last_nps: int | None = None
    last_quality: str | None = None


def signals_of(stats: Any) -> Signals:
    """The service signals of a statistics row."""
    return Signals(
        complaints_open=stats.complaints_open,
        last_complaint_at=stats.last_complaint_at,
        last_csat=stats.last_csat,
        last_nps=stats.last_nps,
        last_quality=stats.last_quality,
    )


@dataclass
class Reason:
    """One thing that drove a score, with how much it added."""

    code: str
    detail: str
    contribution: float


@dataclass
class ChurnRisk:
    """Churn risk with the reasons behind it, largest contribution first."""

    risk: float
    reasons: list[Reason] = field(default_factory=list)


def open_complaints_weight(open_complaints: ArrayLike) -> Array:
    """0.15 per open complaint, at most 0.3."""
    return np.asarray(np.minimum(0.3, 0.15 * np.asarray(open_complaints)), dtype=np.float64)


def recent_complaint_weight(open_complaints: ArrayLike, days_since: ArrayLike) -> Array:
    """0.1 for a complaint closed within `RECENT_COMPLAINT_DAYS` (open ones weigh already)."""
    recent = (np.asarray(open_complaints) == 0) & (np.asarray(days_since) < RECENT_COMPLAINT_DAYS)
    return np.asarray(np.where(recent, 0.1, 0.0), dtype=np.float64)


def csat_weight(csat: ArrayLike) -> Array:
    """0.2 for a satisfaction score of 1-2 out of 5, 0.05 for 3."""
    score = np.asarray(csat)
    return np.asarray(np.where(score <= 2, 0.2, np.where(score == 3, 0.05, 0.0)), dtype=np.float64)


def nps_weight(nps: ArrayLike) -> Array:
    """0.1 for an NPS detractor (0-6 out of 10)."""
    return np.asarray(np.where(np.asarray(nps) <= 6, 0.1, 0.0), dtype=np.float64)


def quality_weight(quality: ArrayLike) -> Array:
    """0.15 when the last perceived quality fell below what the customer expected (Q1 < Q0)."""
    below = np.asarray(quality, dtype=object) == "unacceptable"
    return np.asarray(np.where(below, 0.15, 0.0), dtype=np.float64)


def overdue_ratios(h: History) -> Array:
    """Weeks since the last purchase divided by the usual gap between purchases (repeaters)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(h.x > 0, h.t_x / np.maximum(h.x, 1), np.nan)
        ratio = np.where((h.x > 0) & (gap > 0), (h.T - h.t_x) / gap, np.nan)
    return np.asarray(ratio, dtype=np.float64)


def on_schedule_age(h: History) -> Array:
    """T as it would be had each repeater been seen at most one usual gap after the last buy."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(h.x > 0, h.t_x / np.maximum(h.x, 1), np.inf)
    return np.asarray(np.where(h.x > 0, np.minimum(h.T, h.t_x + gap), h.T), dtype=np.float64)


def combine(components: list[float]) -> float:
    """Noisy-or: the risk that at least one independent signal leads to churn."""
    keep = 1.0
    for c in components:
        keep *= 1 - c
    return 1 - keep


def purchase_reasons(
    base: float, on_schedule: float, x: float, overdue_ratio: float | None, horizon: float
) -> list[Reason]:
    """Split the model's P(no purchase) into the usual-pattern part and the overdue part."""
    if x == 0:
        detail = f"one purchase so far: P(no purchase in {horizon:g} weeks) from the model"
        return [Reason("one-time-buyer", detail, base)]
    reasons = [
        Reason(
            "purchase-pattern",
            f"P(no purchase in {horizon:g} weeks) for {int(x)} repeat purchase day(s), on schedule",
            min(on_schedule, base),
        )
    ]
    if base > on_schedule and overdue_ratio is not None:
        reasons.append(
            Reason(
                "overdue",
                f"{overdue_ratio:.1f}x the usual gap between purchases since the last one",
                base - on_schedule,
            )
        )
    return reasons


def service_reasons(signals: Signals, now: dt.datetime) -> list[Reason]:
    """The complaint and satisfaction signals that weigh, each with its weight."""
    days = (now - signals.last_complaint_at).days if signals.last_complaint_at else NEVER
    csat = NOT_ASKED if signals.last_csat is None else signals.last_csat
    nps = NOT_ASKED if signals.last_nps is None else signals.last_nps
    candidates = [
        Reason(
            "open-complaints",
            f"{signals.complaints_open} complaint(s) still open",
            float(open_complaints_weight(signals.complaints_open)),
        ),
        Reason(
            "recent-complaint",
            f"a complaint in the last {RECENT_COMPLAINT_DAYS} days",
            float(recent_complaint_weight(signals.complaints_open, days)),
        ),
        Reason("low-csat", f"last satisfaction score {csat}/5", float(csat_weight(csat))),
        Reason("nps-detractor", f"last NPS answer {nps}/10", float(nps_weight(nps))),
        Reason(
            "quality-below-expectation",
            "last survey: perceived quality below the expected",
            float(quality_weight(np.array([signals.last_quality], dtype=object))[0]),
        ),
    ]
    return [r for r in candidates if r.contribution > 0]


def churn_risk(purchase_parts: list[Reason], signals: Signals, now: dt.datetime) -> ChurnRisk:
    """Combine the model's P(no purchase) with complaint and satisfaction signals (noisy-or)."""
    base = sum(p.contribution for p in purchase_parts)
    service = service_reasons(signals, now)
    risk = combine([base] + [r.contribution for r in service])
    # Service signals are reported by what they added on top of the purchase-based risk.
    added = risk - base
    weights = sum(r.contribution for r in service)
    for r in service:
        r.contribution = added * r.contribution / weights if weights else 0.0
    parts = [Reason(r.code, r.detail, round(r.contribution, 6)) for r in purchase_parts + service]
    return ChurnRisk(
        risk=round(min(max(risk, 0.0), 1.0), 6),
        reasons=sorted(parts, key=lambda p: -p.contribution),
    )


def service_weights(rows: Sequence[Any], now: dt.datetime) -> list[Array]:
    """Each service signal's weight for many customers, in the order `churn_risk` combines them."""
    n = len(rows)
    open_ = np.array([r.complaints_open for r in rows], dtype=np.float64).reshape(n)
    days = np.array(
        [(now - r.last_complaint_at).days if r.last_complaint_at else NEVER for r in rows],
        dtype=np.float64,
    ).reshape(n)
    csat = np.array([NOT_ASKED if r.last_csat is None else r.last_csat for r in rows]).reshape(n)
    nps = np.array([NOT_ASKED if r.last_nps is None else r.last_nps for r in rows]).reshape(n)
    quality = np.array([r.last_quality for r in rows], dtype=object).reshape(n)
    return [
        open_complaints_weight(open_),
        recent_complaint_weight(open_, days),
        csat_weight(csat),
        nps_weight(nps),
        quality_weight(quality),
    ]


def service_risk(rows: Sequence[Any], now: dt.datetime) -> Array:
    """The complaint and satisfaction part of churn risk of many customers, as `churn_risk`."""
    keep = np.ones(len(rows))
    for part in service_weights(rows, now):
        keep *= 1 - part
    return np.asarray(1 - keep, dtype=np.float64)


def purchase_base(p_none: Array, on_schedule: Array, x: Array, overdue_ratio: Array) -> Array:
    """What `purchase_reasons` add up to for many customers, step for step in floating point:
    the on-schedule part, plus the overdue part when there is a usual gap (ratio not NaN)."""
    pattern = np.where(p_none < on_schedule, p_none, on_schedule)
    overdue = (p_none > on_schedule) & ~np.isnan(overdue_ratio)
    repeat = np.where(overdue, pattern + (p_none - on_schedule), pattern)
    return np.asarray(np.where(x == 0, p_none, repeat), dtype=np.float64)


def churn_risks(base: Array, rows: Sequence[Any], now: dt.datetime) -> list[float]:
    """`churn_risk(...).risk` of many customers: the purchase-based risk `base` of each combined
    with their service signals (noisy-or, in the same order), clipped and rounded the same."""
    keep = 1 - np.asarray(base, dtype=np.float64)
    for part in service_weights(rows, now):
        keep = keep * (1 - part)
    return [round(min(max(risk, 0.0), 1.0), 6) for risk in (1 - keep).tolist()]


def model_risk_vector(model: PopulationModel, h: History, policy: Policy) -> Array:
    """Churn risk from purchase history alone (the model's P(no purchase)), for a population."""
    risk = btyd.probability_no_purchase(model.bg, policy.churn_horizon_weeks, h.x, h.t_x, h.T)
    return np.asarray(np.where(h.purchase_days > 0, risk, 1.0), dtype=np.float64)


def auc(scores: Array, labels: Array) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    from scipy.stats import rankdata

    y = np.asarray(labels, dtype=bool)
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
