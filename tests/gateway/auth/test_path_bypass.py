"""The path the gateway authorises is the path the service receives: no spelling slips past.

The gateway runs under uvicorn on a real socket and requests are written byte for byte, so no
HTTP client normalises the path on the way in. The upstream records every request it receives:
a refused spelling must not reach it at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI, Request

from services.gateway.main import create_app
from services.gateway.settings import GatewaySettings
from tests.gateway.conftest import uvicorn_server
from tests.raw_http import raw_request

KEY = "path-test-key"


@dataclass
class Upstream:
    url: str
    received: list[str] = field(default_factory=list)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    """A service that records the raw path of every request that reaches it."""
    app = FastAPI()
    record = Upstream(url="")

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request) -> dict[str, str]:
        raw = request.scope.get("raw_path", b"").decode("latin-1")
        record.received.append(raw)
        return {"path": request.url.path, "raw_path": raw}

    async with uvicorn_server(app) as port:
        record.url = f"http://127.0.0.1:{port}"
        yield record


@pytest.fixture
async def gateway_port(
    upstream: Upstream, make_database: Callable[[str], str]
) -> AsyncIterator[int]:
    settings = GatewaySettings(
        database_url=make_database("gateway"),
        migrate_on_start=False,
        api_keys=[KEY],
        contact_url=upstream.url,
        scoring_url=upstream.url,
        complaints_url=upstream.url,
    )
    app = create_app(settings)
    async with uvicorn_server(app) as port:
        yield port


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The gateway's own tables play no part in path handling: one backend is enough."""
    return str(request.param)


BYPASSES = [
    ("POST", "/v1/webhooks/../customers"),
    ("GET", "/v1/webhooks/../customers"),
    ("GET", "/v1/webhooks/%2e%2e/calls"),
    ("GET", "/v1/webhooks/%2E%2e/calls"),
    ("GET", "/v1/webhooks/%2e%2E/customers"),
    ("POST", "/v1/webhooks/../contacts/events"),
    ("GET", "/v1/webhooks/.%2e/customers"),
    ("GET", "/v1/webhooks/./../customers"),
    ("GET", "/v1/webhooks/twilio/../../customers"),
    ("GET", "/v1/webhooks/..%2fcustomers"),
    ("GET", "/v1/webhooks/%2e%2e%2fcustomers"),
    ("GET", "/v1/webhooks/..%2Fcustomers"),
    ("GET", "/v1/webhooks%2f..%2fcustomers"),
    ("GET", "/v1/webhooks/..\\customers"),
    ("GET", "/v1/webhooks/..%5ccustomers"),
    ("GET", "/v1/webhooks/%5c..%5ccustomers"),
    ("GET", "/v1/webhooks//../customers"),
    ("GET", "/v1/webhooks/twilio//customers"),
    ("GET", "/v1/webhooks/.../customers"),
    ("GET", "/v1/webhooks/..%20/customers"),
    ("GET", "/v1/webhooks/../customers."),
    ("GET", "/v1/webhooks/%252e%252e/customers"),
    ("GET", "/v1/webhooks/%c0%ae%c0%ae/customers"),
]


@pytest.mark.parametrize(("method", "target"), BYPASSES, ids=[t for _, t in BYPASSES])
async def test_no_spelling_of_a_webhook_path_reaches_another_route_without_a_key(
    gateway_port: int, upstream: Upstream, method: str, target: str
) -> None:
    body = b'{"name": "Mallory", "phones": ["+14155550100"]}' if method == "POST" else b""

    answer = await raw_request(gateway_port, method, target, body=body)

    assert answer.status in {400, 401, 404}, (answer.status, answer.body)
    assert answer.headers["content-type"] == "application/problem+json"
    assert upstream.received == [], "the request reached a service"


@pytest.mark.parametrize(
    "target",
    [
        "/v1/customers/../complaints",
        "/v1/customers/%2e%2e/complaints",
        "/v1/customers%2f..%2fcomplaints",
        "/v1/customers/%00",
        "/v1/customers/%1A/score",
        "/v1/complaints/%7F/transitions",
        "/v1/customers/%ff",
    ],
)
async def test_non_canonical_paths_are_refused_even_with_a_key(
    gateway_port: int, upstream: Upstream, target: str
) -> None:
    answer = await raw_request(gateway_port, "GET", target, headers={"X-API-Key": KEY})

    assert answer.status == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "path-not-canonical"
    assert upstream.received == []


async def test_a_dot_segment_webhook_path_is_refused_before_the_key_check(
    gateway_port: int, upstream: Upstream
) -> None:
    answer = await raw_request(gateway_port, "GET", "/v1/webhooks/%2e%2e/customers")

    assert answer.status == 400
    assert answer.json()["code"] == "path-not-canonical"


async def test_a_plain_webhook_path_still_passes_without_a_key(
    gateway_port: int, upstream: Upstream
) -> None:
    answer = await raw_request(gateway_port, "POST", "/v1/webhooks/twilio/status", body=b"{}")

    assert answer.status == 200
    assert upstream.received == ["/v1/webhooks/twilio/status"]


async def test_the_service_receives_exactly_the_path_that_was_authorised(
    gateway_port: int, upstream: Upstream
) -> None:
    answer = await raw_request(
        gateway_port, "GET", "/v1/customers/caf%C3%A9%20x/score?x=1", headers={"X-API-Key": KEY}
    )

    assert answer.status == 200
    assert answer.json()["path"] == "/v1/customers/café x/score"
    assert upstream.received == ["/v1/customers/caf%C3%A9%20x/score"]


async def test_a_keyless_request_to_a_normal_route_is_refused(
    gateway_port: int, upstream: Upstream
) -> None:
    answer = await raw_request(gateway_port, "GET", "/v1/customers")

    assert answer.status == 401
    assert upstream.received == []
