"""Request correlation: accept or generate `X-Request-ID`, bind it to logs, echo it back."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import problem_response
from shared.logging import get_logger, request_id_var

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
log = get_logger("rapport.access")


def accept_request_id(value: str | None) -> str:
    """The caller's id if it is a sane token, else a fresh one."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI middleware so the id is bound before any other code runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == REQUEST_ID_HEADER.encode():
                incoming = value.decode("latin-1")
                break
        request_id = accept_request_id(incoming)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception as exc:
                    # Answer here, inside the request id's scope, so even an unexpected failure
                    # is a problem document that carries the id; the details go to the log only.
                    log.error("unhandled_error", path=scope.get("path"), exc_info=exc)
                    if started_response:
                        raise
                    response = problem_response(
                        status=500,
                        code="internal-error",
                        detail="An unexpected error occurred; it has been logged.",
                        instance=scope.get("path"),
                    )
                    await response(scope, receive, send_with_id)
                finally:
                    path = scope.get("path", "")
                    if path not in ("/healthz", "/readyz"):
                        log.info(
                            "request",
                            method=scope.get("method"),
                            path=path,
                            status=status,
                            duration_ms=round((time.perf_counter() - started) * 1000, 2),
                        )
        finally:
            request_id_var.reset(token)
