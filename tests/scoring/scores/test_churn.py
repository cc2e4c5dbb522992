"""Churn risk from purchase history ranks the CDNOW holdout's churners."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from services.scoring.model import btyd
from services.scoring.model.history import History, history
from services.scoring.model.snapshot import PopulationModel
from services.scoring.scores import churn
from services.scoring.scores.policy import Policy
from tests.scoring.cdnow import CALIBRATION_END, HOLDOUT_END, sample_log


def _calibration_and_holdout() -> tuple[History, np.ndarray[Any, Any], list[Any]]:
    calibration: dict[int, dict[dt.date, float]] = {}
    holdout: dict[int, int] = {}
    for p in sample_log():
        if p.day <= CALIBRATION_END:
            days = calibration.setdefault(p.customer, {})
            days[p.day] = days.get(p.day, 0.0) + float(p.spend)
        elif p.day <= HOLDOUT_END:
            holdout[p.customer] = holdout.get(p.customer, 0) + 1
    ids = sorted(calibration)
    h = history(
        [min(calibration[c]) for c in ids],
        [max(calibration[c]) for c in ids],
        [len(calibration[c]) for c in ids],
        [sum(calibration[c].values()) for c in ids],
        [calibration[c][min(calibration[c])] for c in ids],
        CALIBRATION_END,
    )
    churned = np.array([holdout.get(c, 0) == 0 for c in ids])
    return h, churned, ids


def test_churn_risk_ranks_holdout_churners_with_auc_at_least_075() -> None:
    h, churned, _ = _calibration_and_holdout()
    fit = btyd.fit_bgnbd(h.x, h.t_x, h.T)
    model = PopulationModel(1, dt.datetime.now(dt.UTC), fit.params, None, {}, {})
    risk = churn.model_risk_vector(model, h, Policy(churn_horizon_weeks=39))
    alive = btyd.probability_alive(fit.params, h.x, h.t_x, h.T)

    assert churn.auc(risk, churned) >= 0.75
    # P(alive) alone ranks worse than chance: every one-time buyer gets 1.
    assert churn.auc(1 - alive, churned) < 0.5
    assert churned.mean() == pytest.approx(0.71, abs=0.01)
