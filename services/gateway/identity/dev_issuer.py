"""A local OIDC issuer for the embedded default, so people can sign in with no setup.

It signs RS256 tokens for a few built-in users (an agent, a second agent, a supervisor, an
admin) and publishes its key set like a real issuer. It is off unless
`GATEWAY_DEV_ISSUER_ENABLED=true` (`make run` turns it on); production points
`GATEWAY_OIDC_ISSUER` and `GATEWAY_OIDC_JWKS_URL` at the organisation's identity provider.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

TOKEN_LIFETIME = dt.timedelta(hours=8)


@dataclass(frozen=True)
class DevUser:
    """A built-in user of the development issuer."""

    username: str
    name: str
    roles: tuple[str, ...]
    agent_id: str | None = None


DEV_USERS: dict[str, DevUser] = {
    u.username: u
    for u in (
        DevUser("agent", "Ada Agent", ("agent",), agent_id="agent-1"),
        DevUser("agent2", "Ben Agent", ("agent",), agent_id="agent-2"),
        DevUser("agent3", "Chen Jing", ("agent",), agent_id="agent-3"),
        DevUser("agent4", "Dana Agent", ("agent",), agent_id="agent-4"),
        DevUser("supervisor", "Sam Supervisor", ("supervisor",), agent_id="supervisor-1"),
        DevUser("admin", "Alex Admin", ("admin",)),
    )
}


class DevIssuer:
    """Signs tokens for the built-in users with one RSA key, kept in a file if given."""

    def __init__(self, issuer: str, audience: str, key_file: Path | None = None) -> None:
        self.issuer = issuer
        self.audience = audience
        self._key = _load_or_create_key(key_file)
        self.kid = uuid.uuid5(uuid.NAMESPACE_URL, self.public_pem()).hex[:16]

    def public_pem(self) -> str:
        """The public key, PEM-encoded."""
        return (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def jwks(self) -> dict[str, Any]:
        """The key set, as `jwks_uri` serves it."""
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def signing_key(self, token: str) -> Any:
        """The verification key for a token of this issuer (the `OidcVerifier` key resolver)."""
        if jwt.get_unverified_header(token).get("kid") != self.kid:
            raise jwt.InvalidTokenError("unknown key id")
        return self._key.public_key()

    def token_for(self, user: DevUser, *, now: dt.datetime) -> str:
        """A signed ID/access token for `user`."""
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": f"dev|{user.username}",
            "preferred_username": user.username,
            "name": user.name,
            "roles": list(user.roles),
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
        }
        if user.agent_id:
            claims["agent_id"] = user.agent_id
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def _load_or_create_key(path: Path | None) -> rsa.RSAPrivateKey:
    if path is not None and path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return loaded
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
    return key
