"""What the scoring routes are handed: the settings, the model cache and a scorer built of them.

The dependencies are coroutines: FastAPI runs a plain function dependency in a worker thread,
a hop that costs more than what these do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.scoring.model.cache import ModelCache
from services.scoring.scores.service import Scorer
from services.scoring.settings import ScoringSettings


async def _settings(request: Request) -> ScoringSettings:
    value = request.app.state.settings
    if not isinstance(value, ScoringSettings):
        raise TypeError(f"app.state.settings is {type(value).__name__}, not ScoringSettings")
    return value


Settings = Annotated[ScoringSettings, Depends(_settings)]


async def _models(request: Request) -> ModelCache:
    value = request.app.state.models
    if not isinstance(value, ModelCache):
        raise TypeError(f"app.state.models is {type(value).__name__}, not ModelCache")
    return value


Models = Annotated[ModelCache, Depends(_models)]


async def _scorer(settings: Settings, models: Models) -> Scorer:
    return Scorer(settings=settings, models=models)


# Rescoring as requests do it: with the app's settings and model cache, publishing changes.
Scoring = Annotated[Scorer, Depends(_scorer)]
