"""API keys: issued once and stored hashed, usable at once, rotated, revoked, expired."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import httpx
import jwt

from services.gateway.models import ApiKey
from shared.db import Database
from tests.gateway.conftest import BOOTSTRAP_KEY, GatewayFactory, Recorder

ADMIN = {"X-API-Key": BOOTSTRAP_KEY}


async def _issue(client: httpx.AsyncClient, **body: object) -> dict[str, object]:
    response = await client.post(
        "/v1/api-keys", json={"name": "twilio", "roles": ["cti"], **body}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    issued: dict[str, object] = response.json()
    return issued


def _identity_sent(recorder: Recorder) -> dict[str, object]:
    token = recorder.requests[-1]["headers"]["x-rapport-identity"]
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    identity = claims["idt"]
    assert isinstance(identity, dict)
    return identity


async def test_an_issued_key_works_at_once_with_its_roles(
    make_gateway: GatewayFactory, recorder: Recorder
) -> None:
    async with make_gateway() as client:
        issued = await _issue(client)
        key = str(issued["key"])

        answer = await client.post("/v1/contacts/events", headers={"X-API-Key": key}, json={})

    assert key.startswith("rpk_")
    assert answer.status_code == 200
    identity = _identity_sent(recorder)
    assert identity["subject"] == f"key:{issued['id']}"
    assert identity["roles"] == ["cti"]
    assert "call-events:record" in identity["permissions"]  # type: ignore[operator]
    assert "customers:erase" not in identity["permissions"]  # type: ignore[operator]


async def test_the_secret_is_shown_once_and_stored_only_as_a_hash(
    make_gateway: GatewayFactory, make_database: Callable[[str], str]
) -> None:
    url = make_database("gateway")
    async with make_gateway(database_url=url) as client:
        issued = await _issue(client)
        listed = (await client.get("/v1/api-keys", headers=ADMIN)).json()
    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            row = await session.get(ApiKey, uuid.UUID(str(issued["id"])))
    finally:
        await db.dispose()

    assert [k["id"] for k in listed] == [issued["id"]]
    assert "key" not in listed[0]
    assert row is not None
    secret = str(issued["key"]).split("_", 2)[2]
    assert secret not in row.secret_sha256
    assert len(row.secret_sha256) == 64


async def test_a_revoked_key_stops_at_once(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as client:
        issued = await _issue(client)
        headers = {"X-API-Key": str(issued["key"])}
        before = await client.get("/v1/customers", headers=headers)

        revoked = await client.delete(f"/v1/api-keys/{issued['id']}", headers=ADMIN)
        after = await client.get("/v1/customers", headers=headers)

    assert before.status_code == 200
    assert revoked.status_code == 204
    assert after.status_code == 401
    assert after.json()["code"] == "api-key-invalid"


async def test_rotation_gives_a_new_secret_and_retires_the_old_one(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway() as client:
        old = await _issue(client)
        rotated = await client.post(
            f"/v1/api-keys/{old['id']}/rotate", json={"grace_seconds": 0}, headers=ADMIN
        )
        new_key = rotated.json()["key"]
        with_old = await client.get("/v1/customers", headers={"X-API-Key": str(old["key"])})
        with_new = await client.get("/v1/customers", headers={"X-API-Key": new_key})
        listed = {k["id"]: k for k in (await client.get("/v1/api-keys", headers=ADMIN)).json()}

    assert rotated.status_code == 201
    assert with_old.status_code == 401
    assert with_new.status_code == 200
    assert listed[old["id"]]["replaced_by"] == rotated.json()["id"]
    assert listed[rotated.json()["id"]]["roles"] == ["cti"]


async def test_a_rotation_with_grace_keeps_the_old_key_working_meanwhile(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway() as client:
        old = await _issue(client)
        await client.post(
            f"/v1/api-keys/{old['id']}/rotate", json={"grace_seconds": 3600}, headers=ADMIN
        )
        with_old = await client.get("/v1/customers", headers={"X-API-Key": str(old["key"])})

    assert with_old.status_code == 200


async def test_an_expired_key_is_refused(make_gateway: GatewayFactory) -> None:
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    async with make_gateway() as client:
        issued = await _issue(client, expires_at=past)
        answer = await client.get("/v1/customers", headers={"X-API-Key": str(issued["key"])})

    assert answer.status_code == 401


async def test_a_wrong_secret_for_a_known_key_is_refused(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as client:
        issued = await _issue(client)
        prefix, lookup, _ = str(issued["key"]).split("_", 2)
        answer = await client.get(
            "/v1/customers", headers={"X-API-Key": f"{prefix}_{lookup}_guessed"}
        )

    assert answer.status_code == 401


async def test_only_admins_manage_keys(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as client:
        issued = await _issue(client, roles=["service"])
        answer = await client.get("/v1/api-keys", headers={"X-API-Key": str(issued["key"])})
        anonymous = await client.get("/v1/api-keys")

    assert answer.status_code == 403
    assert answer.json()["code"] == "permission-denied"
    assert anonymous.status_code == 401


async def test_unknown_roles_and_unknown_keys_are_clear_errors(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway() as client:
        bad_role = await client.post(
            "/v1/api-keys", json={"name": "x", "roles": ["root"]}, headers=ADMIN
        )
        missing = await client.delete(
            "/v1/api-keys/00000000-0000-0000-0000-000000000000", headers=ADMIN
        )

    assert bad_role.status_code == 422
    assert bad_role.json()["code"] == "unknown-role"
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
