"""People's bearer tokens: verified against the issuer's JWKS over HTTP, every bad token refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from tests.gateway.conftest import GatewayFactory, Recorder, uvicorn_server

ISSUER = "https://login.example.test/realms/callcenter"
AUDIENCE = "rapport"


@dataclass
class Issuer:
    """A stand-in identity provider: a key pair per key id and a JWKS served over HTTP."""

    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    jwks_url: str = ""

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key())), "kid": kid}
                for kid, k in self.keys.items()
            ]
        }

    def token(self, kid: str = "k1", key: Any = None, alg: str = "RS256", **overrides: Any) -> str:
        now = dt.datetime.now(dt.UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-42",
            "name": "Chen Jing",
            "roles": ["agent", "superuser"],
            "agent_id": "agent-42",
            "iat": now,
            "nbf": now,
            "exp": now + dt.timedelta(minutes=5),
            **overrides,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.keys[kid], algorithm=alg, headers={"kid": kid})


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    provider = Issuer()
    provider.add_key("k1")
    app = FastAPI()

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return provider.jwks()

    async with uvicorn_server(app) as port:
        provider.jwks_url = f"http://127.0.0.1:{port}/jwks"
        yield provider


@pytest.fixture
async def gateway(make_gateway: GatewayFactory, issuer: Issuer) -> AsyncIterator[httpx.AsyncClient]:
    async with make_gateway(
        oidc_issuer=ISSUER,
        oidc_jwks_url=issuer.jwks_url,
        oidc_audience=AUDIENCE,
        oidc_jwks_refresh_cooldown_seconds=0,
    ) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_signs_the_person_in_with_known_roles_only(
    gateway: httpx.AsyncClient, issuer: Issuer, recorder: Recorder
) -> None:
    me = await gateway.get("/v1/me", headers=bearer(issuer.token()))
    proxied = await gateway.get("/v1/customers", headers=bearer(issuer.token()))

    assert me.status_code == 200, me.text
    assert me.json()["subject"] == "user-42"
    assert me.json()["kind"] == "user"
    assert me.json()["roles"] == ["agent"]
    assert me.json()["agent_id"] == "agent-42"
    assert "complaints:file" in me.json()["permissions"]
    assert "customers:erase" not in me.json()["permissions"]
    assert proxied.status_code == 200
    assert "authorization" not in recorder.requests[-1]["headers"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_made(alg: str, secret: bytes | None) -> str:
    """A token built by hand, as an attacker would: `none`, or HMAC keyed with public data."""
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "roles": ["admin"]}
    head = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
    body = _b64(json.dumps({**claims, "iat": now, "exp": now + 60}).encode())
    if secret is None:
        return f"{head}.{body}."
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _public_pem(issuer: Issuer) -> bytes:
    return (
        issuer.keys["k1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


BAD_TOKENS: dict[str, Any] = {
    "expired": lambda i: i.token(exp=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)),
    "not yet valid": lambda i: i.token(nbf=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)),
    "wrong issuer": lambda i: i.token(iss="https://evil.example.test"),
    "wrong audience": lambda i: i.token(aud="someone-else"),
    "no expiry": lambda i: i.token(exp=None),
    "alg none": lambda i: _hand_made("none", None),
    "wrong key, known kid": lambda i: i.token(
        key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ),
    "unknown kid": lambda i: i.token(
        kid="k9", key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ),
    "HS256 with the public key as secret": lambda i: _hand_made("HS256", _public_pem(i)),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_a_bad_token_is_refused_and_reaches_no_service(
    gateway: httpx.AsyncClient, issuer: Issuer, recorder: Recorder, case: str
) -> None:
    try:
        token = BAD_TOKENS[case](issuer)
    except jwt.PyJWTError:
        pytest.fail("the test could not build its token")

    answer = await gateway.get("/v1/customers", headers=bearer(token))

    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "token-invalid"
    assert recorder.requests == []


async def test_a_key_rotated_at_the_issuer_is_picked_up(
    gateway: httpx.AsyncClient, issuer: Issuer
) -> None:
    assert (await gateway.get("/v1/me", headers=bearer(issuer.token()))).status_code == 200

    issuer.add_key("k2")
    del issuer.keys["k1"]
    answer = await gateway.get("/v1/me", headers=bearer(issuer.token(kid="k2")))

    assert answer.status_code == 200, answer.text


async def test_the_development_issuer_signs_in_the_built_in_users(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(dev_issuer_enabled=True) as client:
        token = await client.post("/dev-issuer/token", json={"username": "agent"})
        me = await client.get("/v1/me", headers=bearer(token.json()["access_token"]))
        unknown = await client.post("/dev-issuer/token", json={"username": "mallory"})
        keys = await client.get("/dev-issuer/jwks.json")

    assert token.status_code == 200
    assert me.json()["roles"] == ["agent"]
    assert me.json()["agent_id"] == "agent-1"
    assert unknown.status_code == 404
    assert keys.json()["keys"][0]["kty"] == "RSA"


async def test_the_development_issuer_is_off_unless_enabled(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as client:
        answer = await client.post("/dev-issuer/token", json={"username": "admin"})

    assert answer.status_code == 404
    assert answer.json()["code"] == "dev-issuer-disabled"
