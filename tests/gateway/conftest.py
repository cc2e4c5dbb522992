"""A recording upstream on a real socket and a gateway in front of it, configurable per test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from services.gateway.main import create_app
from services.gateway.settings import GatewaySettings
from tests.conftest import serve
from tools.stack import free_port

BOOTSTRAP_KEY = "bootstrap-key-for-gateway-tests"
GatewayFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@dataclass
class Recorder:
    """What reached the upstream: the raw path and headers of every request."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def uvicorn_server(app: FastAPI) -> AsyncIterator[int]:
    """Serve `app` on a free loopback port; yield the port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn offers no event to wait on)
        await asyncio.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    """An upstream that records each request and echoes its path."""
    app = FastAPI()
    record = Recorder()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request) -> dict[str, str]:
        raw = request.scope.get("raw_path", b"").decode("latin-1")
        record.requests.append({"path": raw, "headers": dict(request.headers)})
        return {"path": request.url.path}

    async with uvicorn_server(app) as port:
        record.url = f"http://127.0.0.1:{port}"
        yield record


@pytest.fixture
def make_gateway(recorder: Recorder, make_database: Callable[[str], str]) -> GatewayFactory:
    """Start a gateway in front of the recorder with settings overridden per test."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        values: dict[str, Any] = {
            "database_url": make_database("gateway"),
            "migrate_on_start": False,
            "api_keys": [BOOTSTRAP_KEY],
            "contact_url": recorder.url,
            "scoring_url": recorder.url,
            "complaints_url": recorder.url,
            **overrides,
        }
        async for client in serve(create_app(GatewaySettings(**values))):
            yield client

    return start
