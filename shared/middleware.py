"""Request correlation: request id, trace span, request log and HTTP metrics for every request.

The request id is accepted from `X-Request-ID` or generated, bound to every log line and echoed
back; the trace continues the caller's `traceparent`. The request log line and the metrics name
the route template (`/v1/customers/{customer_id}`), never the path or its query string, which
can carry phone numbers and e-mail addresses.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import unquote

import structlog
from opentelemetry.trace import Span
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import problem_response
from shared.inputs import has_control_characters
from shared.logging import get_logger, request_id_var
from shared.metrics import HttpMetrics
from shared.tracing import server_span

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
UNMATCHED_ROUTE = "(unmatched)"
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
log = get_logger("rapport.access")


def accept_request_id(value: str | None) -> str:
    """The caller's id if it is a sane token, else a fresh one."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The path template of the route that handled the request, or `(unmatched)`."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestIdMiddleware:
    """Pure ASGI middleware so the id and the span are bound before any other code runs."""

    def __init__(
        self, app: ASGIApp, *, service: str = "", metrics: HttpMetrics | None = None
    ) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        request_id = accept_request_id(headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        try:
            with (
                server_span(f"{scope.get('method')} request", headers) as span,
                structlog.contextvars.bound_contextvars(
                    request_id=request_id, **({"service": self.service} if self.service else {})
                ),
            ):
                await self._handle(scope, receive, send, request_id, span)
        finally:
            request_id_var.reset(token)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, span: Span
    ) -> None:
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
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answer here, inside the request id's scope, so even an unexpected failure is a
            # problem document that carries the id; the details go to the log only.
            log.error("unhandled_error", route=route_template(scope), exc_info=exc)
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
            self._record(scope, span, status, time.perf_counter() - started)

    def _record(self, scope: Scope, span: Span, status: int, seconds: float) -> None:
        route = route_template(scope)
        method = str(scope.get("method", ""))
        span.update_name(f"{method} {route}")
        span.set_attribute("http.request.method", method)
        span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if self.metrics is not None:
            self.metrics.observe(method=method, route=route, status=status, seconds=seconds)
        if scope.get("path", "") not in _QUIET_PATHS:
            log.info(
                "request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )


class BodyLimitMiddleware:
    """Refuse (413) a body over `max_bytes` without reading past the limit.

    A declared `Content-Length` over the limit is answered before any byte is read; a chunked
    body is counted as it arrives and the request fails as soon as it passes the limit. A path
    or query string holding a control character is refused (400) before routing.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._too_large(scope)(scope, receive, send)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        path = scope.get("path", "")
        query = unquote(scope.get("query_string", b"").decode("latin-1"))
        if has_control_characters(path) or has_control_characters(query):
            return problem_response(
                status=400,
                code="path-not-canonical",
                detail="The path or query string holds a control character.",
            )
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return self._too_large(scope)
        return None

    def _too_large(self, scope: Scope) -> JSONResponse:
        return problem_response(
            status=413,
            code="payload-too-large",
            detail=f"The request body is larger than {self.max_bytes} bytes.",
            instance=scope.get("path"),
            headers={"Connection": "close"},
        )


class _BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` once a body passes the limit: the app's handlers answer 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes} bytes.")
