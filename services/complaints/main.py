"""ASGI entry point: `uvicorn --factory services.complaints.main:create_app --port 8002`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.complaints.settings import ComplaintsSettings
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import COMPLAINTS_COMPLAINTS


def create_app(settings: ComplaintsSettings | None = None) -> FastAPI:
    """The complaints service app: database, outbox relay and health so far."""
    settings = settings or ComplaintsSettings()
    app = create_service_app(
        ServiceSpec(
            name="complaints",
            title="Rapport complaints service",
            description="Complaint lifecycles (ISO 10002), SLAs on business calendars.",
            settings=settings,
            migrations_dir=Path(__file__).parent / "migrations",
            publishes=[COMPLAINTS_COMPLAINTS],
        )
    )
    app.state.settings = settings
    return app
