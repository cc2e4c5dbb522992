"""ASGI entry point: `uvicorn --factory services.gateway.main:create_app --port 8000`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.gateway.proxy.routes import router
from services.gateway.proxy.service import upstream_urls
from services.gateway.settings import GatewaySettings
from shared.app import ServiceSpec, create_service_app
from shared.health import ReadinessCheck


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway app: API-key check, request ids, reverse proxy with timeouts."""
    settings = settings or GatewaySettings()
    holder: dict[str, httpx.AsyncClient] = {}

    def upstream_check(base_url: str) -> ReadinessCheck:
        async def check() -> None:
            response = await holder["http"].get(f"{base_url}/healthz", timeout=2.0)
            response.raise_for_status()

        return check

    @contextlib.asynccontextmanager
    async def http_client(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(
            settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds
        )
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            holder["http"] = client
            app.state.http = client
            yield

    app = create_service_app(
        ServiceSpec(
            name="gateway",
            title="Rapport API gateway",
            description=(
                "The single entry point of Rapport for agent desktops, CTI webhooks and internal "
                "services. Every `/v1/` route needs an API key and is proxied to the service "
                "that owns it."
            ),
            settings=settings,
            migrations_dir=Path(__file__).parent / "migrations",
            routers=[router],
            uses_broker=False,
            extra_checks={
                f"upstream:{name}": upstream_check(url)
                for name, url in upstream_urls(settings).items()
            },
            resources=http_client,
        )
    )
    app.state.settings = settings
    return app
