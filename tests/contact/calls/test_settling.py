"""A provider call or Connect contact publishes once its events settle, from all of them.

Amazon Connect names the caller in `INITIATED` only; here it comes last, after the hang-up.
Nothing is published while the events arrive, no prospect is made for the events that name
nobody, and once the window has passed the call publishes under the caller, as an answered call.
A call or chat whose events never name anybody gets a prospect of its own, then.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.contact.main import create_app
from services.contact.models import Call, Contact, CustomerIdentity
from shared.db import OutboxMessage
from tests.builders import contact_settings
from tests.conftest import serve
from tests.contact import twilio_requests as tw
from tests.contact.conftest import CONNECT_KEY, PUBLIC_BASE, TWILIO_TOKEN
from tests.contact.connect_requests import PATH
from tests.contact.contacts.test_connect_channels import handled_contact
from tests.contact.webhooks.test_connect_webhooks import answered_contact
from tests.kafka_helpers import eventually

WINDOW = dt.timedelta(seconds=300)
FINAL_STATUS = dt.timedelta(seconds=900)


@pytest.fixture
async def client(
    make_database: Any, broker: str, topic_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = contact_settings(
        make_database("contact"),
        broker,
        topic_prefix,
        connect_api_keys=[CONNECT_KEY],
        call_settle_seconds=WINDOW.total_seconds(),
        public_base_url=PUBLIC_BASE,
        twilio_auth_tokens=[TWILIO_TOKEN],
        call_final_status_seconds=FINAL_STATUS.total_seconds(),
    )
    app = create_app(settings)
    async for served in serve(app):
        served.app = app  # type: ignore[attr-defined]
        await eventually(lambda: all(r.connected for r in app.state.consumers), what="consumers")
        yield served


async def _post(client: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        response = await client.post(PATH, json=body, headers={"X-Connect-Api-Key": CONNECT_KEY})
        assert response.status_code == 200, response.text


async def _settle(client: httpx.AsyncClient, after: dt.timedelta) -> int:
    settler = client.app.state.settler  # type: ignore[attr-defined]
    return int(await settler.settle_once(dt.datetime.now(dt.UTC) + after))


async def _published(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))
        return [json.loads(p) for p in rows.all()]


async def _call_events(client: httpx.AsyncClient) -> list[str]:
    return [e["type"] for e in await _published(client) if e["type"].startswith("contact.call_")]


async def _identities(client: httpx.AsyncClient) -> dict[str, str]:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = (await session.scalars(select(CustomerIdentity))).all()
        return {str(i.customer_id): f"{i.kind}:{i.value}" for i in rows}


async def test_a_connect_call_publishes_under_its_caller_once_settled(
    client: httpx.AsyncClient,
) -> None:
    contact_id = str(uuid.uuid4())
    initiated, *rest = answered_contact(contact_id)
    await _post(client, [*reversed(rest), initiated])

    assert await _settle(client, WINDOW / 2) == 0
    # The caller's number is new: a prospect for it, and nothing of the call yet.
    assert [e["type"] for e in await _published(client)] == ["contact.customer_created"]
    await _settle(client, WINDOW + dt.timedelta(seconds=1))

    published = await _published(client)
    owners = await _identities(client)
    # One customer, the caller's number: no prospect for the events that came before INITIATED.
    assert list(owners.values()) == ["phone:+14155550100"]
    types = [e["type"] for e in published if e["type"].startswith("contact.call")]
    assert sorted(types) == sorted(
        ["contact.call_started", "contact.call_connected", "contact.call_ended"]
        + ["contact.call_event_recorded"] * 5
    )
    assert {owners[e["data"]["customer_id"]] for e in published} == {"phone:+14155550100"}
    (ended,) = [e["data"] for e in published if e["type"] == "contact.call_ended"]
    assert ended["outcome"] == "answered"
    (first,) = [e["data"] for e in published if e["data"].get("first_event_of_call")]
    # INITIATED happened first (09:30:00), whatever order the events came in.
    assert (first["status"], first["occurred_at"]) == ("ringing", "2026-11-02T09:30:00Z")


async def test_events_that_never_name_anybody_get_a_prospect_of_their_own(
    client: httpx.AsyncClient,
) -> None:
    call_id, chat_id = str(uuid.uuid4()), str(uuid.uuid4())
    await _post(client, answered_contact(call_id)[1:] + handled_contact(chat_id)[1:])
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        call = (await session.scalars(select(Call))).one()
        contact = (await session.scalars(select(Contact))).one()
    assert (call.identification, call.customer_id, contact.customer_id) == ("pending", None, None)
    assert await _identities(client) == {}

    assert await _settle(client, WINDOW + dt.timedelta(seconds=1)) == 2

    owners = await _identities(client)
    assert sorted(owners.values()) == [
        f"external:amazon_connect:call:{call_id}",
        f"external:amazon_connect:contact:{chat_id}",
    ]
    published = await _published(client)
    by_type = {e["type"]: owners[e["data"]["customer_id"]] for e in published}
    assert by_type["contact.call_ended"] == f"external:amazon_connect:call:{call_id}"
    assert by_type["contact.contact_recorded"] == f"external:amazon_connect:contact:{chat_id}"
    assert [e["type"] for e in published].count("contact.customer_created") == 2


async def test_a_twilio_call_ended_in_the_queue_waits_for_its_final_status(
    client: httpx.AsyncClient,
) -> None:
    """The queue hang-up ends the call; the final status with its duration comes much later."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    *before, final = tw.abandoned_queued_call("+14155550142", start)
    for request in before:
        assert (await tw.send(client, request)).status_code in (200, 204), request.label()

    await _settle(client, WINDOW + dt.timedelta(seconds=1))
    # Ended, but Twilio's final status is still to come: nothing of the call is published yet.
    assert await _call_events(client) == []

    assert (await tw.send(client, final)).status_code in (200, 204)
    await _settle(client, WINDOW + dt.timedelta(seconds=1))
    ended = [e for e in await _published(client) if e["type"] == "contact.call_ended"]
    assert [(e["data"]["outcome"], e["data"]["duration_seconds"]) for e in ended] == [
        ("abandoned", 40)
    ]


async def test_a_final_status_that_never_comes_is_waited_for_a_while_only(
    client: httpx.AsyncClient,
) -> None:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    *before, _final = tw.abandoned_queued_call("+14155550143", start)
    for request in before:
        assert (await tw.send(client, request)).status_code in (200, 204), request.label()

    await _settle(client, FINAL_STATUS - dt.timedelta(seconds=10))
    assert await _call_events(client) == []
    await _settle(client, FINAL_STATUS + dt.timedelta(seconds=1))
    ended = [e for e in await _published(client) if e["type"] == "contact.call_ended"]
    assert [(e["data"]["outcome"], e["data"]["duration_seconds"]) for e in ended] == [
        ("abandoned", None)
    ]
