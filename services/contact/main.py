"""ASGI entry point: `uvicorn --factory services.contact.main:create_app --port 8001`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.contact.agents.routes import router as agent_router
from services.contact.calls.routes import router as call_router
from services.contact.consumers import complaint_events, scoring_events
from services.contact.contacts.routes import router as contact_router
from services.contact.customers.routes import router as customer_router
from services.contact.followups.routes import router as follow_up_router
from services.contact.kpis.routes import router as kpi_router
from services.contact.kpis.worker import KpiRollup
from services.contact.metrics import queue_metrics
from services.contact.privacy.routes import router as privacy_router
from services.contact.privacy.service import call_payload_purge
from services.contact.queues.routes import router as queue_router
from services.contact.routing.connect import PhoneSystem
from services.contact.routing.routes import router as routing_router
from services.contact.routing.worker import ROUTING_TABLES, Router
from services.contact.settings import ContactSettings
from services.contact.staffing.routes import router as staffing_router
from services.contact.surveys.routes import router as survey_router
from services.contact.webhooks.routes import router as webhook_router
from services.contact.webhooks.worker import Settler
from shared.app import ServiceSpec, create_service_app
from shared.contracts.topics import (
    CONTACT_CALLS,
    CONTACT_CUSTOMERS,
    CONTACT_ROUTING,
    CONTACT_SURVEYS,
)
from shared.leader import in_background
from shared.metrics import add_metrics
from shared.retention import Purge


def routing(
    settings: ContactSettings,
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """The router (woken by commits to its tables), the KPI roll-up and the settle job."""

    @contextlib.asynccontextmanager
    async def resource(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as http:
            router = Router(app.state.db, settings, PhoneSystem(settings, http))
            app.state.db.on_commit(router.wake, tables=ROUTING_TABLES)
            app.state.router = router
            task = asyncio.create_task(router.run(), name="contact-router")
            rollup = KpiRollup(app.state.db, settings)
            app.state.kpi_rollup = rollup
            settler = Settler(app.state.db, settings)
            app.state.settler = settler
            try:
                async with (
                    in_background(rollup.run, name="contact-kpi-rollup"),
                    in_background(settler.run, name="contact-settler"),
                ):
                    yield
            finally:
                task.cancel()
                # A pass stuck on the database must not hold up the shutdown for long.
                await asyncio.wait({task}, timeout=5)

    return resource


def retention(settings: ContactSettings) -> dict[str, Purge]:
    """Contact's own retention purges, beside the outbox and inbox ones."""
    days = settings.call_payload_retention_days
    return {"call_payloads": call_payload_purge(days)} if days else {}


def create_app(settings: ContactSettings | None = None) -> FastAPI:
    """The contact service app."""
    settings = settings or ContactSettings()
    app = create_service_app(
        ServiceSpec(
            name="contact",
            title="Rapport contact service",
            description=(
                "Customers and their identities, calls and contacts across channels, routing, "
                "post-contact surveys and follow-up policies."
            ),
            settings=settings,
            migrations_dir=Path(__file__).parent / "migrations",
            routers=[
                customer_router,
                contact_router,
                call_router,
                webhook_router,
                agent_router,
                queue_router,
                routing_router,
                kpi_router,
                staffing_router,
                survey_router,
                follow_up_router,
                privacy_router,
            ],
            publishes=[CONTACT_CALLS, CONTACT_CUSTOMERS, CONTACT_ROUTING, CONTACT_SURVEYS],
            consumers=[scoring_events(settings), complaint_events(settings)],
            resources=routing(settings),
            retention=retention(settings),
        )
    )
    app.state.settings = settings
    add_metrics(app, queue_metrics)
    return app
