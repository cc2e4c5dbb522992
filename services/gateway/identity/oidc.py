"""People's bearer tokens: OIDC JWTs verified against the issuer's published keys (JWKS).

Checked: the signature with a key from the issuer's JWKS (a token signed with an unknown key id
makes the key set be fetched again, which is how an issuer's key rotation reaches us), the
algorithm against an allow-list of asymmetric algorithms (never `none`, never HMAC: a public key
must not double as an HMAC secret), issuer, audience, expiry and not-before, with a small leeway.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import jwt

from services.gateway.errors import TokenInvalidError
from services.gateway.identity.roles import ROLES, permissions_of
from shared.identity import Identity

KeyResolver = Callable[[str], Any]
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


def looks_like_jwt(presented: str) -> bool:
    """Whether a bearer credential has the three-part shape of a JWT."""
    return presented.count(".") == 2 and presented.startswith("eyJ")


def jwks_resolver(jwks_url: str, *, refresh_cooldown: float = 30) -> KeyResolver:
    """Signing keys fetched from `jwks_url`: cached, fetched again for an unknown key id.

    A refetch for an unknown key id waits `refresh_cooldown` seconds after the last fetch, so
    tokens with made-up key ids cannot make the gateway hammer the identity provider.
    """
    client = jwt.PyJWKClient(
        jwks_url, cache_keys=True, lifespan=300, timeout=5, cooldown_duration=refresh_cooldown
    )
    return lambda token: client.get_signing_key_from_jwt(token).key


class OidcVerifier:
    """Verifies bearer JWTs of one issuer and turns their claims into an `Identity`."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: Sequence[str],
        resolve_key: KeyResolver,
        roles_claim: str = "roles",
        agent_claim: str = "agent_id",
        leeway_seconds: int = 30,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.algorithms = list(algorithms)
        self._resolve_key = resolve_key
        self.roles_claim = roles_claim
        self.agent_claim = agent_claim
        self.leeway = leeway_seconds

    async def verify(self, token: str) -> Identity:
        """The identity the token vouches for; raises `TokenInvalidError`."""
        identity, _ = await self.verify_until(token)
        return identity

    async def verify_until(self, token: str) -> tuple[Identity, dt.datetime]:
        """The identity the token vouches for and when the token expires."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in self.algorithms:
                raise TokenInvalidError(f"algorithm {header.get('alg')!r} is not accepted")
            # Fetching a key set is blocking network I/O: keep it off the event loop.
            key = await asyncio.to_thread(self._resolve_key, token)
            claims = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except TokenInvalidError:
            raise
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise TokenInvalidError(str(exc).rstrip(".").lower() or "unreadable") from exc
        expires = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
        return self.identity(claims), expires

    def identity(self, claims: dict[str, Any]) -> Identity:
        """The identity for verified `claims`: only roles Rapport knows are kept."""
        value: Any = claims
        for part in self.roles_claim.split("."):
            value = value.get(part, []) if isinstance(value, dict) else []
        roles = (
            sorted({r for r in value if isinstance(r, str) and r in ROLES})
            if isinstance(value, list)
            else []
        )
        agent = claims.get(self.agent_claim)
        return Identity(
            subject=str(claims["sub"]),
            kind="user",
            name=claims.get("name") or claims.get("preferred_username"),
            roles=roles,
            permissions=permissions_of(roles),
            agent_id=str(agent) if agent is not None else None,
        )
