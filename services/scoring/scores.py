"""Scores from per-customer statistics and the fitted population model, computed at read time.

Everything time-dependent (T, recency, churn risk) is derived from stored dates and `now`, so
scores age correctly without new events. Functions work on numpy arrays (the population) and
the per-customer path calls them with one row.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.scoring import btyd
from services.scoring.btyd import Array, BetaGeoParams, GammaGammaParams

TIERS = ("gold", "silver", "bronze", "iron")
RFM_DIMENSIONS = ("recency", "frequency", "monetary")
# Repeat-purchase days from which a relationship counts as stable rather than forming.
STABILITY_MIN_REPEATS = 4
# A complaint this recent still weighs on churn risk after it is closed.
RECENT_COMPLAINT_DAYS = 90

# Named RFM segments, first match wins: (name, R range, F range, M range), ranges inclusive.
SEGMENT_RULES: tuple[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]], ...] = (
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal", (3, 5), (4, 5), (1, 5)),
    ("Can't lose them", (1, 2), (4, 5), (4, 5)),
    ("At risk", (1, 2), (3, 5), (1, 5)),
    ("Potential loyalists", (4, 5), (2, 3), (1, 5)),
    ("New customers", (5, 5), (1, 1), (1, 5)),
    ("Promising", (4, 4), (1, 1), (1, 5)),
    ("Need attention", (3, 3), (2, 3), (1, 5)),
    ("About to sleep", (3, 3), (1, 1), (1, 5)),
    ("Hibernating", (2, 2), (1, 2), (1, 5)),
    ("Lost", (1, 1), (1, 2), (1, 5)),
)


@dataclass(frozen=True)
class PopulationModel:
    """A fitted model snapshot: parameters, tier thresholds and RFM edges."""

    fit_id: int
    fitted_at: dt.datetime
    bg: BetaGeoParams
    gg: GammaGammaParams | None
    thresholds: dict[str, float]
    rfm_edges: dict[str, list[float]]


@dataclass(frozen=True)
class Policy:
    """The settings scores depend on."""

    clv_horizon_months: int = 12
    clv_monthly_discount_rate: float = 0.01
    clv_annual_discount_rate: float = 0.1
    churn_horizon_weeks: float = 39.0
    churn_risk_threshold: float = 0.7


@dataclass
class History:
    """The purchase history of customers in model terms (weeks), one array entry per customer."""

    purchase_days: Array
    x: Array
    t_x: Array
    T: Array
    recency_days: Array
    monetary_mean: Array
    net_spend: Array

    @property
    def size(self) -> int:
        """Number of customers."""
        return int(self.x.size)


def history(
    first_days: list[dt.date | None],
    last_days: list[dt.date | None],
    purchase_days: list[int],
    net_spend: list[float],
    first_day_spend: list[float],
    today: dt.date,
) -> History:
    """Model inputs from stored statistics: x, t_x, T in weeks and m̄ of repeat purchases."""
    n = len(purchase_days)
    days = np.asarray(purchase_days, dtype=np.float64)
    first = np.array([(today - d).days if d else 0 for d in first_days], dtype=np.float64)
    last = np.array([(today - d).days if d else 0 for d in last_days], dtype=np.float64)
    x = np.maximum(days - 1, 0)
    spend = np.asarray(net_spend, dtype=np.float64).reshape(n)
    repeat_spend = spend - np.asarray(first_day_spend, dtype=np.float64).reshape(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(x > 0, np.maximum(repeat_spend, 0) / np.maximum(x, 1), 0.0)
    age = np.maximum(first, 0) / 7.0
    # Purchases dated in the future (clock skew) must not make t_x exceed T.
    return History(
        purchase_days=days,
        x=x,
        t_x=np.minimum(np.maximum(first - last, 0) / 7.0, age),
        T=age,
        recency_days=np.maximum(last, 0),
        monetary_mean=mean,
        net_spend=spend,
    )


@dataclass
class ValueScores:
    """Model outputs per customer."""

    expected_purchases: Array
    p_alive: Array
    p_no_purchase: Array
    expected_spend: Array
    clv: Array
    clv_textbook: Array


def value_scores(model: PopulationModel, h: History, policy: Policy) -> ValueScores:
    """Expected purchases, P(alive), P(no purchase), expected spend and CLV per customer."""
    horizon = policy.churn_horizon_weeks
    buyers = h.purchase_days > 0
    exp_purchases = np.where(buyers, btyd.expected_purchases(model.bg, horizon, h.x, h.t_x, h.T), 0)
    p_alive = btyd.probability_alive(model.bg, h.x, h.t_x, h.T)
    p_none = btyd.probability_no_purchase(model.bg, horizon, h.x, h.t_x, h.T)
    if model.gg is not None:
        spend = btyd.expected_spend(model.gg, h.x, h.monetary_mean)
    else:
        spend = np.where(h.purchase_days > 0, h.net_spend / np.maximum(h.purchase_days, 1), 0.0)
    spend = np.where(buyers, np.maximum(spend, 0), 0.0)
    flows = btyd.monthly_cash_flows(
        model.bg, spend, h.x, h.t_x, h.T, months=policy.clv_horizon_months
    )
    flows[~buyers] = 0.0
    return ValueScores(
        expected_purchases=np.asarray(exp_purchases, dtype=np.float64),
        p_alive=p_alive,
        p_no_purchase=np.where(buyers, p_none, 1.0),
        expected_spend=spend,
        clv=btyd.discounted_clv(flows, policy.clv_monthly_discount_rate),
        clv_textbook=btyd.textbook_clv(flows, policy.clv_annual_discount_rate),
    )


def tier_thresholds(clv: Array, shares: tuple[float, float, float]) -> dict[str, float]:
    """CLV cut points of gold, silver and bronze: exact ranks, ties at a cut go up."""
    ordered = np.sort(np.asarray(clv, dtype=np.float64))[::-1]
    n = ordered.size
    out: dict[str, float] = {}
    cumulative = 0.0
    previous_k = 0
    for name, share in zip(TIERS[:3], shares, strict=True):
        cumulative += share
        k = max(previous_k, 1, round(n * cumulative)) if n else 0
        out[name] = float(ordered[min(k, n) - 1]) if n else math.inf
        previous_k = k
    return out


def tiers(clv: Array, thresholds: dict[str, float]) -> list[str]:
    """The pyramid tier of each CLV; zero CLV is always iron."""
    values = np.asarray(clv, dtype=np.float64)
    out = np.full(values.shape, "iron", dtype=object)
    for name in ("bronze", "silver", "gold"):
        out[(values >= thresholds[name]) & (values > 0)] = name
    return [str(t) for t in out]


def rfm_edges(h: History) -> dict[str, list[float]]:
    """Quintile edges (20/40/60/80 %) of each RFM dimension over customers who bought."""
    buyers = h.purchase_days > 0
    if not np.any(buyers):
        return {d: [] for d in RFM_DIMENSIONS}
    qs = [0.2, 0.4, 0.6, 0.8]
    return {
        "recency": [float(v) for v in np.quantile(h.recency_days[buyers], qs)],
        "frequency": [float(v) for v in np.quantile(h.purchase_days[buyers], qs)],
        "monetary": [float(v) for v in np.quantile(h.net_spend[buyers], qs)],
    }


def rfm_scores(h: History, edges: dict[str, list[float]]) -> tuple[Array, Array, Array]:
    """R, F, M scores 1-5: one point per population edge beaten, so equal values score equal."""
    r_edges = np.asarray(edges["recency"], dtype=np.float64)
    f_edges = np.asarray(edges["frequency"], dtype=np.float64)
    m_edges = np.asarray(edges["monetary"], dtype=np.float64)
    # Recency counts edges the customer is more recent than (fewer days is better).
    r = 1 + (h.recency_days[:, None] < r_edges[None, :]).sum(axis=1)
    f = 1 + (h.purchase_days[:, None] > f_edges[None, :]).sum(axis=1)
    m = 1 + (h.net_spend[:, None] > m_edges[None, :]).sum(axis=1)
    return r.astype(np.float64), f.astype(np.float64), m.astype(np.float64)


def rfm_segment(r: int, f: int, m: int) -> str:
    """The named segment of an RFM cell (first matching rule of SEGMENT_RULES)."""
    for name, (r0, r1), (f0, f1), (m0, m1) in SEGMENT_RULES:
        if r0 <= r <= r1 and f0 <= f <= f1 and m0 <= m <= m1:
            return name
    return "Others"


@dataclass(frozen=True)
class Signals:
    """Service signals of one customer that BTYD models do not see."""

    complaints_open: int = 0
    last_complaint_at: dt.datetime | None = None
    last_csat: int | None = None
    last_nps: int | None = None


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


def churn_risk(purchase_parts: list[Reason], signals: Signals, now: dt.datetime) -> ChurnRisk:
    """Combine the model's P(no purchase) with complaint and satisfaction signals (noisy-or)."""
    base = sum(p.contribution for p in purchase_parts)
    service: list[Reason] = []
    if signals.complaints_open:
        service.append(
            Reason(
                "open-complaints",
                f"{signals.complaints_open} complaint(s) still open",
                min(0.3, 0.15 * signals.complaints_open),
            )
        )
    elif (
        signals.last_complaint_at and (now - signals.last_complaint_at).days < RECENT_COMPLAINT_DAYS
    ):
        service.append(
            Reason("recent-complaint", f"a complaint in the last {RECENT_COMPLAINT_DAYS} days", 0.1)
        )
    if signals.last_csat is not None and signals.last_csat <= 3:
        weight = 0.2 if signals.last_csat <= 2 else 0.05
        service.append(Reason("low-csat", f"last satisfaction score {signals.last_csat}/5", weight))
    if signals.last_nps is not None and signals.last_nps <= 6:
        service.append(Reason("nps-detractor", f"last NPS answer {signals.last_nps}/10", 0.1))
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


