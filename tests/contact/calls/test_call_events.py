"""Recording generic call events: idempotent storage, caller identification, outbox rows."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import func, select

from services.contact.models import CallEvent, Customer
from shared.db import OutboxMessage
from tests.builders import call_event


@pytest.fixture
async def contact(app_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return app_client


RECORDED = "contact.call_event_recorded"


async def _count(client: httpx.AsyncClient, model: type) -> int:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _recorded(client: httpx.AsyncClient) -> int:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        query = select(func.count()).where(OutboxMessage.event_type == RECORDED)
        return int(await session.scalar(query) or 0)


async def test_new_event_is_stored_with_an_outbox_row(contact: httpx.AsyncClient) -> None:
    response = await contact.post("/v1/contacts/events", json=call_event())

    assert response.status_code == 201
    body = response.json()
    assert body["duplicate"] is False
    assert body["from_number"] == "+14155550100"
    assert response.headers["location"] == f"/v1/contacts/events/{body['call_event_id']}"
    async with contact.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.event_type == RECORDED))
        ).all()
    assert len(rows) == 1
    envelope = json.loads(rows[0].payload)
    assert envelope["type"] == "contact.call_event_recorded"
    assert envelope["subject"] == body["customer_id"]
    assert envelope["data"]["first_event_of_call"] is True
    assert rows[0].key == body["customer_id"]


async def test_repeated_event_is_a_duplicate_and_changes_nothing(
    contact: httpx.AsyncClient,
) -> None:
    first = await contact.post("/v1/contacts/events", json=call_event())
    again = await contact.post("/v1/contacts/events", json=call_event())

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["call_event_id"] == first.json()["call_event_id"]
    assert await _count(contact, CallEvent) == 1
    assert await _recorded(contact) == 1


async def test_concurrent_copies_store_one_event(contact: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(contact.post("/v1/contacts/events", json=call_event()) for _ in range(8))
    )

    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["call_event_id"] for r in responses}) == 1
    assert await _count(contact, CallEvent) == 1
    assert await _recorded(contact) == 1


async def test_same_number_in_any_form_is_one_customer(contact: httpx.AsyncClient) -> None:
    a = await contact.post(
        "/v1/contacts/events", json=call_event(call_id="a", **{"from": "(415) 555-0100"})
    )
    b = await contact.post(
        "/v1/contacts/events", json=call_event(call_id="b", **{"from": "+14155550100"})
    )

    assert a.json()["customer_id"] == b.json()["customer_id"]
    assert await _count(contact, Customer) == 1


async def test_later_events_of_a_call_are_not_a_new_contact(contact: httpx.AsyncClient) -> None:
    await contact.post("/v1/contacts/events", json=call_event(sequence_number=0))
    await contact.post(
        "/v1/contacts/events", json=call_event(sequence_number=1, status="connected")
    )

    async with contact.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        payloads = (
            await session.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.event_type == RECORDED)
                .order_by(OutboxMessage.id)
            )
        ).all()
    firsts = [json.loads(p)["data"]["first_event_of_call"] for p in payloads]
    assert firsts == [True, False]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"status": "exploded"}, "status"),
        ({"sequence_number": -1}, "sequence_number"),
        ({"timestamp": "2026-11-02T09:30:00"}, "timestamp"),
        ({"provider": "Bad Provider!"}, "provider"),
        ({"call_id": ""}, "call_id"),
    ],
)
async def test_invalid_event_is_a_422_problem(
    contact: httpx.AsyncClient, override: dict[str, object], field: str
) -> None:
    response = await contact.post("/v1/contacts/events", json=call_event(**override))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in e["loc"] for e in response.json()["errors"])
    assert await _count(contact, CallEvent) == 0


async def test_undiallable_number_is_a_422_problem(contact: httpx.AsyncClient) -> None:
    response = await contact.post(
        "/v1/contacts/events", json=call_event(**{"from": "not a number"})
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid-phone-number"
    assert response.json()["field"] == "from"
    assert await _count(contact, OutboxMessage) == 0


async def test_malformed_json_is_a_422_problem(contact: httpx.AsyncClient) -> None:
    response = await contact.post(
        "/v1/contacts/events", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_reading_a_missing_event_is_a_404_problem(contact: httpx.AsyncClient) -> None:
    response = await contact.get("/v1/contacts/events/7d4b8f8e-4b7e-4c58-9d7c-7c2b0ad3c001")

    assert response.status_code == 404
    assert response.json()["code"] == "call-event-not-found"
