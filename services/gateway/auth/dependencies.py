"""The request-level check: the canonical path, and the key when the path needs one."""

from __future__ import annotations

from fastapi import Request

from services.gateway.auth.service import check_api_key, needs_api_key
from services.gateway.dependencies import Settings
from services.gateway.proxy.paths import canonical_path


def presented_key(request: Request) -> str | None:
    """The key from `X-API-Key`, or from `Authorization: Bearer <key>`."""
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def authorized_path(request: Request, settings: Settings) -> str:
    """The canonical path of the request, once the caller may reach it; the path to forward.

    The decision is taken on the canonical path (see `proxy.paths`), never on the raw one, so
    the path that was authorised is the path the service receives.
    """
    path = canonical_path(request.scope)
    if needs_api_key(path):
        check_api_key(presented_key(request), settings.api_keys)
    return path
