"""Identity is the gateway's word alone: what the client claims never reaches a service."""

from __future__ import annotations

import os

import jwt
import pytest

from shared.identity import IdentityInvalidError, verify_identity_token
from tests.gateway.conftest import BOOTSTRAP_KEY, GatewayFactory, Recorder

FORGED = {
    "X-Rapport-Identity": "eyJhbGciOiJub25lIn0.eyJpZHQiOnsic3ViamVjdCI6ImFkbWluIn19.",
    "X-Actor": "ceo@example.test",
    "X-Agent-Id": "agent-99",
    "X-User": "admin",
    "X-Roles": "admin",
}


async def test_client_identity_headers_are_replaced_by_the_gateways_own(
    make_gateway: GatewayFactory, recorder: Recorder
) -> None:
    async with make_gateway() as client:
        answer = await client.get("/v1/complaints", headers={"X-API-Key": BOOTSTRAP_KEY, **FORGED})

    assert answer.status_code == 200
    sent = recorder.requests[-1]["headers"]
    for name in FORGED:
        if name.lower() != "x-rapport-identity":
            assert name.lower() not in sent
    identity = verify_identity_token(
        sent["x-rapport-identity"],
        secret=os.environ["RAPPORT_INTERNAL_TOKEN_SECRET"],
        audience="complaints",
    )
    assert identity.subject == "key:bootstrap"
    assert identity.roles == ["admin", "service"]


async def test_the_token_is_for_one_service_and_signed_with_the_shared_secret(
    make_gateway: GatewayFactory, recorder: Recorder
) -> None:
    async with make_gateway() as client:
        await client.get("/v1/customers", headers={"X-API-Key": BOOTSTRAP_KEY})
    token = recorder.requests[-1]["headers"]["x-rapport-identity"]
    secret = os.environ["RAPPORT_INTERNAL_TOKEN_SECRET"]

    assert verify_identity_token(token, secret=secret, audience="contact").kind == "api-key"
    with pytest.raises(IdentityInvalidError):
        verify_identity_token(token, secret=secret, audience="scoring")
    with pytest.raises(IdentityInvalidError):
        verify_identity_token(token, secret="x" * 40, audience="contact")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 60


async def test_provider_webhooks_get_only_the_webhook_permission(
    make_gateway: GatewayFactory, recorder: Recorder
) -> None:
    async with make_gateway() as client:
        await client.post("/v1/webhooks/generic", headers=FORGED, content=b"{}")
    identity = verify_identity_token(
        recorder.requests[-1]["headers"]["x-rapport-identity"],
        secret=os.environ["RAPPORT_INTERNAL_TOKEN_SECRET"],
        audience="contact",
    )

    assert identity.kind == "provider"
    assert identity.permissions == ["webhooks:deliver"]
