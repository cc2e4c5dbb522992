"""ASGI entry point: `uvicorn --factory services.scoring.main:create_app --port 8003`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from services.scoring.consumers import consumer_specs
from services.scoring.metrics import model_metrics
from services.scoring.model import jobs
from services.scoring.model import routes as model_routes
from services.scoring.model.cache import ModelCache
from services.scoring.population import routes as population_routes
from services.scoring.privacy import routes as privacy_routes
from services.scoring.programmes import routes as programme_routes
from services.scoring.scores import routes as score_routes
from services.scoring.scores.service import Scorer
from services.scoring.settings import ScoringSettings
from services.scoring.states import routes as state_routes
from services.scoring.statistics import routes as statistics_routes
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import SCORING_PROGRAMMES, SCORING_SCORES
from shared.metrics import add_metrics

ROUTERS = (
    score_routes.router,
    statistics_routes.router,
    model_routes.router,
    population_routes.router,
    state_routes.router,
    programme_routes.router,
    privacy_routes.router,
)


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    """The scoring service app."""
    settings = settings or ScoringSettings()
    # One model cache for the app: requests and consumers score with the same latest fit.
    scorer = Scorer(settings=settings, models=ModelCache())

    @contextlib.asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if settings.refit_interval_seconds > 0:
            refits = jobs.scheduled_refits(
                app.state.db, scorer=scorer, interval_seconds=settings.refit_interval_seconds
            )
            task = asyncio.create_task(refits, name="scoring-refits")
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = create_service_app(
        ServiceSpec(
            name="scoring",
            title="Rapport scoring service",
            description=(
                "Per-customer statistics and scores (RFM, CLV, value tier, churn risk, "
                "lifecycle stage), computed live from events."
            ),
            settings=settings,
            migrations_dir=Path(__file__).parent / "migrations",
            routers=list(ROUTERS),
            publishes=[SCORING_SCORES, SCORING_PROGRAMMES],
            consumers=consumer_specs(scorer),
            resources=resources,
        )
    )
    app.state.settings = settings
    app.state.models = scorer.models
    add_metrics(app, model_metrics)
    return app
