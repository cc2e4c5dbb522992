"""Scoring's own series: the age of the population model the scores use."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client.core import Metric
from sqlalchemy import func, select

from services.scoring.models import ModelFit
from shared.metrics import age_seconds, gauge


async def model_metrics(app: FastAPI) -> list[Metric]:
    """Seconds since the latest model fit, and whether there is one at all."""
    async with app.state.db.read_sessionmaker() as session:
        latest = await session.scalar(select(func.max(ModelFit.fitted_at)))
    fitted = gauge("rapport_scoring_model_fitted", "1 once a population model has been fitted.")
    fitted.add_metric([], 0.0 if latest is None else 1.0)
    families: list[Metric] = [fitted]
    if latest is not None:
        age = gauge("rapport_scoring_model_age_seconds", "Seconds since the latest model fit.")
        age.add_metric([], age_seconds(latest))
        families.append(age)
    return families
