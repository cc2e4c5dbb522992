"""Liveness and readiness endpoints."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaClient
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

ReadinessCheck = Callable[[], Awaitable[None]]


class BrokerProbe:
    """Asks the broker for cluster metadata; reconnects on the next probe after a failure."""

    def __init__(self, bootstrap_servers: str, *, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._client: AIOKafkaClient | None = None

    async def check(self) -> None:
        """Raise unless the broker answers within two seconds."""
        try:
            if self._client is None:
                client = AIOKafkaClient(
                    bootstrap_servers=self._bootstrap,
                    client_id=f"{self._client_id}-probe",
                    request_timeout_ms=2000,
                )
                self._client = client
                await asyncio.wait_for(client.bootstrap(), 2)
            else:
                await asyncio.wait_for(self._client.fetch_all_metadata(), 2)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the probe's connection."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()


def describe_failure(exc: BaseException) -> str:
    """`Type: message` of the error underneath (a driver's, not its SQLAlchemy wrapper), short.

    Says why a dependency is unreachable (`ConnectionRefusedError: ... Connect call failed`,
    `CannotConnectNowError: the database system is starting up`) without statements or
    parameters, which SQLAlchemy's own message would carry.
    """
    inner: BaseException = exc
    for _ in range(5):
        orig = getattr(inner, "orig", None)
        nxt = orig if isinstance(orig, BaseException) else inner.__cause__
        if nxt is None:
            break
        inner = nxt
    message = " ".join(str(inner).split())[:200]
    if isinstance(inner, TimeoutError) and not message:
        message = "no answer in time"
    return f"{type(inner).__name__}: {message}" if message else type(inner).__name__


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    """`/healthz` (the process answers) and `/readyz` (every named check passes)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: database reachable and broker connected",
        responses={503: {"description": "A dependency is not reachable"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        results: dict[str, Any] = {}
        ready = True
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), 3)
                results[name] = "ok"
            except Exception as exc:
                ready = False
                results[name] = f"unavailable: {describe_failure(exc)}"
        extra = getattr(request.app.state, "readiness_details", None)
        if callable(extra):
            results.update(extra())
        return JSONResponse(
            {"status": "ready" if ready else "not-ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return router
