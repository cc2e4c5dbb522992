"""Calls from a number several customers share: held with candidates until an agent picks one."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from services.contact.models import Call, Customer
from shared.db import OutboxMessage
from tests.builders import call_event
from tests.contact import twilio_requests as tw
from tests.contact.conftest import outbox_types

SHARED = "+14155550100"
START = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)
CALL_EVENTS = (
    "contact.call_started",
    "contact.call_connected",
    "contact.call_ended",
    "contact.call_abandoned",
    "contact.call_event_recorded",
)


async def _customer(client: httpx.AsyncClient, name: str, phone: str = SHARED) -> str:
    response = await client.post("/v1/customers", json={"name": name, "phones": [phone]})
    assert response.status_code == 201, response.text
    return str(response.json()["customer_id"])


async def _household(client: httpx.AsyncClient) -> tuple[str, str]:
    return await _customer(client, "Ann Lee"), await _customer(client, "Bob Lee", "415-555-0100")


async def _call_events(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.event_type.in_(CALL_EVENTS))
            .order_by(OutboxMessage.id)
        )
        return [json.loads(r.payload)["data"] | {"type": r.event_type} for r in rows.all()]


async def _only_call(client: httpx.AsyncClient) -> Call:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        call: Call = (await session.scalars(select(Call))).one()
        return call


async def _answered_call(client: httpx.AsyncClient, caller: str = SHARED) -> None:
    for request in tw.answered_inbound_call(caller, START):
        response = await tw.send(client, request)
        assert response.status_code in (200, 204), response.text


async def test_call_from_a_shared_number_is_held_with_its_candidates(
    app_client: httpx.AsyncClient,
) -> None:
    ann, bob = await _household(app_client)

    await _answered_call(app_client)

    call = await _only_call(app_client)
    assert call.customer_id is None
    assert call.identification == "held"
    assert call.candidate_customer_ids == [ann, bob]
    assert call.state == "ended" and call.outcome == "answered"
    # Nothing is published under a guessed customer.
    assert await _call_events(app_client) == []
    held = (await app_client.get("/v1/calls", params={"identification": "held"})).json()
    assert [c["call_id"] for c in held["items"]] == [str(call.id)]
    assert held["items"][0]["candidate_customer_ids"] == [ann, bob]
    for customer in (ann, bob):
        history = (await app_client.get(f"/v1/customers/{customer}/interactions")).json()
        assert history["items"] == []


async def test_held_call_is_the_same_whatever_the_order(app_client: httpx.AsyncClient) -> None:
    await _household(app_client)
    rng = random.Random(11)
    requests = tw.answered_inbound_call(SHARED, START)
    deliveries = requests + [rng.choice(requests) for _ in range(4)]
    rng.shuffle(deliveries)

    for request in deliveries:
        assert (await tw.send(app_client, request)).status_code in (200, 204)

    call = await _only_call(app_client)
    assert (call.identification, call.customer_id, call.state, call.outcome) == (
        "held",
        None,
        "ended",
        "answered",
    )
    assert await _call_events(app_client) == []


async def test_picking_the_customer_publishes_what_the_call_held_back_once(
    app_client: httpx.AsyncClient,
) -> None:
    ann, bob = await _household(app_client)
    await _answered_call(app_client)
    call = await _only_call(app_client)

    picked = await app_client.put(f"/v1/calls/{call.id}/customer", json={"customer_id": bob})
    again = await app_client.put(f"/v1/calls/{call.id}/customer", json={"customer_id": bob})

    assert picked.status_code == 200, picked.text
    assert picked.json()["customer_id"] == bob
    assert picked.json()["identification"] == "agent"
    assert again.status_code == 200
    events = await _call_events(app_client)
    lifecycle = [e["type"] for e in events if e["type"] != "contact.call_event_recorded"]
    assert lifecycle == ["contact.call_started", "contact.call_connected", "contact.call_ended"]
    recorded = [e for e in events if e["type"] == "contact.call_event_recorded"]
    assert len(recorded) == len(picked.json()["events"])
    assert [e["first_event_of_call"] for e in recorded].count(True) == 1
    assert {e["customer_id"] for e in events} == {bob}
    history = (await app_client.get(f"/v1/customers/{bob}/interactions")).json()
    assert [i["interaction_id"] for i in history["items"]] == [str(call.id)]
    assert (await app_client.get(f"/v1/customers/{ann}/interactions")).json()["items"] == []
    assert (await app_client.get("/v1/calls", params={"identification": "held"})).json()[
        "items"
    ] == []


async def test_events_after_the_pick_stay_with_the_picked_customer(
    app_client: httpx.AsyncClient,
) -> None:
    ann, _ = await _household(app_client)
    requests = tw.answered_inbound_call(SHARED, START)
    for request in requests[:2]:
        await tw.send(app_client, request)
    call = await _only_call(app_client)
    await app_client.put(f"/v1/calls/{call.id}/customer", json={"customer_id": ann})
    before = len(await _call_events(app_client))

    for request in requests[2:]:
        await tw.send(app_client, request)

    after = await _only_call(app_client)
    assert str(after.customer_id) == ann and after.identification == "agent"
    types = [e["type"] for e in (await _call_events(app_client))[before:]]
    assert types.count("contact.call_ended") == 1
    assert types.count("contact.call_started") == 0


async def test_a_wrong_pick_is_a_problem_and_changes_nothing(
    app_client: httpx.AsyncClient,
) -> None:
    ann, bob = await _household(app_client)
    other = await _customer(app_client, "Cy Wu", "+14155550177")
    await _answered_call(app_client)
    call = await _only_call(app_client)
    path = f"/v1/calls/{call.id}/customer"

    unknown = await app_client.put(
        path, json={"customer_id": "00000000-0000-0000-0000-000000000001"}
    )
    malformed = await app_client.put(path, json={"customer_id": "bob"})
    no_call = await app_client.put(
        "/v1/calls/00000000-0000-0000-0000-000000000002/customer", json={"customer_id": ann}
    )
    await app_client.post(f"/v1/customers/{ann}/merge", json={"merge_customer_id": other})
    merged_away = await app_client.put(path, json={"customer_id": other})

    assert unknown.status_code == 404
    assert malformed.status_code == 422
    assert no_call.status_code == 404
    assert merged_away.status_code == 409
    assert merged_away.json()["code"] == "customer-merged"
    for response in (unknown, malformed, no_call, merged_away):
        assert response.headers["content-type"] == "application/problem+json"
    assert (await _only_call(app_client)).customer_id is None

    # A non-candidate may be picked (the caller is someone else in the house)...
    assert (await app_client.put(path, json={"customer_id": ann})).status_code == 200
    # ...but once picked, another pick is refused.
    taken = await app_client.put(path, json={"customer_id": bob})
    assert taken.status_code == 409
    assert taken.json()["code"] == "call-already-identified"


async def test_merging_the_candidates_gives_the_call_its_customer(
    app_client: httpx.AsyncClient,
) -> None:
    ann, bob = await _household(app_client)
    await _answered_call(app_client)

    merged = await app_client.post(f"/v1/customers/{ann}/merge", json={"merge_customer_id": bob})

    assert merged.status_code == 200
    call = await _only_call(app_client)
    assert str(call.customer_id) == ann
    assert call.identification == "caller_id"
    assert call.candidate_customer_ids == [ann]
    assert "contact.call_ended" in await outbox_types(app_client)


async def test_held_call_is_routed_by_its_best_candidate(app_client: httpx.AsyncClient) -> None:
    _, bob = await _household(app_client)
    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        customer = await session.get(Customer, uuid.UUID(bob))
        assert customer is not None
        customer.tier = "gold"
        await session.commit()

    response = await tw.send(app_client, tw.voice(tw.sid(), SHARED))

    assert ">priority</Enqueue>" in response.text


async def test_internal_call_event_api_holds_and_then_publishes(
    app_client: httpx.AsyncClient,
) -> None:
    ann, bob = await _household(app_client)

    first = await app_client.post("/v1/contacts/events", json=call_event(**{"from": SHARED}))

    assert first.status_code == 201
    body = first.json()
    assert body["customer_id"] is None
    assert body["identification"] == "held"
    assert body["candidate_customer_ids"] == [ann, bob]
    assert await _call_events(app_client) == []

    picked = await app_client.put(
        f"/v1/calls/{body['call_record_id']}/customer", json={"customer_id": ann}
    )

    assert picked.status_code == 200
    events = await _call_events(app_client)
    assert [(e["type"], e["call_event_id"], e["customer_id"]) for e in events] == [
        ("contact.call_event_recorded", body["call_event_id"], ann)
    ]
    assert events[0]["first_event_of_call"] is True
    stored = (await app_client.get(f"/v1/contacts/events/{body['call_event_id']}")).json()
    assert stored["customer_id"] == ann


async def test_non_voice_contact_from_a_shared_phone_asks_which_customer(
    app_client: httpx.AsyncClient,
) -> None:
    ann, bob = await _household(app_client)
    sms = {
        "channel": "sms",
        "external_id": "SM1",
        "phone": SHARED,
        "body": "Where is my parcel?",
        "occurred_at": START.isoformat(),
    }

    ambiguous = await app_client.post("/v1/contacts", json=sms)
    chosen = await app_client.post("/v1/contacts", json=sms | {"phone": None, "customer_id": bob})

    assert ambiguous.status_code == 409
    assert ambiguous.headers["content-type"] == "application/problem+json"
    assert ambiguous.json()["code"] == "ambiguous-customer"
    assert ambiguous.json()["candidates"] == [ann, bob]
    assert chosen.status_code == 201
    assert chosen.json()["customer_id"] == bob


async def test_held_calls_page_newest_first(app_client: httpx.AsyncClient) -> None:
    await _household(app_client)
    for n in range(3):
        body = call_event(call_id=f"held-{n}", **{"from": SHARED})
        body["timestamp"] = (START + dt.timedelta(minutes=n)).isoformat()
        assert (await app_client.post("/v1/contacts/events", json=body)).status_code == 201
    params: dict[str, Any] = {"identification": "held", "limit": 2}

    first = (await app_client.get("/v1/calls", params=params)).json()
    rest = await app_client.get("/v1/calls", params={**params, "cursor": first["next_cursor"]})
    bad = await app_client.get("/v1/calls", params={**params, "cursor": "not-a-cursor"})

    ids = [c["provider_call_id"] for c in first["items"] + rest.json()["items"]]
    assert ids == ["held-2", "held-1", "held-0"]
    assert rest.json()["next_cursor"] is None
    assert bad.status_code == 400
