"""Gateway routes: everything else under `/v1/` is authenticated and proxied to its service.

The proxy is a plain ASGI endpoint, not a FastAPI operation: it takes no parameters, has no
response model and is called for most requests, so it skips dependency solving and request
parsing and relays the upstream's answer as it comes. Its errors are the same problem
documents (the app's exception handlers answer them).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from services.gateway.auth.dependencies import admit
from services.gateway.errors import BodyTooLargeError, NoRouteError
from services.gateway.proxy import service
from services.gateway.proxy.paths import canonical_path, encode_path
from services.gateway.settings import GatewaySettings

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def read_body(receive: Receive, headers: Headers, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes `limit` bytes."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(limit)
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > limit:
            raise BodyTooLargeError(limit)
    return body


class Proxy:
    """Authenticate the caller, pick the upstream, forward, relay the answer (ASGI)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = PROXY_ROUTE  # what logs and metrics name the request by
        state = scope["app"].state
        settings: GatewaySettings = state.settings
        headers = Headers(scope=scope)
        client = scope.get("client")
        authorized = await admit(
            state, settings, canonical_path(scope), headers, client[0] if client else "unknown"
        )
        upstream = service.upstream_for(authorized.path)
        if upstream is None:
            raise NoRouteError(scope["method"], authorized.path)
        body = await read_body(receive, headers, settings.max_body_bytes)
        forwarded = service.forwarded_headers(
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            client_host=client[0] if client else None,
            host=headers.get("host"),
            scheme=scope.get("scheme", "http"),
        )
        forwarded.append(state.identity_tokens.header(authorized.identity, upstream))
        answer = await service.forward(
            state.upstream,
            breaker=state.breakers[upstream],
            base_url=state.upstream_urls[upstream],
            method=scope["method"],
            path=encode_path(authorized.path),
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=forwarded,
            body=body,
            read_retries=settings.read_retries,
        )
        try:
            start = {"type": "http.response.start", "status": answer.status}
            await send({**start, "headers": answer.headers})
            if answer.body is not None:
                await send({"type": "http.response.body", "body": answer.body})
                return
            async for chunk in answer.chunks():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            answer.release()


PROXY_ROUTE = Route(
    "/v1/{path:path}", Proxy(), methods=METHODS, name="proxy", include_in_schema=False
)

router = APIRouter(tags=["proxy"])
router.routes.append(PROXY_ROUTE)
