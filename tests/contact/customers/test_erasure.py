"""Deleting a customer (erasure) and removing single identities."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select

from services.contact.models import Call, CallLogEntry, Contact
from tests.builders import call_event
from tests.contact.conftest import outbox_types

PHONE = "+14155550100"


async def _create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/customers", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


async def test_deleted_customer_is_gone_and_its_data_erased(
    app_client: httpx.AsyncClient,
) -> None:
    ann = await _create(
        app_client, name="Ann Lee", phones=[PHONE], emails=["ann@example.com"], customer_number="C9"
    )
    ann_id = ann["customer_id"]
    await app_client.post("/v1/contacts/events", json=call_event(**{"from": PHONE}))
    await app_client.post(
        "/v1/contacts",
        json={
            "channel": "email",
            "external_id": "m-1",
            "email": "ann@example.com",
            "subject": "My address changed",
            "body": "I now live at 1 Main St.",
            "occurred_at": dt.datetime(2026, 11, 2, tzinfo=dt.UTC).isoformat(),
        },
    )

    deleted = await app_client.delete(f"/v1/customers/{ann_id}")

    assert deleted.status_code == 204
    assert (await _problem(await app_client.get(f"/v1/customers/{ann_id}"), 404))["code"] == (
        "customer-not-found"
    )
    await _problem(await app_client.get(f"/v1/customers/{ann_id}/interactions"), 404)
    for params in ({"phone": PHONE}, {"email": "ann@example.com"}, {"customer_number": "C9"}):
        found = await app_client.get("/v1/customers/identify", params=params)
        assert found.json()["match"] == "none"
    assert (await app_client.get("/v1/customers", params={"name": "Ann"})).json()["items"] == []
    assert (await app_client.get("/v1/customers")).json()["items"] == []
    assert "contact.customer_deleted" in await outbox_types(app_client)
    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        call = (await session.scalars(select(Call))).one()
        entries = (await session.scalars(select(CallLogEntry))).all()
        contact = (await session.scalars(select(Contact))).one()
    # The interactions stay (counts, reports) but say nothing about who it was.
    assert str(call.customer_id) == ann_id
    assert call.from_number == "***00"
    assert all(e.facts.get("from") == "***00" for e in entries)
    assert (contact.subject, contact.body) == (None, None)
    raw = await app_client.get("/v1/calls/" + str(call.id))
    assert PHONE not in raw.text


async def test_a_later_call_from_the_erased_number_is_an_unknown_caller(
    app_client: httpx.AsyncClient,
) -> None:
    ann = await _create(app_client, name="Ann Lee", phones=[PHONE])
    await app_client.delete(f"/v1/customers/{ann['customer_id']}")

    response = await app_client.post("/v1/contacts/events", json=call_event(**{"from": PHONE}))

    new = response.json()["customer_id"]
    assert new != ann["customer_id"]
    assert (await app_client.get(f"/v1/customers/{new}")).json()["state"] == "prospect"


async def test_deleting_twice_or_an_unknown_customer_is_404(
    app_client: httpx.AsyncClient,
) -> None:
    ann = await _create(app_client, name="Ann Lee")
    bob = await _create(app_client, name="Bob Lee")
    assert (await app_client.delete(f"/v1/customers/{ann['customer_id']}")).status_code == 204

    await _problem(await app_client.delete(f"/v1/customers/{ann['customer_id']}"), 404)
    await _problem(
        await app_client.delete("/v1/customers/00000000-0000-0000-0000-000000000009"), 404
    )
    await _problem(await app_client.delete("/v1/customers/not-an-id"), 422)
    merge = await app_client.post(
        f"/v1/customers/{bob['customer_id']}/merge",
        json={"merge_customer_id": ann["customer_id"]},
    )
    await _problem(merge, 404)


async def test_erasing_one_of_two_candidates_gives_a_held_call_to_the_other(
    app_client: httpx.AsyncClient,
) -> None:
    ann = await _create(app_client, name="Ann Lee", phones=[PHONE])
    bob = await _create(app_client, name="Bob Lee", phones=[PHONE])
    held = (await app_client.post("/v1/contacts/events", json=call_event(**{"from": PHONE}))).json()
    assert held["identification"] == "held"

    await app_client.delete(f"/v1/customers/{ann['customer_id']}")

    call = (await app_client.get(f"/v1/calls/{held['call_record_id']}")).json()
    assert call["customer_id"] == bob["customer_id"]
    assert call["candidate_customer_ids"] == [bob["customer_id"]]
    assert "contact.call_event_recorded" in await outbox_types(app_client)


async def test_removing_an_identity_frees_it(app_client: httpx.AsyncClient) -> None:
    ann = await _create(app_client, name="Ann Lee", phones=[PHONE], emails=["ann@example.com"])
    phone = next(i for i in ann["identities"] if i["kind"] == "phone")
    other = await _create(app_client, name="Bob Lee")

    removed = await app_client.delete(
        f"/v1/customers/{ann['customer_id']}/identities/{phone['identity_id']}"
    )
    again = await app_client.delete(
        f"/v1/customers/{ann['customer_id']}/identities/{phone['identity_id']}"
    )
    email = next(i for i in ann["identities"] if i["kind"] == "email")
    not_theirs = await app_client.delete(
        f"/v1/customers/{other['customer_id']}/identities/{email['identity_id']}"
    )

    assert removed.status_code == 200
    assert [i["kind"] for i in removed.json()["identities"]] == ["email"]
    assert (await _problem(again, 404))["code"] == "identity-not-found"
    await _problem(not_theirs, 404)
    found = await app_client.get("/v1/customers/identify", params={"phone": PHONE})
    assert found.json()["match"] == "none"
