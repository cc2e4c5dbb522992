"""ASGI entry point: `uvicorn --factory services.contact.main:create_app --port 8001`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.contact.calls.routes import router as call_router
from services.contact.consumers import SCORING_EVENTS
from services.contact.contacts.routes import router as contact_router
from services.contact.customers.routes import router as customer_router
from services.contact.metrics import queue_metrics
from services.contact.settings import ContactSettings
from services.contact.webhooks.routes import router as webhook_router
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import CONTACT_CALLS, CONTACT_CUSTOMERS
from shared.metrics import add_metrics


def create_app(settings: ContactSettings | None = None) -> FastAPI:
    """The contact service app."""
    settings = settings or ContactSettings()
    app = create_service_app(
        ServiceSpec(
            name="contact",
            title="Rapport contact service",
            description="Customers and their identities, calls and contacts across channels.",
            settings=settings,
            migrations_dir=Path(__file__).parent / "migrations",
            routers=[customer_router, contact_router, call_router, webhook_router],
            publishes=[CONTACT_CALLS, CONTACT_CUSTOMERS],
            consumers=[SCORING_EVENTS],
        )
    )
    app.state.settings = settings
    add_metrics(app, queue_metrics)
    return app