def model_risk_vector(model: PopulationModel, h: History, policy: Policy) -> Array:
    """Churn risk from purchase history alone (the model's P(no purchase)), for a population."""
    risk = btyd.probability_no_purchase(model.bg, policy.churn_horizon_weeks, h.x, h.t_x, h.T)
    return np.asarray(np.where(h.purchase_days > 0, risk, 1.0), dtype=np.float64)


def lifecycle_stage(
    purchase_days: int, x: float, risk: float, overdue_ratio: float | None, threshold: float
) -> tuple[str, str]:
    """The relationship stage and the rule that chose it."""
    if purchase_days == 0:
        return "exploration", "no purchase yet"
    if risk >= threshold:
        return "decline", f"churn risk {risk:.2f} at or above {threshold:.2f}"
    if overdue_ratio is not None and not math.isnan(overdue_ratio) and overdue_ratio >= 2:
        return "decline", f"{overdue_ratio:.1f}x the usual gap since the last purchase"
    if x == 0:
        return "exploration", "one purchase day so far"
    if x < STABILITY_MIN_REPEATS:
        return "formation", f"{int(x)} repeat purchase day(s), fewer than {STABILITY_MIN_REPEATS}"
    return "stability", f"{int(x)} repeat purchase days and churn risk below {threshold:.2f}"


def auc(scores: Array, labels: Array) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    from scipy.stats import rankdata

    y = np.asarray(labels, dtype=bool)
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def model_snapshot(row: Any) -> PopulationModel:
    """A PopulationModel from a stored ModelFit row."""
    bg = BetaGeoParams(**{k: row.bgnbd[k] for k in ("r", "alpha", "a", "b")})
    gg = None
    if row.gamma_gamma:
        gg = GammaGammaParams(**{k: row.gamma_gamma[k] for k in ("p", "q", "v")})
    return PopulationModel(
        fit_id=row.id,
        fitted_at=row.fitted_at,
        bg=bg,
        gg=gg,
        thresholds=dict(row.thresholds),
        rfm_edges=dict(row.rfm_edges),
    )
