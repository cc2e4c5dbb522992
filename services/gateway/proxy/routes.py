"""Gateway routes: everything else under `/v1/` is authenticated and proxied to its service."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.gateway.auth.dependencies import Authorization
from services.gateway.dependencies import Settings
from services.gateway.errors import BodyTooLargeError, NoRouteError
from services.gateway.proxy import service
from services.gateway.proxy.paths import encode_path
from shared.api import problem

router = APIRouter(tags=["proxy"])

_ROUTE_TABLE = "\n".join(f"- `{r.pattern.pattern}` → {r.upstream}" for r in service.ROUTES)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError(limit)
    return bytes(body)


@router.api_route(
    "/v1/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,  # the public document lists the services' real routes instead
    summary="Proxy to the service that owns the path",
    description=(
        "People send an OIDC bearer token, systems an API key (`X-API-Key` or "
        "`Authorization: Bearer`); provider webhooks under `/v1/webhooks/` need neither, the "
        "owning service verifies their signature. The gateway removes any identity header the "
        "client sent and passes its own signed statement of the caller; the service checks the "
        "operation's permission. Paths with dot-segments, encoded slashes, backslashes, empty "
        "segments or control characters are refused (400) before any other check; the path "
        "forwarded is the one authorised. Routes:\n\n" + _ROUTE_TABLE
    ),
    responses={
        400: problem("The path is not in its plain, canonical form"),
        401: problem("Missing or invalid credential"),
        404: problem("No service serves this path"),
        413: problem("Body too large"),
        429: problem("Too many requests (see `Retry-After`)"),
        431: problem("Request headers too large"),
        502: problem("The service is unavailable"),
        503: problem("The service keeps failing; its circuit is open (see `Retry-After`)"),
        504: problem("The service did not answer in time"),
    },
)
async def proxy(
    path: str, request: Request, settings: Settings, authorized: Authorization
) -> Response:
    upstream = service.upstream_for(authorized.path)
    if upstream is None:
        raise NoRouteError(request.method, authorized.path)
    body = await read_body(request, settings.max_body_bytes)
    headers = service.forwarded_headers(
        list(request.headers.items()),
        client_host=request.client.host if request.client else None,
        host=request.headers.get("host"),
        scheme=request.url.scheme,
    )
    headers.append(
        service.identity_header(
            authorized.identity, secret=settings.internal_token_secret, upstream=upstream
        )
    )
    answer = await service.forward(
        request.app.state.http,
        breaker=request.app.state.breakers[upstream],
        base_url=service.upstream_urls(settings)[upstream],
        method=request.method,
        path=encode_path(authorized.path),
        query=request.url.query,
        headers=headers,
        body=body,
        read_retries=settings.read_retries,
    )
    response = Response(content=answer.body, status_code=answer.status)
    for key, value in answer.headers:
        response.headers.append(key, value)
    return response
