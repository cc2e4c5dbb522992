"""API-key checks for everything behind the gateway."""

from __future__ import annotations

import hmac

from services.gateway.errors import InvalidApiKeyError, MissingApiKeyError

# Phone systems cannot send our API key: their webhooks are signed by the provider and the
# contact service verifies that signature on the raw body before it stores anything.
PROVIDER_SIGNED_PREFIX = "/v1/webhooks/"


def needs_api_key(path: str) -> bool:
    """Whether a canonical path needs an API key (provider webhooks are signed instead)."""
    return not path.startswith(PROVIDER_SIGNED_PREFIX)


def check_api_key(presented: str | None, accepted: list[str]) -> None:
    """Raise unless `presented` is one of the `accepted` keys (constant-time compare)."""
    if presented is None:
        raise MissingApiKeyError()
    matched = False
    for candidate in accepted:
        matched |= hmac.compare_digest(presented.encode(), candidate.encode())
    if not matched:
        raise InvalidApiKeyError()
