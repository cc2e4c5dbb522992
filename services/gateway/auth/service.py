"""Who a credential stands for: a bootstrap key, an issued API key or a person's bearer token."""

from __future__ import annotations

import datetime as dt
import hmac
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.auth.credentials import CredentialCache
from services.gateway.errors import InvalidApiKeyError, MissingApiKeyError, TokenInvalidError
from services.gateway.identity.oidc import OidcVerifier, looks_like_jwt
from services.gateway.identity.roles import PROVIDER_PERMISSIONS, permissions_of
from services.gateway.keys.service import authenticate_key, looks_like_api_key
from services.gateway.settings import GatewaySettings
from shared.identity import Identity

# Phone systems cannot send our credentials: their webhooks are signed by the provider and the
# contact service verifies that signature on the raw body before it stores anything.
PROVIDER_SIGNED_PREFIX = "/v1/webhooks/"

PROVIDER = Identity(
    subject="provider-webhook",
    kind="provider",
    roles=[],
    permissions=sorted(PROVIDER_PERMISSIONS),
)


def needs_credential(path: str) -> bool:
    """Whether a canonical path needs a credential (provider webhooks are signed instead)."""
    return not path.startswith(PROVIDER_SIGNED_PREFIX)


def _is_bootstrap_key(presented: str, accepted: list[str]) -> bool:
    matched = False
    for candidate in accepted:
        matched |= hmac.compare_digest(presented.encode(), candidate.encode())
    return matched


async def authenticate(
    presented: str | None,
    *,
    settings: GatewaySettings,
    verifier: OidcVerifier | None,
    sessions: async_sessionmaker[AsyncSession],
    now: dt.datetime,
    cache: CredentialCache | None = None,
) -> Identity:
    """The identity `presented` stands for; raises a 401 error when it stands for no one.

    With a `cache`, a credential verified a moment ago is not verified again (see
    `auth.credentials`); a revoked key is refused at once either way.
    """
    if presented is None:
        raise MissingApiKeyError()
    if cache is not None:
        remembered = cache.get(presented, now)
        if remembered is not None:
            return remembered
    identity, ends_at, key_id = await _verify(presented, settings, verifier, sessions, now)
    if cache is not None:
        cache.put(presented, identity, ends_at=ends_at, key_id=key_id)
    return identity


async def _verify(
    presented: str,
    settings: GatewaySettings,
    verifier: OidcVerifier | None,
    sessions: async_sessionmaker[AsyncSession],
    now: dt.datetime,
) -> tuple[Identity, dt.datetime | None, uuid.UUID | None]:
    """The identity, when the credential ends (if it does) and the API key's id (if one)."""
    if _is_bootstrap_key(presented, settings.api_keys):
        roles = sorted(settings.bootstrap_key_roles)
        identity = Identity(
            subject="key:bootstrap", kind="api-key", roles=roles, permissions=permissions_of(roles)
        )
        return identity, None, None
    if looks_like_jwt(presented):
        if verifier is None:
            raise TokenInvalidError("no token issuer is configured")
        identity, expires = await verifier.verify_until(presented)
        return identity, expires, None
    if looks_like_api_key(presented):
        # A short transaction of its own: the last-used time is committed before the request is
        # proxied, so no database lock is held while an upstream answers.
        async with sessions() as session:
            key = await authenticate_key(session, presented, now=now)
            await session.commit()
        if key is not None:
            identity = Identity(
                subject=f"key:{key.id}",
                kind="api-key",
                name=key.name,
                roles=list(key.roles),
                permissions=permissions_of(key.roles),
            )
            ends = [t for t in (key.expires_at, key.revoked_at) if t is not None]
            return identity, min(ends, default=None), key.id
    raise InvalidApiKeyError()
