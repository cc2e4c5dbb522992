"""Reverse proxying: pick the upstream for a path, forward the request, relay the answer."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from yarl import URL

from services.gateway.protection.breaker import CircuitBreaker
from services.gateway.settings import GatewaySettings
from shared.errors import UpstreamError, UpstreamTimeoutError
from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token
from shared.logging import current_request_id
from shared.tracing import current_trace_context

# Headers that belong to one connection and are never forwarded (RFC 9110 §7.6.1), plus the
# caller's credentials, which stop at the gateway.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
# The trace goes on from the gateway's own span (the caller's span's child): see below.
_REQUEST_DROP = _HOP_BY_HOP | {
    "x-api-key",
    "authorization",
    "x-request-id",
    "cookie",
    "traceparent",
    "tracestate",
}
# Identity is the gateway's word alone: a client's claim to it never reaches a service.
_IDENTITY_PREFIXES = ("x-rapport-", "x-actor", "x-agent", "x-user", "x-roles", "x-forwarded-user")
_IDEMPOTENT_READS = {"GET", "HEAD"}
# The gateway and its server say these themselves (bodies are relayed as sent, encoding kept).
_RESPONSE_DROP = {
    name.encode() for name in _HOP_BY_HOP | {"x-request-id", "server", "date", "x-powered-by"}
}
# A body this short and of known length is read at once and sent in one piece.
BUFFERED_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Route:
    """Paths matching `pattern` go to `upstream`."""

    pattern: re.Pattern[str]
    upstream: str


ROUTES: tuple[Route, ...] = (
    Route(re.compile(r"^/v1/customers/[^/]+/(score|state|loyalty|wallet)(/.*)?$"), "scoring"),
    Route(re.compile(r"^/v1/(transactions|model|scores|programmes)(/.*)?$"), "scoring"),
    Route(
        re.compile(
            r"^/v1/(contacts|customers|calls|webhooks|agents|queues|offers|work-items"
            r"|kpis|staffing|surveys|follow-up-levels|follow-up-policies)(/.*)?$"
        ),
        "contact",
    ),
    Route(re.compile(r"^/v1/complaints(/.*)?$"), "complaints"),
)


def upstream_for(path: str) -> str | None:
    """The name of the service that serves `path`, if any."""
    for route in ROUTES:
        if route.pattern.match(path):
            return route.upstream
    return None


def upstream_urls(settings: GatewaySettings) -> dict[str, str]:
    """Base URL of each upstream service."""
    return {
        "contact": settings.contact_url.rstrip("/"),
        "complaints": settings.complaints_url.rstrip("/"),
        "scoring": settings.scoring_url.rstrip("/"),
    }


def forwarded_headers(
    headers: list[tuple[str, str]], *, client_host: str | None, host: str | None, scheme: str
) -> list[tuple[str, str]]:
    """Caller headers minus hop-by-hop and credentials, plus request id and X-Forwarded-*."""
    out = [
        (k, v)
        for k, v in headers
        if k.lower() not in _REQUEST_DROP and not k.lower().startswith(_IDENTITY_PREFIXES)
    ]
    request_id = current_request_id()
    if request_id:
        out.append(("x-request-id", request_id))
    out.extend(current_trace_context().items())
    prior = next((v for k, v in headers if k.lower() == "x-forwarded-for"), None)
    if client_host:
        out = [(k, v) for k, v in out if k.lower() != "x-forwarded-for"]
        out.append(("x-forwarded-for", f"{prior}, {client_host}" if prior else client_host))
    if host:
        out.append(("x-forwarded-host", host))
    out.append(("x-forwarded-proto", scheme))
    return out


@dataclass
class UpstreamResponse:
    """What an upstream answered: status and headers, with the body to relay.

    A body of known length up to `BUFFERED_BODY_BYTES` is read at once (`body`); a longer one,
    or one of unknown length, is relayed as it arrives (`chunks`), and `release` returns the
    connection to the pool.
    """

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes | None
    response: aiohttp.ClientResponse

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (empty when it was read at once)."""
        if self.body is None:
            async for chunk in self.response.content.iter_any():
                yield chunk

    def release(self) -> None:
        """Give the connection back to the pool (closing it if the body was not read)."""
        self.response.release()


def identity_header(identity: Identity, *, secret: str, upstream: str) -> tuple[str, str]:
    """The signed statement of who the caller is, for `upstream` only, valid for a minute."""
    return IDENTITY_HEADER, mint_identity_token(identity, secret=secret, audience=upstream)


async def forward(
    client: aiohttp.ClientSession,
    *,
    breaker: CircuitBreaker,
    base_url: str,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    read_retries: int = 0,
) -> UpstreamResponse:
    """Send the request upstream through its breaker; reads that could not connect are retried.

    Connection failures are 502, timeouts 504, an open circuit 503 problems. Only idempotent
    reads are retried, and only when no connection was made: a write is never sent twice.
    The caller relays the answer and then calls `release()`.
    """
    upstream = breaker.upstream
    # Already canonically encoded (`paths.encode_path`): sent as is, never re-quoted.
    url = URL(f"{base_url}{path}" + (f"?{query}" if query else ""), encoded=True)
    attempts = 1 + (read_retries if method in _IDEMPOTENT_READS else 0)
    for attempt in range(attempts):
        breaker.before_request()
        try:
            response = await client.request(method, url, headers=headers, data=body or None)
            answer = await _answer(response)
        except aiohttp.ClientConnectorError as exc:
            breaker.failed()
            if attempt + 1 < attempts:
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            raise UpstreamError(f"The {upstream} service is unavailable.") from exc
        except TimeoutError as exc:
            breaker.failed()
            raise UpstreamTimeoutError(f"The {upstream} service did not answer in time.") from exc
        except aiohttp.ClientError as exc:
            breaker.failed()
            raise UpstreamError(f"The {upstream} service is unavailable.") from exc
        breaker.succeeded()
        return answer
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _answer(response: aiohttp.ClientResponse) -> UpstreamResponse:
    """The response's status and relayed headers; its body when short and of known length."""
    headers = [(k, v) for k, v in response.raw_headers if k.lower() not in _RESPONSE_DROP]
    length = response.content_length
    body: bytes | None = None
    if length is not None and length <= BUFFERED_BODY_BYTES:
        try:
            body = await response.read()
        finally:
            response.release()
        headers.append((b"content-length", str(len(body)).encode()))
    return UpstreamResponse(response.status, headers, body, response)
