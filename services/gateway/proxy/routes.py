"""Gateway routes: everything under `/v1/` is authenticated and proxied to its service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.gateway.auth.dependencies import authorized_path
from services.gateway.dependencies import Settings
from services.gateway.errors import BodyTooLargeError, NoRouteError
from services.gateway.proxy import service
from services.gateway.proxy.paths import encode_path

router = APIRouter(tags=["proxy"])

_ROUTE_TABLE = "\n".join(f"- `{r.pattern.pattern}` → {r.upstream}" for r in service.ROUTES)


@router.api_route(
    "/v1/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    summary="Proxy to the service that owns the path",
    description=(
        "Authenticated with an API key (`X-API-Key` or `Authorization: Bearer`), except provider "
        "webhooks under `/v1/webhooks/`, whose signature the owning service verifies. The "
        "request id (`X-Request-ID`, generated when absent) is passed on. Paths with "
        "dot-segments, encoded slashes, backslashes, empty segments or control characters are "
        "refused (400) before any other check; the path forwarded is the one authorised. "
        "Routes:\n\n" + _ROUTE_TABLE
    ),
    responses={
        400: {"description": "The path is not in its plain, canonical form"},
        401: {"description": "Missing or invalid API key"},
        404: {"description": "No service serves this path"},
        413: {"description": "Body too large"},
        502: {"description": "The service is unavailable"},
        504: {"description": "The service did not answer in time"},
    },
)
async def proxy(
    path: str,
    request: Request,
    settings: Settings,
    full_path: Annotated[str, Depends(authorized_path)],
) -> Response:
    upstream = service.upstream_for(full_path)
    if upstream is None:
        raise NoRouteError(request.method, full_path)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise BodyTooLargeError(settings.max_body_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.max_body_bytes:
            raise BodyTooLargeError(settings.max_body_bytes)
    answer = await service.forward(
        request.app.state.http,
        upstream=upstream,
        base_url=service.upstream_urls(settings)[upstream],
        method=request.method,
        path=encode_path(full_path),
        query=request.url.query,
        headers=service.forwarded_headers(
            list(request.headers.items()),
            client_host=request.client.host if request.client else None,
            host=request.headers.get("host"),
            scheme=request.url.scheme,
        ),
        body=bytes(body),
    )
    response = Response(content=answer.body, status_code=answer.status)
    for key, value in answer.headers:
        response.headers.append(key, value)
    return response
