"""Reverse proxying: pick the upstream for a path, forward the request, relay the answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from services.gateway.settings import GatewaySettings
from shared.errors import UpstreamError, UpstreamTimeoutError
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
_REQUEST_DROP = _HOP_BY_HOP | {"x-api-key", "authorization", "x-request-id"}
_RESPONSE_DROP = _HOP_BY_HOP | {"content-encoding", "x-request-id"}


@dataclass(frozen=True)
class Route:
    """Paths matching `pattern` go to `upstream`."""

    pattern: re.Pattern[str]
    upstream: str


ROUTES: tuple[Route, ...] = (
    Route(re.compile(r"^/v1/customers/[^/]+/score(/.*)?$"), "scoring"),
    Route(re.compile(r"^/v1/(transactions|model|scores)(/.*)?$"), "scoring"),
    Route(re.compile(r"^/v1/(contacts|customers|calls|webhooks)(/.*)?$"), "contact"),
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
    out = [(k, v) for k, v in headers if k.lower() not in _REQUEST_DROP]
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


async def forward(
    client: httpx.AsyncClient,
    *,
    upstream: str,
    base_url: str,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> UpstreamResponse:
    """Send the request upstream; connection failures are 502 and timeouts 504 problems."""
    url = f"{base_url}{path}" + (f"?{query}" if query else "")
    try:
        response = await client.request(method, url, headers=headers, content=body)
    except httpx.TimeoutException as exc:
        raise UpstreamTimeoutError(f"The {upstream} service did not answer in time.") from exc
    except httpx.TransportError as exc:
        raise UpstreamError(f"The {upstream} service is unavailable.") from exc
    return UpstreamResponse(
        status=response.status_code,
        headers=[
            (k, v) for k, v in response.headers.multi_items() if k.lower() not in _RESPONSE_DROP
        ],
        body=response.content,
    )
