"""HTTP shape of a stored fit."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class ModelRead(BaseModel):
    """The latest fit: parameters, fit quality, fit time and derived thresholds."""

    model_config = ConfigDict(from_attributes=True)

    fit_id: int
    fitted_at: dt.datetime
    trigger: str
    customers: int
    repeat_buyers: int
    time_unit: str = "weeks"
    bgnbd: dict[str, float | int | bool | str]
    gamma_gamma: dict[str, float | int | bool | str] | None
    tier_thresholds: dict[str, float]
    rfm_edges: dict[str, list[float]]
    fit_seconds: float
