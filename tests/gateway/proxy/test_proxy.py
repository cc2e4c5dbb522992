"""The gateway: API keys, request ids, routing, limits and upstream failures, over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from services.gateway.main import create_app
from services.gateway.proxy.service import upstream_for
from services.gateway.settings import GatewaySettings
from tests.conftest import serve
from tools.stack import free_port

KEY = "test-key-1"


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request) -> dict[str, object]:
        if path.endswith("slow"):
            await asyncio.sleep(3)
        return {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": dict(request.headers),
            "body": (await request.body()).decode(),
        }

    return app


@pytest.fixture
async def upstream() -> AsyncIterator[str]:
    """A real HTTP server on loopback that echoes what it receives."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(_echo_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn offers no event to wait on)
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def gateway(
    upstream: str, make_database: Callable[[str], str]
) -> AsyncIterator[httpx.AsyncClient]:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = GatewaySettings(
        database_url=make_database("gateway"),
        migrate_on_start=False,
        api_keys=[KEY, "test-key-2"],
        contact_url=upstream,
        scoring_url=upstream,
        complaints_url=dead,
        upstream_timeout_seconds=0.5,
        max_body_bytes=1000,
    )
    async for client in serve(create_app(settings)):
        yield client


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The gateway's own tables are not used by the proxy: one backend is enough here."""
    return str(request.param)


async def test_requests_without_a_key_are_refused(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/contacts/events/1")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "api-key-missing"


async def test_a_wrong_key_is_refused(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/contacts/events/1", headers={"X-API-Key": "guess"})

    assert response.status_code == 401
    assert response.json()["code"] == "api-key-invalid"


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": KEY}, {"Authorization": "Bearer test-key-2"}],
    ids=["header", "bearer"],
)
async def test_a_valid_key_reaches_the_service_with_the_request_intact(
    gateway: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await gateway.post(
        "/v1/contacts/events?x=1&y=%C3%A9",
        content='{"n": "名字"}'.encode(),
        headers={**headers, "Content-Type": "application/json", "X-Request-ID": "req-123"},
    )

    assert response.status_code == 200
    echoed = response.json()
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/v1/contacts/events"
    assert echoed["query"] == "x=1&y=%C3%A9"
    assert echoed["body"] == '{"n": "名字"}'
    assert echoed["headers"]["x-request-id"] == "req-123"
    assert "x-api-key" not in echoed["headers"]
    assert "authorization" not in echoed["headers"]
    assert echoed["headers"]["x-forwarded-proto"] == "http"
    assert response.headers["x-request-id"] == "req-123"


async def test_score_paths_go_to_scoring_and_unknown_paths_are_404(
    gateway: httpx.AsyncClient,
) -> None:
    headers = {"X-API-Key": KEY}
    score = await gateway.get("/v1/customers/abc/score", headers=headers)
    unknown = await gateway.get("/v1/nothing-here", headers=headers)

    assert score.json()["path"] == "/v1/customers/abc/score"
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "no-route"


async def test_provider_webhooks_pass_without_a_key_for_the_service_to_verify(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.post(
        "/v1/webhooks/twilio/status",
        content=b"CallSid=CA1&ToState=",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": "sig",
        },
    )

    assert response.status_code == 200
    assert response.json()["body"] == "CallSid=CA1&ToState="
    assert response.json()["headers"]["x-twilio-signature"] == "sig"


async def test_a_body_over_the_limit_is_413(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/v1/contacts/events", content=b"x" * 1001, headers={"X-API-Key": KEY}
    )

    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"


async def test_a_service_that_is_down_is_502(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/complaints", headers={"X-API-Key": KEY})

    assert response.status_code == 502
    assert response.json()["code"] == "upstream-unavailable"


async def test_a_service_that_is_too_slow_is_504(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/contacts/slow", headers={"X-API-Key": KEY})

    assert response.status_code == 504
    assert response.json()["code"] == "upstream-timeout"


async def test_readiness_reports_each_upstream(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["upstream:contact"] == "ok"
    assert checks["upstream:complaints"].startswith("unavailable")


def test_a_customers_scores_state_loyalty_and_wallet_go_to_scoring() -> None:
    for tail in ("score", "score/history", "state", "loyalty", "wallet"):
        assert upstream_for(f"/v1/customers/abc/{tail}") == "scoring"
    assert upstream_for("/v1/customers/abc") == "contact"
    assert upstream_for("/v1/customers/abc/identities") == "contact"
