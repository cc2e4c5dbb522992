"""ASGI entry point: `uvicorn --factory services.scoring.main:create_app --port 8003`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from services.scoring import service
from services.scoring.consumers import consumer_specs
from services.scoring.errors import NotEnoughDataError
from services.scoring.routes import ROUTERS
from services.scoring.settings import ScoringSettings
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import SCORING_SCORES
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)


async def scheduled_refits(app: FastAPI, settings: ScoringSettings) -> None:
    """Refit every `refit_interval_seconds`, so thresholds follow the population."""
    while True:
        await asyncio.sleep(settings.refit_interval_seconds)
        db: Database = app.state.db
        try:
            async with db.sessionmaker() as session:
                fit = await service.refit(session, settings=settings, trigger="schedule")
                await session.commit()
            published = await service.rescore_all(db, settings=settings)
            log.info("model_refitted", fit_id=fit.fit_id, customers=fit.customers, events=published)
        except NotEnoughDataError as exc:
            log.info("model_refit_skipped", reason=exc.detail)
        except Exception as exc:
            log.warning("model_refit_failed", error=repr(exc))


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    """The scoring service app."""
    settings = settings or ScoringSettings()

    @contextlib.asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if settings.refit_interval_seconds > 0:
            task = asyncio.create_task(scheduled_refits(app, settings), name="scoring-refits")
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
            publishes=[SCORING_SCORES],
            consumers=consumer_specs(settings),
            resources=resources,
        )
    )
    app.state.settings = settings
    return app
