"""ASGI entry point: `uvicorn --factory services.complaints.main:create_app --port 8002`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.complaints.audit.routes import router as audit_router
from services.complaints.complaints.routes import router as complaints_router
from services.complaints.consumers import make_consumers
from services.complaints.dependencies import Clock
from services.complaints.escalation.routes import router as escalation_router
from services.complaints.lifecycle.routes import router as lifecycle_router
from services.complaints.metrics import sla_metrics
from services.complaints.privacy.routes import router as privacy_router
from services.complaints.reports.routes import router as reports_router
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla.timers import sla_timer
from services.complaints.surveys.routes import router as surveys_router
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import COMPLAINTS_COMPLAINTS
from shared.db import utcnow
from shared.metrics import add_metrics


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
            routers=[
                complaints_router,
                reports_router,
                lifecycle_router,
                escalation_router,
                audit_router,
                surveys_router,
                privacy_router,
            ],
            publishes=[COMPLAINTS_COMPLAINTS],
            consumers=make_consumers(settings, clock),
            resources=sla_timer,
        )
    )
    app.state.settings = settings
    app.state.clock = clock
    add_metrics(app, sla_metrics)
    return app
