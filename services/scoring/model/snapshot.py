"""The fitted model as scores use it: parameters, tier cut points and RFM edges of one fit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.scoring.model.btyd import BetaGeoParams, GammaGammaParams
from services.scoring.models import ModelFit


@dataclass(frozen=True)
class PopulationModel:
    """A fitted model snapshot: parameters, tier thresholds and RFM edges."""

    fit_id: int
    fitted_at: dt.datetime
    bg: BetaGeoParams
    gg: GammaGammaParams | None
    tier_thresholds: dict[str, float]
    rfm_edges: dict[str, list[float]]


def snapshot(row: ModelFit) -> PopulationModel:
    """A PopulationModel from a stored fit."""
    bg = BetaGeoParams(**{k: row.bgnbd[k] for k in ("r", "alpha", "a", "b")})
    gg = None
    if row.gamma_gamma:
        gg = GammaGammaParams(**{k: row.gamma_gamma[k] for k in ("p", "q", "v")})
    return PopulationModel(
        fit_id=row.fit_id,
        fitted_at=row.fitted_at,
        bg=bg,
        gg=gg,
        tier_thresholds=dict(row.tier_thresholds),
        rfm_edges=dict(row.rfm_edges),
    )
