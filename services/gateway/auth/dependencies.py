"""The request-level check: canonical path, rate limits, then who the caller is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.gateway.auth.service import PROVIDER, authenticate, needs_credential
from services.gateway.dependencies import Settings
from services.gateway.proxy.paths import canonical_path
from shared.errors import UnauthorizedError
from shared.identity import Identity, PermissionDeniedError


@dataclass(frozen=True)
class Authorized:
    """A request the gateway let in: the canonical path and the caller."""

    path: str
    identity: Identity


def presented_credential(request: Request) -> str | None:
    """The key from `X-API-Key`, or the credential from `Authorization: Bearer <…>`."""
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authorize(request: Request, settings: Settings) -> Authorized:
    """Let the request in or refuse it, deciding on the canonical path (see `proxy.paths`).

    The path that was authorised is the path the service receives. Every request counts
    against its client IP's limit; failed authentications count against a tighter one.
    """
    path = canonical_path(request.scope)
    state = request.app.state
    client_ip = request.client.host if request.client else "unknown"
    await state.limits.count_request(client_ip)
    if not needs_credential(path):
        return Authorized(path=path, identity=PROVIDER)
    try:
        identity = await authenticate(
            presented_credential(request),
            settings=settings,
            verifier=state.verifier,
            sessions=state.db.sessionmaker,
            now=dt.datetime.now(dt.UTC),
        )
    except UnauthorizedError:
        await state.limits.count_failed_auth(client_ip)
        raise
    await state.limits.count_principal(identity.subject)
    return Authorized(path=path, identity=identity)


Authorization = Annotated[Authorized, Depends(authorize)]


class GatewayPermission:
    """A gateway-owned route's permission, checked on the authorised caller."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    def __call__(self, authorized: Authorization) -> Identity:
        if not authorized.identity.may(self.permission):
            raise PermissionDeniedError(self.permission)
        return authorized.identity
