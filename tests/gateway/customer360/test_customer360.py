"""The customer 360: gathered in parallel, partial and named when a service is slow or down."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.gateway.main import create_app
from services.gateway.settings import GatewaySettings
from tests.conftest import serve
from tests.gateway.conftest import BOOTSTRAP_KEY, uvicorn_server
from tools.stack import free_port

CUSTOMER = uuid.uuid4()
KEY = {"X-API-Key": BOOTSTRAP_KEY}


def _service(routes: dict[str, Any], delay: float = 0.0) -> FastAPI:
    """A stand-in service answering `routes` (path → JSON, or status code) after `delay`."""
    app = FastAPI()

    @app.get("/{path:path}")
    async def answer(path: str, request: Request) -> JSONResponse:
        await asyncio.sleep(delay)
        assert "x-rapport-identity" in request.headers
        body = routes.get(f"/{path}")
        if body is None:
            return JSONResponse({"code": "not-found"}, status_code=404)
        return JSONResponse(body)

    return app


CONTACT_ROUTES = {
    f"/v1/customers/{CUSTOMER}": {"customer_id": str(CUSTOMER), "name": "王芳"},
    f"/v1/customers/{CUSTOMER}/interactions": {
        "items": [
            {"channel": "voice", "call": {"state": "queued", "ended_at": None}},
            {
                "channel": "voice",
                "call": {"state": "completed", "ended_at": "2026-11-30T09:00:00Z"},
            },
            {"channel": "email", "contact": {"subject": "refund"}},
        ],
        "next_cursor": None,
    },
}
SCORING_ROUTES = {f"/v1/customers/{CUSTOMER}/score": {"tier": "gold", "churn_risk": 0.7}}
COMPLAINTS_ROUTES = {
    "/v1/complaints": {
        "items": [{"id": "c1", "state": "in_progress"}, {"id": "c2", "state": "closed"}],
        "next_cursor": None,
    }
}


@pytest.fixture
def start_gateway(
    make_database: Callable[[str], str],
) -> Callable[..., Any]:
    async def start(**delays: float) -> AsyncIterator[httpx.AsyncClient]:
        services = {
            "contact": _service(CONTACT_ROUTES, delays.get("contact", 0)),
            "scoring": _service(SCORING_ROUTES, delays.get("scoring", 0)),
            "complaints": _service(COMPLAINTS_ROUTES, delays.get("complaints", 0)),
        }
        urls: dict[str, str] = {}
        servers = []
        for name, app in services.items():
            if delays.get(name) == -1:  # down: nothing listens there
                urls[name] = f"http://127.0.0.1:{free_port()}"
                continue
            server = uvicorn_server(app)
            urls[name] = f"http://127.0.0.1:{await server.__aenter__()}"
            servers.append(server)
        settings = GatewaySettings(
            database_url=make_database("gateway"),
            migrate_on_start=False,
            api_keys=[BOOTSTRAP_KEY],
            customer360_deadline_seconds=0.5,
            read_retries=0,
            contact_url=urls["contact"],
            scoring_url=urls["scoring"],
            complaints_url=urls["complaints"],
        )
        try:
            async for client in serve(create_app(settings)):
                yield client
        finally:
            for server in servers:
                await server.__aexit__(None, None, None)

    return start


async def _get_360(start: Callable[..., Any], **delays: float) -> tuple[httpx.Response, float]:
    async for client in start(**delays):
        began = time.monotonic()
        response = await client.get(f"/v1/customers/{CUSTOMER}/360", headers=KEY)
        return response, time.monotonic() - began
    raise AssertionError("no gateway")


async def test_the_whole_picture_comes_from_every_service(start_gateway: Any) -> None:
    response, _ = await _get_360(start_gateway)

    assert response.status_code == 200
    view = response.json()
    assert view["partial"] == [] and view["missing"] == {}
    assert view["customer"]["name"] == "王芳"
    assert view["score"]["tier"] == "gold"
    assert [c["id"] for c in view["open_complaints"]] == ["c1"]
    assert len(view["last_contacts"]) == 3
    assert [c["call"]["state"] for c in view["active_contacts"]] == ["queued"]


async def test_a_slow_service_makes_the_view_partial_within_the_deadline(
    start_gateway: Any,
) -> None:
    response, took = await _get_360(start_gateway, complaints=3.0)

    assert response.status_code == 200
    assert response.json()["partial"] == ["complaints"]
    assert response.json()["missing"] == {"complaints": "timeout"}
    assert response.json()["open_complaints"] is None
    assert response.json()["score"]["tier"] == "gold"
    assert took < 2.0


async def test_a_dead_service_makes_the_view_partial_not_an_error(start_gateway: Any) -> None:
    response, _ = await _get_360(start_gateway, scoring=-1)

    assert response.status_code == 200
    assert response.json()["partial"] == ["score"]
    assert response.json()["missing"] == {"score": "unavailable"}


async def test_an_unknown_customer_is_404(start_gateway: Any) -> None:
    async for client in start_gateway():
        response = await client.get(f"/v1/customers/{uuid.uuid4()}/360", headers=KEY)

    assert response.status_code == 404
    assert response.json()["code"] == "customer-not-found"
