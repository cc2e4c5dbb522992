"""A failing upstream: its circuit opens, reads are retried, writes never are."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection

from services.gateway.errors import CircuitOpenError
from services.gateway.protection.breaker import CircuitBreaker
from services.gateway.proxy.service import forward
from shared.errors import UpstreamError
from tests.gateway.conftest import BOOTSTRAP_KEY, GatewayFactory, Recorder
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


class _Flaky(aiohttp.TCPConnector):
    """Refuses the first `failures` connections (the network edge), then connects for real."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.seen: list[str] = []

    async def connect(
        self, req: ClientRequest, traces: list[Any], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        self.seen.append(req.method)
        if len(self.seen) <= self.failures:
            raise aiohttp.ClientConnectorError(req.connection_key, OSError(111, "refused"))
        return await super().connect(req, traces, timeout)


@pytest.mark.parametrize(("method", "calls", "status"), [("GET", 2, 200), ("POST", 1, None)])
async def test_only_idempotent_reads_are_retried(
    method: str, calls: int, status: int, recorder: Recorder
) -> None:
    connector = _Flaky(failures=1)
    breaker = CircuitBreaker("contact", failures=5, open_seconds=10)
    async with aiohttp.ClientSession(connector=connector) as client:
        call = forward(
            client,
            breaker=breaker,
            base_url=recorder.url,
            method=method,
            path="/v1/customers",
            query="",
            headers=[],
            body=b"",
            read_retries=1,
        )
        if status is None:
            with pytest.raises(UpstreamError):
                await call
        else:
            answer = await call
            answer.release()
            assert answer.status == status

    assert connector.seen == [method] * calls
