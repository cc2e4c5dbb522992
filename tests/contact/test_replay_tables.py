"""Every provider's deliveries, shuffled and partly repeated, give the very same tables.

Twilio calls, generic PBX events, Amazon Connect voice, chat and e-mail contacts, and SMS and
web-form contacts posted directly: once in order into one database, once shuffled with about
a third delivered twice into another. The tables are compared whole, without insertion ids
and times, with customer and call ids replaced by what identifies them; the outbox too: each
call and contact publishes once its events have settled, so what it publishes does not depend
on the order they arrived in.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.contact.main import create_app
from services.contact.models import (
    Call,
    CallEvent,
    CallLogEntry,
    Contact,
    Customer,
    CustomerIdentity,
)
from shared.db import OutboxMessage
from tests.builders import contact_settings
from tests.conftest import serve
from tests.contact import twilio_requests as tw
from tests.contact.conftest import CONNECT_KEY, PUBLIC_BASE, TWILIO_TOKEN, WEBHOOK_SECRET
from tests.contact.connect_requests import PATH as CONNECT_PATH
from tests.contact.contacts.test_connect_channels import handled_contact
from tests.contact.webhooks.test_connect_webhooks import answered_contact
from tests.contact.webhooks.test_generic_webhooks import PATH as GENERIC_PATH
from tests.contact.webhooks.test_generic_webhooks import _signed, asterisk_call
from tests.kafka_helpers import eventually
from tests.tables import snapshot

Delivery = tuple[str, Any]
# Long enough that nothing settles while the deliveries go in; the test then settles them.
SETTLE = dt.timedelta(seconds=300)


def _deliveries() -> list[Delivery]:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)
    out: list[Delivery] = []
    out += [("twilio", r) for r in tw.answered_inbound_call("+14155550100", start)]
    out += [("twilio", r) for r in tw.abandoned_queued_call("+14155550101", start)]
    out += [("generic", e) for e in asterisk_call("1700000000.7")]
    out += [("connect", e) for e in answered_contact("3f0c1e2a-1111-4c5d-9e8f-000000000001")]
    email = {"address": "ann@example.com", "type": "EMAIL_ADDRESS"}
    chat = {"address": "+14155550102", "type": "TELEPHONE_NUMBER"}
    out += [
        ("connect", e)
        for e in handled_contact("3f0c1e2a-2222-4c5d-9e8f-000000000002", "EMAIL", endpoint=email)
    ]
    out += [
        ("connect", e)
        for e in handled_contact("3f0c1e2a-3333-4c5d-9e8f-000000000003", "CHAT", endpoint=chat)
    ]
    at = start.isoformat()
    out.append(
        (
            "contact",
            {
                "channel": "sms",
                "external_id": "SM1",
                "phone": "+14155550103",
                "body": "Where is my order?",
                "occurred_at": at,
            },
        )
    )
    out.append(
        (
            "contact",
            {
                "channel": "web_form",
                "external_id": "form-1",
                "email": "bo@example.com",
                "subject": "Refund",
                "occurred_at": at,
            },
        )
    )
    return out


async def _deliver(client: httpx.AsyncClient, delivery: Delivery) -> None:
    kind, payload = delivery
    if kind == "twilio":
        response = await tw.send(client, payload, token=TWILIO_TOKEN, base=PUBLIC_BASE)
    elif kind == "generic":
        body, headers = _signed(payload)
        response = await client.post(GENERIC_PATH, content=body, headers=headers)
    elif kind == "connect":
        headers = {"X-Connect-Api-Key": CONNECT_KEY}
        response = await client.post(CONNECT_PATH, json=payload, headers=headers)
    else:
        response = await client.post("/v1/contacts", json=payload)
    assert response.status_code in (200, 201, 204), (kind, response.text)


@pytest.fixture
async def make_client(
    make_database: Callable[[str], str], broker: str
) -> AsyncIterator[Callable[[], Any]]:
    """Start a contact app with every provider's credentials on a fresh database."""
    running: list[AsyncIterator[httpx.AsyncClient]] = []

    async def start() -> httpx.AsyncClient:
        settings = contact_settings(
            make_database("contact"),
            broker,
            f"t{uuid.uuid4().hex[:8]}.",
            public_base_url=PUBLIC_BASE,
            twilio_auth_tokens=[TWILIO_TOKEN],
            connect_api_keys=[CONNECT_KEY],
            webhook_secrets=[WEBHOOK_SECRET],
            kafka_session_timeout_ms=2000,
            call_settle_seconds=SETTLE.total_seconds(),
        )
        app = create_app(settings)
        served = serve(app)
        running.append(served)
        client = await served.__anext__()
        client.app = app  # type: ignore[attr-defined]
        await eventually(lambda: all(r.connected for r in app.state.consumers), what="consumers")
        return client

    yield start
    for served in reversed(running):
        with pytest.raises(StopAsyncIteration):
            await served.__anext__()


