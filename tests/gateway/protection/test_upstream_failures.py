"""A failing upstream: its circuit opens, reads are retried, writes never are."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.gateway.errors import CircuitOpenError
from services.gateway.protection.breaker import CircuitBreaker
from services.gateway.proxy.service import forward
from shared.errors import UpstreamError
from tests.gateway.conftest import BOOTSTRAP_KEY, GatewayFactory
from tools.stack import free_port

KEY = {"X-API-Key": BOOTSTRAP_KEY}


async def test_a_dead_service_opens_its_circuit_and_a_probe_follows(
    make_gateway: GatewayFactory,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with make_gateway(
        complaints_url=dead, breaker_failures=2, breaker_open_seconds=0.3, read_retries=0
    ) as client:
        first = [(await client.get("/v1/complaints", headers=KEY)).status_code for _ in range(2)]
        open_answer = await client.get("/v1/complaints", headers=KEY)
        others = await client.get("/v1/customers", headers=KEY)
        await asyncio.sleep(0.35)
        probe = await client.get("/v1/complaints", headers=KEY)
        reopened = await client.get("/v1/complaints", headers=KEY)

    assert first == [502, 502]
    assert open_answer.status_code == 503
    assert open_answer.json()["code"] == "upstream-circuit-open"
    assert int(open_answer.headers["retry-after"]) >= 1
    assert others.status_code == 200  # one upstream's circuit is its own
    assert probe.status_code == 502
    assert reopened.status_code == 503


def test_a_successful_probe_closes_the_circuit() -> None:
    now = [0.0]
    breaker = CircuitBreaker("scoring", failures=1, open_seconds=5, clock=lambda: now[0])
    breaker.failed()
    with pytest.raises(CircuitOpenError):
        breaker.before_request()

    now[0] = 5.0
    breaker.before_request()  # the probe
    with pytest.raises(CircuitOpenError):
        breaker.before_request()  # one probe at a time
    breaker.succeeded()

    assert breaker.state == "closed"
    breaker.before_request()


def _flaky(failures: int) -> tuple[httpx.AsyncClient, list[str]]:
    """A client whose first `failures` connections are refused (the third-party HTTP edge)."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if len(seen) <= failures:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"ok": True})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize(("method", "calls", "status"), [("GET", 2, 200), ("POST", 1, None)])
async def test_only_idempotent_reads_are_retried(method: str, calls: int, status: int) -> None:
    client, seen = _flaky(failures=1)
    breaker = CircuitBreaker("contact", failures=5, open_seconds=10)
    call = forward(
        client,
        breaker=breaker,
        base_url="http://contact.internal",
        method=method,
        path="/v1/customers",
        query="",
        headers=[],
        body=b"",
        read_retries=1,
    )
    async with client:
        if status is None:
            with pytest.raises(UpstreamError):
                await call
        else:
            assert (await call).status == status

    assert seen == [method] * calls
