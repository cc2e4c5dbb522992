"""Scores of several customers in one vectorised pass: the model's outputs over the batch.

Both the full score card of a customer (`card.py`) and the published scores of a whole batch
(`publishing.py`) read these arrays, so both give the same numbers. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.scoring.model import btyd
from services.scoring.model.btyd import Array
from services.scoring.model.history import History, history_of
from services.scoring.model.snapshot import PopulationModel
from services.scoring.scores import churn, rfm, value
from services.scoring.scores.policy import Policy
from shared.contracts.scoring import Tier


@dataclass
class Batch:
    """Vectorised model outputs for several customers at once, one entry per customer."""

    h: History
    ratios: Array
    values: value.ValueScores | None = None
    p_sched: Array | None = None
    tiers: list[Tier] | None = None
    rfm: tuple[Array, Array, Array] | None = None


def batch_of(
    stats: Sequence[Any], model: PopulationModel | None, policy: Policy, now: dt.datetime
) -> Batch:
    """The model's outputs for the statistics rows `stats` at `now`."""
    h = history_of(stats, now.date())
    out = Batch(h=h, ratios=churn.overdue_ratios(h))
    if model is not None:
        serving = value.cost_per_purchase(stats, h, policy)
        out.values = value.value_scores(model, h, policy, serving)
        out.p_sched = btyd.probability_no_purchase(
            model.bg, policy.churn_horizon_weeks, h.x, h.t_x, churn.on_schedule_age(h)
        )
        out.tiers = value.tiers(out.values.clv, model.tier_thresholds)
        if rfm.has_edges(model.rfm_edges):
            out.rfm = rfm.rfm_scores(h, model.rfm_edges)
    return out
