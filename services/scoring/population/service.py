"""Scoring every customer at once for the population views."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.errors import ModelNotFittedError
from services.scoring.model.cache import ModelCache
from services.scoring.population import repository
from services.scoring.population.reports import Population, score_population
from services.scoring.scores.policy import policy_of
from services.scoring.settings import ScoringSettings
from shared.db import utcnow


async def score_everyone(
    session: AsyncSession,
    *,
    settings: ScoringSettings,
    models: ModelCache,
    now: dt.datetime | None = None,
) -> Population:
    """Score every customer with the latest model; raises `ModelNotFittedError`."""
    model = await models.current(session)
    if model is None:
        raise ModelNotFittedError()
    rows = await repository.all_stats(session)
    policy = policy_of(settings)
    return await asyncio.to_thread(score_population, rows, model, policy, now or utcnow())
