"""ASGI entry point: `uvicorn --factory services.complaints.main:create_app --port 8002`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.complaints.consumers import make_consumers
from services.complaints.routes import router
from services.complaints.settings import ComplaintsSettings
from services.complaints.timers import Clock, sla_timer
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import COMPLAINTS_COMPLAINTS
from shared.db import utcnow


def create_app(settings: ComplaintsSettings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """The complaints service app; `clock` drives every timestamp and the SLA timer."""
    settings = settings or ComplaintsSettings()
    app = create_service_app(
        ServiceSpec(
            name="complaints",
            title="Rapport complaints service",
            description="Complaint lifecycles (ISO 10002), SLAs on business calendars.",
            settings=settings,
            migrations_dir=Path(__file__).parent / "migrations",
            routers=[router],
            publishes=[COMPLAINTS_COMPLAINTS],
            consumers=make_consumers(settings, clock),
            resources=sla_timer,
        )
    )
    app.state.settings = settings
    app.state.clock = clock
    return app
