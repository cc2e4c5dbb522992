"""The request-level check: canonical path, rate limits, then who the caller is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import State

from services.gateway.auth.service import PROVIDER, authenticate, needs_credential
from services.gateway.dependencies import Settings
from services.gateway.proxy.paths import canonical_path
from services.gateway.settings import GatewaySettings
from shared.errors import UnauthorizedError
from shared.identity import Identity, PermissionDeniedError


@dataclass(frozen=True)
class Authorized:
    """A request the gateway let in: the canonical path and the caller."""

    path: str
    identity: Identity


def presented_credential(headers: Mapping[str, str]) -> str | None:
    """The key from `X-API-Key`, or the credential from `Authorization: Bearer <…>`."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def admit(
    state: State, settings: GatewaySettings, path: str, headers: Mapping[str, str], client_ip: str
) -> Authorized:
    """Let the request for canonical `path` in or refuse it (see `proxy.paths`).

    The path that was authorised is the path the service receives. Every request counts
    against its client IP's limit; failed authentications count against a tighter one.
    """
    await state.limits.count_request(client_ip)
    if not needs_credential(path):
        return Authorized(path=path, identity=PROVIDER)
    try:
        identity = await authenticate(
            presented_credential(headers),
            settings=settings,
            verifier=state.verifier,
            sessions=state.db.sessionmaker,
            now=dt.datetime.now(dt.UTC),
            cache=state.credentials,
        )
    except UnauthorizedError:
        await state.limits.count_failed_auth(client_ip)
        raise
    await state.limits.count_principal(identity.subject)
    return Authorized(path=path, identity=identity)


async def authorize(request: Request, settings: Settings) -> Authorized:
    """`admit` for a gateway route's request."""
    client_ip = request.client.host if request.client else "unknown"
    path = canonical_path(request.scope)
    return await admit(request.app.state, settings, path, request.headers, client_ip)


Authorization = Annotated[Authorized, Depends(authorize)]


class GatewayPermission:
    """A gateway-owned route's permission, checked on the authorised caller."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, authorized: Authorization) -> Identity:
        if not authorized.identity.may(self.permission):
            raise PermissionDeniedError(self.permission)
        return authorized.identity
