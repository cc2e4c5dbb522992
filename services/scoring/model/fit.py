"""Fitting the population: BG/NBD and Gamma-Gamma on buyers, tier cut points and RFM edges."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from services.scoring.errors import NotEnoughDataError
from services.scoring.model import btyd
from services.scoring.model.history import History
from services.scoring.model.snapshot import PopulationModel
from services.scoring.scores.policy import Policy
from services.scoring.scores.rfm import rfm_edges
from services.scoring.scores.value import tier_thresholds, value_scores
from shared.db import utcnow


@dataclass
class Fitted:
    """The numeric outcome of a refit, before it is stored."""

    bg: btyd.FitResult[btyd.BetaGeoParams]
    gg: btyd.FitResult[btyd.GammaGammaParams] | None
    tier_thresholds: dict[str, float]
    rfm_edges: dict[str, list[float]]
    seconds: float
    repeat_purchases: dict[str, float]


def fit_population(h: History, policy: Policy, tier_shares: tuple[float, float, float]) -> Fitted:
    """Fit BG/NBD and Gamma-Gamma on buyers, then derive tier cut points and RFM edges."""
    started = time.perf_counter()
    try:
        bg = btyd.fit_bgnbd(h.x, h.t_x, h.T)
    except btyd.FitError as exc:
        raise NotEnoughDataError(str(exc)) from exc
    try:
        gg: btyd.FitResult[btyd.GammaGammaParams] | None = btyd.fit_gamma_gamma(
            h.x, h.monetary_mean
        )
    except btyd.FitError:
        # Too few repeat buyers with spend: expected spend falls back to the customer's own mean.
        gg = None
    model = PopulationModel(0, utcnow(), bg.params, gg.params if gg else None, {}, rfm_edges(h))
    clv = value_scores(model, h, policy).clv
    # Fit quality in the units that matter: repeat purchases the model expects each customer
    # to have made by now, summed, against those actually made.
    expected = float(btyd.expected_purchases_new_customer(bg.params, h.T).sum())
    return Fitted(
        bg=bg,
        gg=gg,
        tier_thresholds=tier_thresholds(clv, tier_shares),
        rfm_edges=model.rfm_edges,
        seconds=time.perf_counter() - started,
        repeat_purchases={"expected": round(expected, 3), "actual": float(h.x.sum())},
    )


def fit_json(fit: btyd.FitResult[Any]) -> dict[str, Any]:
    """A fit's parameters and how the fit went, as stored with the fit."""
    params = {k: float(v) for k, v in vars(fit.params).items()}
    return {
        **params,
        "log_likelihood": fit.log_likelihood,
        "customers": fit.n,
        "distinct_histories": fit.distinct_rows,
        "iterations": fit.iterations,
        "converged": fit.converged,
        "seconds": fit.seconds,
    }
