"""Reverse proxying: pick the upstream for a path, forward the request, relay the answer."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import httpx

from services.gateway.protection.breaker import CircuitBreaker
from services.gateway.settings import GatewaySettings
from shared.errors import UpstreamError, UpstreamTimeoutError
from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token
from shared.logging import current_request_id

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
_REQUEST_DROP = _HOP_BY_HOP | {"x-api-key", "authorization", "x-request-id", "cookie"}
# Identity is the gateway's word alone: a client's claim to it never reaches a service.
_IDENTITY_PREFIXES = ("x-rapport-", "x-actor", "x-agent", "x-user", "x-roles", "x-forwarded-user")
_IDEMPOTENT_READS = {"GET", "HEAD"}
_RESPONSE_DROP = _HOP_BY_HOP | {"content-encoding", "x-request-id", "server"}


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
    prior = next((v for k, v in headers if k.lower() == "x-forwarded-for"), None)
    if client_host:
        out = [(k, v) for k, v in out if k.lower() != "x-forwarded-for"]
        out.append(("x-forwarded-for", f"{prior}, {client_host}" if prior else client_host))
    if host:
        out.append(("x-forwarded-host", host))
    out.append(("x-forwarded-proto", scheme))
    return out


@dataclass(frozen=True)
class UpstreamResponse:
    """What an upstream answered, ready to relay."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def identity_header(identity: Identity, *, secret: str, upstream: str) -> tuple[str, str]:
    """The signed statement of who the caller is, for `upstream` only, valid for a minute."""
    return IDENTITY_HEADER, mint_identity_token(identity, secret=secret, audience=upstream)


async def forward(
    client: httpx.AsyncClient,
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
    """
    upstream = breaker.upstream
    url = f"{base_url}{path}" + (f"?{query}" if query else "")
    attempts = 1 + (read_retries if method in _IDEMPOTENT_READS else 0)
    for attempt in range(attempts):
        breaker.before_request()
        try:
            response = await client.request(method, url, headers=headers, content=body)
        except httpx.ConnectError as exc:
            breaker.failed()
            if attempt + 1 < attempts:
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            raise UpstreamError(f"The {upstream} service is unavailable.") from exc
        except httpx.TimeoutException as exc:
            breaker.failed()
            raise UpstreamTimeoutError(f"The {upstream} service did not answer in time.") from exc
        except httpx.TransportError as exc:
            breaker.failed()
            raise UpstreamError(f"The {upstream} service is unavailable.") from exc
        breaker.succeeded()
        return UpstreamResponse(
            status=response.status_code,
            headers=[
                (k, v) for k, v in response.headers.multi_items() if k.lower() not in _RESPONSE_DROP
            ],
            body=response.content,
        )
    raise AssertionError("unreachable: the last attempt returns or raises")
