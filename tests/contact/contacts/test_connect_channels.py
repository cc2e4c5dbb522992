"""Amazon Connect chat and e-mail contacts: one contact record per contact, in any order."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from services.contact.models import CallLogEntry, Contact, Customer
from shared.db import OutboxMessage
from tests.contact.conftest import CONNECT_KEY, count_rows, outbox_types
from tests.contact.connect_requests import INSTANCE, PATH, connect_event

INITIATED_AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def _event(
    event_type: str, contact_id: str, channel: str, detail: dict[str, Any]
) -> dict[str, Any]:
    return connect_event(
        event_type, contact_id, {"channel": channel, "initiationMethod": "API", **detail}
    )


def handled_contact(
    contact_id: str,
    channel: str = "CHAT",
    *,
    method: str = "API",
    endpoint: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """INITIATED → CONNECTED_TO_AGENT → DISCONNECTED → COMPLETED; only INITIATED has `endpoint`."""
    queue = {"queueArn": INSTANCE + "/queue/chat-queue", "enqueueTimestamp": "2026-11-02T09:30:10Z"}
    agent = {
        "agentArn": INSTANCE + "/agent/agent-9",
        "connectedToAgentTimestamp": "2026-11-02T09:30:40.000Z",
    }
    connected = _event(
        "CONNECTED_TO_AGENT",
        contact_id,
        channel,
        {"agentInfo": agent, "queueInfo": queue, "initiationMethod": method},
    )
    # Only the envelope says when this one happened: the record must still get the real start.
    del connected["detail"]["initiationTimestamp"]
    completed = _event(
        "COMPLETED",
        contact_id,
        channel,
        {
            "AgentInfo": agent,
            "QueueInfo": queue,
            "disconnectTimestamp": "2026-11-02T09:41:00Z",
            "initiationMethod": method,
        },
    )
    completed["Detail"] = completed.pop("detail")
    return [
        _event(
            "INITIATED",
            contact_id,
            channel,
            {"initiationMethod": method, **({"customerEndpoint": endpoint} if endpoint else {})},
        ),
        connected,
        _event(
            "DISCONNECTED",
            contact_id,
            channel,
            {
                "initialContactId": contact_id,
                "agentInfo": agent,
                "queueInfo": queue,
                "disconnectTimestamp": "2026-11-02T09:41:00.000Z",
                "disconnectReason": "AGENT_DISCONNECT",
                "initiationMethod": method,
            },
        ),
        completed,
    ]


def shuffled(events: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The events in a random order, some of them delivered twice."""
    deliveries = events + [rng.choice(events) for _ in range(3)]
    rng.shuffle(deliveries)
    return deliveries


async def _post(
    client: httpx.AsyncClient, body: Any, key: str | None = CONNECT_KEY
) -> httpx.Response:
    headers = {"X-Connect-Api-Key": key} if key is not None else {}
    return await client.post(PATH, json=body, headers=headers)


async def _deliver(client: httpx.AsyncClient, deliveries: list[dict[str, Any]]) -> None:
    for body in deliveries:
        response = await _post(client, body)
        assert response.status_code == 200, response.text
        assert response.json()["ignored"] is False


async def _contacts(client: httpx.AsyncClient) -> list[Contact]:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        return list((await session.scalars(select(Contact).order_by(Contact.external_id))).all())


