"""API-key authentication for everything behind the gateway."""

from __future__ import annotations

import hmac

from fastapi import Request

from services.gateway.errors import InvalidApiKeyError, MissingApiKeyError
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


def require_api_key(request: Request) -> None:
    """Reject the request unless it carries one of the configured keys (constant-time compare).

    Provider webhooks under `/v1/webhooks/` pass through: the service verifies their signature.
    """
    if request.url.path.startswith(PROVIDER_SIGNED_PREFIX):
        return
    settings: GatewaySettings = request.app.state.settings
    key = presented_key(request)
    if key is None:
        raise MissingApiKeyError()
    matched = False
    for candidate in settings.api_keys:
        matched |= hmac.compare_digest(key.encode(), candidate.encode())
    if not matched:
        raise InvalidApiKeyError()
