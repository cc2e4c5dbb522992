"""Which score changes are news: the events a customer's new scores call for, and why.

Pure: compares the scores last published (kept on the statistics row) with the new ones.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from services.scoring.model.snapshot import PopulationModel
from services.scoring.models import CustomerStats
from services.scoring.scores import churn, rfm
from services.scoring.scores.batch import Batch
from services.scoring.scores.card import ScoreCard
from services.scoring.scores.lifecycle import lifecycle_stages
from services.scoring.scores.policy import Policy
from services.scoring.settings import ScoringSettings
from shared.contracts.scoring import (
    ChurnRiskRaisedV1,
    CustomerScoredV1,
    LifecycleStage,
    Tier,
    TierChangedV1,
)
from shared.events import Event


@dataclass(frozen=True)
class PublishedScores:
    """The scores subscribers hear about, as kept on the statistics row and in the history."""

    tier: Tier | None
    clv: float | None
    churn_risk: float
    rfm_segment: str | None
    lifecycle_stage: LifecycleStage


def published_scores(card: ScoreCard) -> PublishedScores:
    """The part of a score card that is published."""
    return PublishedScores(
        tier=card.value.tier if card.value else None,
        clv=card.value.clv if card.value else None,
        churn_risk=card.churn.risk,
        rfm_segment=card.rfm.segment if card.rfm else None,
        lifecycle_stage=card.lifecycle.stage,
    )


def published_many(
    stats: Sequence[CustomerStats],
    batch: Batch,
    model: PopulationModel | None,
    policy: Policy,
    now: dt.datetime,
) -> list[PublishedScores]:
    """`published_scores` of each customer's card, computed over the batch's arrays without
    building the cards: the same numbers, float step for float step."""
    h, n = batch.h, len(stats)
    tiers: list[Tier | None] = [None] * n
    clvs: list[float | None] = [None] * n
    segments: list[str | None] = [None] * n
    base = np.zeros(n)
    if model is not None:
        v, p_sched, found = batch.values, batch.p_sched, batch.tiers
        assert v is not None and p_sched is not None and found is not None
        scored = h.purchase_days > 0
        parts = churn.purchase_base(v.p_no_purchase, p_sched, h.x, batch.ratios)
        base = np.where(scored, parts, 0.0)
        clv = v.clv.tolist()
        named = rfm.rfm_segments(batch.rfm) if batch.rfm is not None else segments
        for i in np.flatnonzero(scored).tolist():
            tiers[i], clvs[i], segments[i] = found[i], round(clv[i], 6), named[i]
    risks = churn.churn_risks(base, stats, now)
    stages = lifecycle_stages(
        h.purchase_days, h.x, np.array(risks), batch.ratios, policy.churn_risk_threshold
    )
    return [PublishedScores(*row) for row in zip(tiers, clvs, risks, segments, stages, strict=True)]


def events_for(
    stats: CustomerStats,
    new: PublishedScores,
    reasons: Callable[[], list[str]],
    *,
    settings: ScoringSettings,
    now: dt.datetime,
) -> list[Event]:
    """The events that publishing `new` over the scores last published on `stats` calls for;
    `reasons()` gives the codes of the churn reasons that add risk, asked for only when the
    risk crosses the threshold."""
    customer_id = uuid.UUID(stats.customer_id)
    events: list[Event] = []
    if new.tier is not None and new.clv is not None and new.tier != stats.tier:
        events.append(
            TierChangedV1(
                customer_id=customer_id,
                previous_tier=stats.tier,
                tier=new.tier,
                clv=new.clv,
                churn_risk=new.churn_risk,
                changed_at=now,
            )
        )
    previous_risk = stats.churn_risk
    threshold = settings.churn_risk_threshold
    # A first score is no crossing: its risk travels in customer_scored and tier_changed.
    if previous_risk is not None and previous_risk < threshold <= new.churn_risk:
        events.append(
            ChurnRiskRaisedV1(
                customer_id=customer_id,
                previous_risk=previous_risk,
                churn_risk=new.churn_risk,
                threshold=threshold,
                tier=new.tier,
                reasons=reasons(),
                raised_at=now,
            )
        )
    if events or changed_enough(stats, new, settings):
        scored = CustomerScoredV1(customer_id=customer_id, scored_at=now, **vars(new))
        events.insert(0, scored)
    return events


def changed_enough(stats: CustomerStats, new: PublishedScores, settings: ScoringSettings) -> bool:
    """True when the scores moved far enough from those last published to publish again."""
    if stats.scored_at is None:
        # A first score is news once it says something: a value, or some risk.
        return new.clv is not None or new.churn_risk > 0
    if new.rfm_segment != stats.rfm_segment or new.lifecycle_stage != stats.lifecycle_stage:
        return True
    if abs(new.churn_risk - (stats.churn_risk or 0.0)) >= settings.score_risk_delta:
        return True
    if new.clv is None or stats.clv is None:
        return new.clv != stats.clv
    return abs(new.clv - stats.clv) >= settings.score_clv_delta * max(abs(stats.clv), 1.0)