async def _recorded(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The data of every staged `contact.contact_recorded`."""
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        payloads = await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.event_type == "contact.contact_recorded"
            )
        )
        return [json.loads(p)["data"] for p in payloads.all()]


async def test_chat_events_build_one_contact_in_any_order(app_client: httpx.AsyncClient) -> None:
    rng = random.Random(11)
    roots = [str(uuid.uuid4()) for _ in range(5)]
    for root in roots:
        await _deliver(app_client, shuffled(handled_contact(root), rng))

    contacts = await _contacts(app_client)
    views = {
        (c.channel, c.direction, c.queue, c.agent, c.disposition, c.occurred_at) for c in contacts
    }
    assert sorted(c.external_id for c in contacts) == sorted(roots)
    assert views == {("chat", "inbound", "chat-queue", "agent-9", "AGENT_DISCONNECT", INITIATED_AT)}
    recorded = await _recorded(app_client)
    assert sorted(r["contact_id"] for r in recorded) == sorted(str(c.id) for c in contacts)
    assert {(r["channel"], r["direction"]) for r in recorded} == {("chat", "inbound")}
    assert {r["customer_id"] for r in recorded} == {str(c.customer_id) for c in contacts}
    assert await count_rows(app_client, CallLogEntry) == 0


async def test_concurrent_events_of_one_contact_record_it_once(
    app_client: httpx.AsyncClient,
) -> None:
    endpoint = {"address": "sam@example.com", "type": "EMAIL_ADDRESS"}
    events = handled_contact(str(uuid.uuid4()), "EMAIL", method="INBOUND", endpoint=endpoint)

    responses = await asyncio.gather(*(_post(app_client, e) for e in events for _ in range(3)))

    assert {r.status_code for r in responses} == {200}
    (contact,) = await _contacts(app_client)
    assert (contact.queue, contact.agent, contact.disposition) == (
        "chat-queue",
        "agent-9",
        "AGENT_DISCONNECT",
    )
    assert len(await _recorded(app_client)) == 1


async def test_repeated_event_adds_nothing_and_publishes_nothing(
    app_client: httpx.AsyncClient,
) -> None:
    events = handled_contact(str(uuid.uuid4()))

    first = await _post(app_client, events[0])
    again = await _post(app_client, events[0])
    later = await _post(app_client, events[2])
    last = await _post(app_client, events[1])

    # Only what tells something new counts: CONNECTED_TO_AGENT adds nothing after DISCONNECTED.
    duplicates = [r.json()["duplicate"] for r in (first, again, later, last)]
    assert duplicates == [False, True, False, True]
    assert (await outbox_types(app_client)).count("contact.contact_recorded") == 1


async def test_email_attaches_to_the_customer_with_that_address(
    app_client: httpx.AsyncClient,
) -> None:
    ann = await app_client.post(
        "/v1/customers", json={"name": "Ann", "emails": ["Ann@Example.com"]}
    )
    assert ann.status_code == 201, ann.text
    ann_id = ann.json()["customer_id"]
    endpoint = {"address": " ANN@example.com", "type": "EMAIL_ADDRESS"}
    inbound = handled_contact(str(uuid.uuid4()), "EMAIL", method="INBOUND", endpoint=endpoint)
    reply = handled_contact(str(uuid.uuid4()), "EMAIL", method="AGENT_REPLY", endpoint=endpoint)
    rng = random.Random(5)
    # The address comes only with INITIATED: whatever arrives first, the contact ends up Ann's.
    for _ in range(3):
        await _deliver(app_client, shuffled(inbound, rng))
        await _deliver(app_client, shuffled(reply, rng))

    contacts = await _contacts(app_client)
    assert {str(c.customer_id) for c in contacts} == {ann_id}
    assert {c.external_id: c.direction for c in contacts} == {
        inbound[0]["detail"]["contactId"]: "inbound",
        reply[0]["detail"]["contactId"]: "outbound",
    }
    history = (await app_client.get(f"/v1/customers/{ann_id}/interactions")).json()
    items = {i["contact"]["external_id"]: i for i in history["items"]}
    assert {i["channel"] for i in items.values()} == {"email"}
    assert set(items) == {c.external_id for c in contacts}
    assert {i["contact"]["agent"] for i in items.values()} == {"agent-9"}
    assert len(await _recorded(app_client)) == 2


async def test_chat_without_endpoint_becomes_a_prospect_of_its_own(
    app_client: httpx.AsyncClient,
) -> None:
    root = str(uuid.uuid4())
    sms = str(uuid.uuid4())
    phone = {"address": "+14155550123", "type": "TELEPHONE_NUMBER"}
    await _deliver(app_client, handled_contact(root))
    await _deliver(app_client, handled_contact(sms, endpoint=phone))

    by_root = {c.external_id: c for c in await _contacts(app_client)}
    prospect = (await app_client.get(f"/v1/customers/{by_root[root].customer_id}")).json()
    texter = (await app_client.get(f"/v1/customers/{by_root[sms].customer_id}")).json()
    assert prospect["state"] == "prospect"
    assert [(i["kind"], i["value"]) for i in prospect["identities"]] == [
        ("external", f"amazon_connect:contact:{root}")
    ]
    assert [(i["kind"], i["value"]) for i in texter["identities"]] == [("phone", "+14155550123")]
    assert (await outbox_types(app_client)).count("contact.customer_created") == 2


async def test_text_from_a_shared_number_is_not_guessed_onto_one_owner(
    app_client: httpx.AsyncClient,
) -> None:
    owners = set()
    for name in ("Ann", "Ben"):
        created = await app_client.post(
            "/v1/customers", json={"name": name, "phones": ["+14155550177"]}
        )
        assert created.status_code == 201, created.text
        owners.add(created.json()["customer_id"])
    root = str(uuid.uuid4())
    phone = {"address": "+14155550177", "type": "TELEPHONE_NUMBER"}

    await _deliver(app_client, handled_contact(root, endpoint=phone))

    (contact,) = await _contacts(app_client)
    assert str(contact.customer_id) not in owners
    prospect = (await app_client.get(f"/v1/customers/{contact.customer_id}")).json()
    assert [(i["kind"], i["value"]) for i in prospect["identities"]] == [
        ("external", f"amazon_connect:contact:{root}")
    ]


async def test_tasks_and_unknown_channels_are_ignored(app_client: httpx.AsyncClient) -> None:
    task = handled_contact(str(uuid.uuid4()), "TASK")
    other = _event("INITIATED", str(uuid.uuid4()), "CARRIER_PIGEON", {})

    for body in [*task, other]:
        response = await _post(app_client, body)
        assert response.status_code == 200
        assert response.json() == {"duplicate": False, "ignored": True, "call_id": None}
    assert await count_rows(app_client, Contact) == 0
    assert await count_rows(app_client, Customer) == 0
    assert await outbox_types(app_client) == []


async def test_chat_without_key_is_refused_and_nothing_stored(
    app_client: httpx.AsyncClient,
) -> None:
    body = handled_contact(str(uuid.uuid4()))[0]
    for key in (None, "", "wrong-key"):
        response = await _post(app_client, body, key=key)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
    assert await count_rows(app_client, Contact) == 0
    assert await count_rows(app_client, Customer) == 0
    assert await outbox_types(app_client) == []
