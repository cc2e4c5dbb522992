"""Customer identification, CRUD, search with cursor pagination, and merging."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
from sqlalchemy import select

from shared.db import OutboxMessage
from tests.builders import call_event


async def _create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/customers", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _identify(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/v1/customers/identify", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_chinese_mobile_in_any_form_is_one_customer(app_client: httpx.AsyncClient) -> None:
    app_client.app.state.settings.default_region = "CN"  # type: ignore[attr-defined]
    created = await _create(app_client, name="王小明", phones=["+86 138 0013 8000"])

    found = await _identify(app_client, phone="13800138000")

    assert found["match"] == "one"
    assert found["customer"]["customer_id"] == created["customer_id"]
    assert ("phone", "+8613800138000") in {(i["kind"], i["value"]) for i in created["identities"]}


async def test_us_national_number_is_read_in_the_default_region(
    app_client: httpx.AsyncClient,
) -> None:
    created = await _create(app_client, phones=["(415) 555-0100"])

    for written in ("+1 415-555-0100", "415.555.0100", "(415) 555-0100"):
        found = await _identify(app_client, phone=written)
        assert found["customer"]["customer_id"] == created["customer_id"]


async def test_unknown_caller_becomes_a_prospect(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/v1/contacts/events", json=call_event())
    customer = (await app_client.get(f"/v1/customers/{response.json()['customer_id']}")).json()

    assert customer["state"] == "prospect"
    assert [(i["kind"], i["value"]) for i in customer["identities"]] == [("phone", "+14155550100")]
    assert customer["man"]["strategy"].startswith("qualify")


async def test_shared_number_returns_the_candidates_not_a_guess(
    app_client: httpx.AsyncClient,
) -> None:
    first = await _create(app_client, name="Ann Lee", phones=["+14155550100"])
    second = await _create(app_client, name="Bob Lee", phones=["+1 415 555 0100"])

    found = await _identify(app_client, phone="4155550100")

    assert found["match"] == "many"
    assert found["customer"] is None
    assert {c["customer_id"] for c in found["candidates"]} == {
        first["customer_id"],
        second["customer_id"],
    }


async def test_email_and_customer_number_belong_to_one_customer(
    app_client: httpx.AsyncClient,
) -> None:
    await _create(app_client, emails=["Ann@Example.COM"], customer_number="C-1001")

    taken = await app_client.post("/v1/customers", json={"emails": [" ann@example.com "]})
    number_taken = await app_client.post("/v1/customers", json={"customer_number": "C-1001"})

    assert taken.status_code == 409
    assert taken.json()["code"] == "identity-taken"
    assert number_taken.status_code == 409
    found = await _identify(app_client, email="ANN@example.com")
    assert found["match"] == "one"


async def test_attributes_and_man_strategy(app_client: httpx.AsyncClient) -> None:
    created = await _create(
        app_client,
        name="Acme Ltd",
        kind="intermediary",
        party="organisation",
        man={"money": True, "authority": False, "need": True},
    )
    assert created["man"] == {
        "money": True,
        "authority": False,
        "need": True,
        "qualified": False,
        "strategy": "find the decision maker",
    }

    response = await app_client.patch(
        f"/v1/customers/{created['customer_id']}",
        json={"state": "current", "man": {"money": True, "authority": True, "need": True}},
    )

    assert response.status_code == 200
    assert response.json()["state"] == "current"
    assert response.json()["kind"] == "intermediary"
    assert response.json()["man"]["qualified"] is True


async def test_search_by_name_prefix_pages_with_a_cursor(app_client: httpx.AsyncClient) -> None:
    for name in ("张伟", "张三", "张小红", "李四", "Zhang Wei"):
        await _create(app_client, name=name)

    first = (await app_client.get("/v1/customers", params={"name": "张", "limit": 2})).json()
    second = (
        await app_client.get(
            "/v1/customers", params={"name": "张", "limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    latin = (await app_client.get("/v1/customers", params={"name": "zhang"})).json()

    names = [c["name"] for c in first["items"] + second["items"]]
    assert sorted(names) == sorted(["张伟", "张三", "张小红"])
    assert second["next_cursor"] is None
    assert [c["name"] for c in latin["items"]] == ["Zhang Wei"]


async def test_search_by_phone_in_any_form_and_by_email(app_client: httpx.AsyncClient) -> None:
    ann = await _create(app_client, name="Ann", phones=["+14155550100"], emails=["ann@example.com"])
    await _create(app_client, name="Bob", phones=["+14155550111"])

    by_phone = (await app_client.get("/v1/customers", params={"phone": "(415) 555-0100"})).json()
    by_email = (await app_client.get("/v1/customers", params={"email": "ANN@example.com"})).json()

    assert [c["customer_id"] for c in by_phone["items"]] == [ann["customer_id"]]
    assert [c["customer_id"] for c in by_email["items"]] == [ann["customer_id"]]


async def test_bad_input_is_a_4xx_problem(app_client: httpx.AsyncClient) -> None:
    responses = [
        await app_client.get("/v1/customers", params={"phone": "not a number"}),
        await app_client.get("/v1/customers", params={"cursor": "garbage!!"}),
        await app_client.get("/v1/customers", params={"email": "nobody"}),
        await app_client.post("/v1/customers", json={"state": "vip"}),
        await app_client.get("/v1/customers/7d4b8f8e-4b7e-4c58-9d7c-7c2b0ad3c001"),
        await app_client.get("/v1/customers/not-a-uuid"),
    ]
    for response in responses:
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_merge_keeps_every_interaction_and_identity(app_client: httpx.AsyncClient) -> None:
    kept = await _create(app_client, name="Ann", emails=["ann@example.com"])
    call = await app_client.post("/v1/contacts/events", json=call_event())
    prospect_id = call.json()["customer_id"]
    await app_client.post(
        "/v1/contacts",
        json={
            "channel": "email",
            "external_id": "msg-1",
            "email": "ann@example.com",
            "subject": "Invoice",
            "occurred_at": dt.datetime(2026, 11, 3, tzinfo=dt.UTC).isoformat(),
        },
    )

    merged = await app_client.post(
        f"/v1/customers/{kept['customer_id']}/merge", json={"merge_customer_id": prospect_id}
    )

    assert merged.status_code == 200, merged.text
    identities = {(i["kind"], i["value"]) for i in merged.json()["identities"]}
    assert identities == {("email", "ann@example.com"), ("phone", "+14155550100")}
    history = (await app_client.get(f"/v1/customers/{kept['customer_id']}/interactions")).json()
    assert [i["channel"] for i in history["items"]] == ["email", "voice"]
    old = (await app_client.get(f"/v1/customers/{prospect_id}")).json()
    assert old["merged_into"] == kept["customer_id"]
    found = await _identify(app_client, phone="+14155550100")
    assert found["customer"]["customer_id"] == kept["customer_id"]
    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        payload = await session.scalar(
            select(OutboxMessage.payload).where(
                OutboxMessage.event_type == "contact.customers_merged"
            )
        )
    assert payload is not None
    data = json.loads(payload)["data"]
    assert data["merged_customer_id"] == prospect_id
    assert data["interactions_moved"] >= 1


async def test_merging_into_itself_is_refused(app_client: httpx.AsyncClient) -> None:
    ann = await _create(app_client, name="Ann")
    response = await app_client.post(
        f"/v1/customers/{ann['customer_id']}/merge", json={"merge_customer_id": ann["customer_id"]}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "self-merge"