async def _settled_tables(client: httpx.AsyncClient) -> dict[str, Any]:
    app = client.app  # type: ignore[attr-defined]
    later = dt.datetime.now(dt.UTC) + SETTLE + dt.timedelta(seconds=1)
    assert await app.state.settler.settle_once(later) > 0
    async with app.state.db.sessionmaker() as session:
        labels: dict[Any, str] = {}
        identities = (await session.execute(select(CustomerIdentity))).scalars().all()
        for identity in identities:
            labels[identity.customer_id] = f"customer {identity.kind}:{identity.value}"
        for call in (await session.execute(select(Call))).scalars().all():
            labels[call.id] = f"call {call.provider}:{call.provider_call_id}"
        for entry in (await session.execute(select(CallLogEntry))).scalars().all():
            labels[entry.id] = f"event {entry.provider}:{entry.dedup_key}"
        for contact in (await session.execute(select(Contact))).scalars().all():
            labels[contact.id] = f"contact {contact.channel}:{contact.external_id}"
        # No prospect is made for the events that come before the one naming the customer.
        assert [i.value for i in identities if i.kind == "external"] == []
        labels |= {str(k): v for k, v in list(labels.items())}
        tables = {
            Customer.__table__: {"created_at", "updated_at"},  # the id as its label
            CustomerIdentity.__table__: {"id", "created_at"},
            CallEvent.__table__: {"id", "received_at"},
            # Twilio's queue and gather callbacks carry no time: they are dated when received.
            Call.__table__: {"id", "updated_at", "queued_at"},
            CallLogEntry.__table__: {"id", "received_at", "occurred_at"},
            Contact.__table__: {"id", "received_at"},
            OutboxMessage.__table__: {
                "id",
                "event_id",
                "payload",
                "created_at",
                "published_at",
                "attempts",
                "last_error",
            },
        }
        shot = await snapshot(session, tables, labels)
        payloads = (await session.execute(select(OutboxMessage.payload))).scalars().all()
    shot["published"] = sorted((_published(p, labels) for p in payloads), key=repr)
    return shot


def _published(payload: str, labels: dict[Any, str]) -> tuple[Any, ...]:
    """What an outbox row says: its type, subject and data, ids as labels, our clock's times
    (Twilio's untimed callbacks, a customer's creation) as `received`."""
    envelope = json.loads(payload)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

    def value(v: Any) -> Any:
        if isinstance(v, str) and v in labels:
            return labels[v]
        try:
            return "received" if dt.datetime.fromisoformat(v) > recent else v
        except (TypeError, ValueError):
            return v

    data = sorted((k, value(v)) for k, v in envelope["data"].items())
    return (envelope["type"], value(envelope.get("subject")), envelope["dataversion"], data)


async def test_every_provider_shuffled_and_repeated_gives_identical_tables(
    make_client: Callable[[], Any],
) -> None:
    deliveries = _deliveries()
    in_order = await make_client()
    for delivery in deliveries:
        await _deliver(in_order, delivery)
    expected = await _settled_tables(in_order)
    assert len(expected["call"]) == 4  # two Twilio calls, one PBX call, one Connect call
    assert len(expected["contact"]) == 4  # e-mail, chat, SMS, web form

    rng = random.Random(20261130)
    replayed = deliveries + [d for d in deliveries if rng.random() < 0.35]
    rng.shuffle(replayed)
    other = await make_client()
    for delivery in replayed:
        await _deliver(other, delivery)
    actual = await _settled_tables(other)
    for name in expected:
        assert actual[name] == expected[name], name
