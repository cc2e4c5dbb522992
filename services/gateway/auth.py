"""API-key authentication for everything behind the gateway."""

from __future__ import annotations

import hmac

from fastapi import Request

from services.gateway.errors import InvalidApiKeyError, MissingApiKeyError
from services.gateway.paths import canonical_path
from services.gateway.settings import GatewaySettings


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


# Phone systems cannot send our API key: their webhooks are signed by the provider and the
# contact service verifies that signature on the raw body before it stores anything.
PROVIDER_SIGNED_PREFIX = "/v1/webhooks/"


def authorized_path(request: Request) -> str:
    """The canonical path of the request, once the caller may reach it; the path to forward.

    The decision is taken on the canonical path (see `paths`), never on the raw one, so the
    path that was authorised is the path the service receives. Provider webhooks under
    `/v1/webhooks/` pass without a key: the service verifies their signature.
    """
    path = canonical_path(request.scope)
    if not path.startswith(PROVIDER_SIGNED_PREFIX):
        require_api_key(request)
    return path


def require_api_key(request: Request) -> None:
    """Reject the request unless it carries one of the configured keys (constant-time compare)."""
    settings: GatewaySettings = request.app.state.settings
    key = presented_key(request)
    if key is None:
        raise MissingApiKeyError()
    matched = False
    for candidate in settings.api_keys:
        matched |= hmac.compare_digest(key.encode(), candidate.encode())
    if not matched:
        raise InvalidApiKeyError()
