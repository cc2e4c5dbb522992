"""Every score of customers from their statistics, the fitted model and `now`, with reasons.

Scores are computed at read time from stored dates, so they age without new events. Several
customers are scored together (one vectorised pass); one customer is a batch of one.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.scoring.model.history import History
from services.scoring.model.snapshot import PopulationModel
from services.scoring.models import CustomerStats
from services.scoring.scores import churn, rfm, value
from services.scoring.scores.batch import Batch, batch_of
from services.scoring.scores.churn import Reason
from services.scoring.scores.lifecycle import lifecycle_stage
from services.scoring.scores.policy import Policy
from shared.contracts.scoring import LifecycleStage, Tier


@dataclass(frozen=True)
class Purchases:
    """Purchase statistics and the BG/NBD inputs derived from them (weeks)."""

    orders: int
    refunds: int
    gross_spend: Decimal
    refunded: Decimal
    net_spend: Decimal
    purchase_days: int
    first_purchase_at: dt.datetime | None
    last_purchase_at: dt.datetime | None
    x: int
    t_x_weeks: float
    T_weeks: float
    recency_days: int | None
    mean_repeat_spend: float


@dataclass(frozen=True)
class Value:
    """Model-based value: CLV, the pyramid tier, and what they come from."""

    clv: float
    clv_textbook: float
    horizon_months: int
    expected_purchases: float
    p_alive: float
    expected_spend_per_purchase: float
    tier: Tier
    tier_thresholds: dict[str, float]
    reasons: list[Reason]


@dataclass(frozen=True)
class Rfm:
    """RFM scores 1-5 against the population at the last refit, and the named segment."""

    recency: int
    frequency: int
    monetary: int
    score: str
    segment: str
    edges: dict[str, list[float]]


@dataclass(frozen=True)
class Churn:
    """Risk 0-1 of no purchase over the horizon, with the signals that drove it."""

    risk: float
    horizon_weeks: float
    threshold: float
    p_no_purchase: float | None
    reasons: list[Reason]


@dataclass(frozen=True)
class Lifecycle:
    """Relationship stage and the rule that chose it."""

    stage: LifecycleStage
    rule: str


@dataclass(frozen=True)
class ScoreCard:
    """Every score of one customer with its inputs."""

    purchases: Purchases
    value: Value | None
    rfm: Rfm | None
    churn: Churn
    lifecycle: Lifecycle


def score_cards(
    stats: Sequence[CustomerStats],
    model: PopulationModel | None,
    policy: Policy,
    now: dt.datetime,
) -> list[ScoreCard]:
    """All scores of several customers, computed together from statistics and `now`."""
    if not stats:
        return []
    batch = batch_of(stats, model, policy, now)
    return [card_of(row, i, batch, model, policy, now) for i, row in enumerate(stats)]


def score_card(
    stats: CustomerStats, model: PopulationModel | None, policy: Policy, now: dt.datetime
) -> ScoreCard:
    """All scores of one customer, computed from stored statistics and `now`."""
    return score_cards([stats], model, policy, now)[0]


def _purchases(stats: CustomerStats, h: History, i: int) -> Purchases:
    return Purchases(
        orders=stats.order_count,
        refunds=stats.refund_count,
        gross_spend=stats.gross_spend,
        refunded=stats.refunded,
        net_spend=stats.net_spend,
        purchase_days=stats.purchase_days,
        first_purchase_at=stats.first_purchase_at,
        last_purchase_at=stats.last_purchase_at,
        x=int(h.x[i]),
        t_x_weeks=round(float(h.t_x[i]), 6),
        T_weeks=round(float(h.T[i]), 6),
        recency_days=int(h.recency_days[i]) if stats.purchase_days else None,
        mean_repeat_spend=round(float(h.monetary_mean[i]), 6),
    )


def card_of(
    stats: CustomerStats,
    i: int,
    batch: Batch,
    model: PopulationModel | None,
    policy: Policy,
    now: dt.datetime,
) -> ScoreCard:
    """The score card of `stats`, entry `i` of `batch`, with every reason."""
    x = float(batch.h.x[i])
    raw_ratio = float(batch.ratios[i])
    ratio = None if math.isnan(raw_ratio) else raw_ratio
    worth = segment = None
    p_none: float | None = None
    if model is not None and stats.purchase_days > 0:
        worth, p_none, parts = _value(model, batch, i, policy, ratio)
        segment = _rfm(model, batch, i)
    elif model is None:
        parts = [Reason("no-model", "no population model fitted yet", 0.0)]
    else:
        parts = [Reason("no-purchase", "no purchase yet", 0.0)]
    risk = churn.churn_risk(parts, churn.signals_of(stats), now)
    stage, rule = lifecycle_stage(
        stats.purchase_days, x, risk.risk, ratio, policy.churn_risk_threshold
    )
    return ScoreCard(
        purchases=_purchases(stats, batch.h, i),
        value=worth,
        rfm=segment,
        churn=Churn(
            risk=risk.risk,
            horizon_weeks=policy.churn_horizon_weeks,
            threshold=policy.churn_risk_threshold,
            p_no_purchase=p_none,
            reasons=risk.reasons,
        ),
        lifecycle=Lifecycle(stage=stage, rule=rule),
    )


def _value(
    model: PopulationModel, batch: Batch, i: int, policy: Policy, ratio: float | None
) -> tuple[Value, float, list[Reason]]:
    v, h = batch.values, batch.h
    assert v is not None and batch.tiers is not None and batch.p_sched is not None
    clv = float(v.clv[i])
    tier = batch.tiers[i]
    bottom = tier == value.BOTTOM_TIER
    thresholds = model.tier_thresholds
    cut = thresholds[value.CUT_TIERS[-1]] if bottom else thresholds.get(tier, 0.0)
    relation = "below" if bottom else "at or above"
    value_reasons = [
        Reason(
            "expected-purchases",
            f"{float(v.expected_purchases[i]):.3f} repeat purchases expected in "
            f"{policy.churn_horizon_weeks:g} weeks",
            0.0,
        ),
        Reason(
            "expected-spend",
            f"{float(v.expected_spend[i]):.2f} expected per purchase (Gamma-Gamma)",
            0.0,
        ),
        Reason("tier-cut", f"CLV {clv:.2f} is {relation} the {tier} cut {cut:.2f}", 0.0),
    ]
    p_none = float(v.p_no_purchase[i])
    parts = churn.purchase_reasons(
        p_none, float(batch.p_sched[i]), float(h.x[i]), ratio, policy.churn_horizon_weeks
    )
    worth = Value(
        clv=round(clv, 6),
        clv_textbook=round(float(v.clv_textbook[i]), 6),
        horizon_months=policy.clv_horizon_months,
        expected_purchases=round(float(v.expected_purchases[i]), 9),
        p_alive=round(float(v.p_alive[i]), 9),
        expected_spend_per_purchase=round(float(v.expected_spend[i]), 6),
        tier=tier,
        tier_thresholds=model.tier_thresholds,
        reasons=value_reasons,
    )
    return worth, p_none, parts


def _rfm(model: PopulationModel, batch: Batch, i: int) -> Rfm | None:
    if batch.rfm is None:
        return None
    r, f, m = (int(a[i]) for a in batch.rfm)
    return Rfm(
        recency=r,
        frequency=f,
        monetary=m,
        score=f"{r}{f}{m}",
        segment=rfm.rfm_segment(r, f, m),
        edges=model.rfm_edges,
    )


@dataclass(frozen=True)
class Contacts:
    """How often and when the customer has been in contact."""

    count: int
    call_events: int
    first_contact_at: dt.datetime | None
    last_contact_at: dt.datetime | None
    by_channel: dict[str, int]


@dataclass(frozen=True)
class Complaints:
    """Complaints and satisfaction answers of the customer."""

    total: int
    open: int
    escalations: int
    by_root_cause: dict[str, int]
    last_complaint_at: dt.datetime | None
    last_csat: int | None
    last_nps: int | None


@dataclass(frozen=True)
class FitRef:
    """Which fit the scores come from."""

    fit_id: int
    fitted_at: dt.datetime


@dataclass(frozen=True)
class CustomerScore:
    """A customer's current scores with the statistics they come from."""

    customer_id: uuid.UUID
    contacts: Contacts
    purchases: Purchases
    complaints: Complaints
    model: FitRef | None
    value: Value | None
    rfm: Rfm | None
    churn: Churn
    lifecycle: Lifecycle
    computed_at: dt.datetime


def customer_score(
    stats: CustomerStats, card: ScoreCard, model: PopulationModel | None, now: dt.datetime
) -> CustomerScore:
    """The score card with the contact and complaint statistics behind it."""
    return CustomerScore(
        customer_id=uuid.UUID(stats.customer_id),
        contacts=Contacts(
            count=stats.contact_count,
            call_events=stats.call_event_count,
            first_contact_at=stats.first_contact_at,
            last_contact_at=stats.last_contact_at,
            by_channel=stats.contacts_by_channel or {},
        ),
        purchases=card.purchases,
        complaints=Complaints(
            total=stats.complaints_total,
            open=stats.complaints_open,
            escalations=stats.complaints_escalated,
            by_root_cause={k: v for k, v in (stats.complaints_by_root_cause or {}).items() if v},
            last_complaint_at=stats.last_complaint_at,
            last_csat=stats.last_csat,
            last_nps=stats.last_nps,
        ),
        model=None if model is None else FitRef(fit_id=model.fit_id, fitted_at=model.fitted_at),
        value=card.value,
        rfm=card.rfm,
        churn=card.churn,
        lifecycle=card.lifecycle,
        computed_at=now,
    )
