"""Refitting the population model and reading the latest fit."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.errors import ModelNotFittedError, NotEnoughDataError
from services.scoring.model import repository
from services.scoring.model.cache import ModelCache
from services.scoring.model.fit import fit_json, fit_population
from services.scoring.model.history import history_of
from services.scoring.models import ModelFit
from services.scoring.scores.policy import policy_of
from services.scoring.settings import ScoringSettings
from shared.db import utcnow


async def refit(
    session: AsyncSession,
    *,
    settings: ScoringSettings,
    models: ModelCache,
    trigger: str = "api",
    now: dt.datetime | None = None,
) -> ModelFit:
    """Fit the models on every buyer and store the fit with its thresholds."""
    now = now or utcnow()
    rows = await repository.buyers(session)
    if len(rows) < settings.refit_min_customers:
        raise NotEnoughDataError(
            f"{len(rows)} customers with purchases; a refit needs {settings.refit_min_customers}."
        )
    h = history_of(rows, now.date())
    shares = (settings.tier_gold_share, settings.tier_silver_share, settings.tier_bronze_share)
    fitted = await asyncio.to_thread(fit_population, h, policy_of(settings), shares)
    row = ModelFit(
        fitted_at=now,
        trigger=trigger,
        customers=h.size,
        repeat_buyers=int((h.x > 0).sum()),
        bgnbd={
            **fit_json(fitted.bg),
            "expected_repeat_purchases": fitted.repeat_purchases["expected"],
            "actual_repeat_purchases": fitted.repeat_purchases["actual"],
        },
        gamma_gamma=fit_json(fitted.gg) if fitted.gg else None,
        tier_thresholds=fitted.tier_thresholds,
        rfm_edges=fitted.rfm_edges,
        fit_seconds=fitted.seconds,
    )
    session.add(row)
    await session.flush()
    # This process reads the new fit at once (once committed); others within the cache time.
    models.forget(session)
    return row


async def get_model(session: AsyncSession) -> ModelFit:
    """The latest fit; raises `ModelNotFittedError`."""
    row = await repository.latest_fit(session)
    if row is None:
        raise ModelNotFittedError()
    return row
