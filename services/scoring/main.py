"""ASGI entry point: `uvicorn --factory services.scoring.main:create_app --port 8003`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.scoring.consumers import CONTACT_EVENTS
from services.scoring.routes import router
from services.scoring.settings import ScoringSettings
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import SCORING_SCORES


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    """The scoring service app."""
    settings = settings or ScoringSettings()
    app = create_service_app(
        ServiceSpec(
            name="scoring",
            title="Rapport scoring service",
            description="Per-customer statistics and scores, computed live from events.",
            settings=settings,
            migrations_dir=Path(__file__).parent / "migrations",
            routers=[router],
            publishes=[SCORING_SCORES],
            consumers=[CONTACT_EVENTS],
        )
    )
    app.state.settings = settings
    return app
