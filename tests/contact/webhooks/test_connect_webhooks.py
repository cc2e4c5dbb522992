"""Amazon Connect contact events: API-key header, mixed key casing, order-independent calls."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from services.contact.models import Call, CallLogEntry
from tests.contact.conftest import CONNECT_KEY, count_rows, outbox_types
from tests.contact.connect_requests import INSTANCE, PATH, connect_event


def answered_contact(contact_id: str) -> list[dict[str, Any]]:
    """INITIATED → QUEUED → CONNECTED_TO_AGENT → DISCONNECTED → COMPLETED, AWS-style casing."""
    queue = {
        "queueArn": INSTANCE + "/queue/support-queue",
        "queueType": "STANDARD",
        "enqueueTimestamp": "2026-11-02T09:30:20.000Z",
    }
    agent = {
        "agentArn": INSTANCE + "/agent/agent-7",
        "connectedToAgentTimestamp": "2026-11-02T09:30:45.000Z",
    }
    customer = {"customerEndpoint": {"address": "+14155550100", "type": "TELEPHONE_NUMBER"}}
    completed = connect_event(
        "COMPLETED",
        contact_id,
        {
            "AgentInfo": {**agent, "afterContactWorkEndTimestamp": "2026-11-02T09:36:00.000Z"},
            "QueueInfo": queue,
            "disconnectTimestamp": "2026-11-02T09:35:00.000Z",
        },
    )
    # AWS's own samples mix PascalCase into the envelope too.
    completed["Detail"] = completed.pop("detail")
    return [
        connect_event("INITIATED", contact_id, customer),
        connect_event("QUEUED", contact_id, {"queueInfo": queue}),
        connect_event("CONNECTED_TO_AGENT", contact_id, {"agentInfo": agent, "queueInfo": queue}),
        connect_event(
            "DISCONNECTED",
            contact_id,
            {
                "agentInfo": agent,
                "queueInfo": queue,
                "disconnectTimestamp": "2026-11-02T09:35:00.000Z",
                "disconnectReason": "CUSTOMER_DISCONNECT",
            },
        ),
        completed,
    ]


async def _post(
    client: httpx.AsyncClient, body: Any, key: str | None = CONNECT_KEY
) -> httpx.Response:
    headers = {"X-Connect-Api-Key": key} if key is not None else {}
    return await client.post(PATH, json=body, headers=headers)


async def test_contact_events_build_one_answered_call_in_any_order(
    app_client: httpx.AsyncClient,
) -> None:
    rng = random.Random(3)
    views = []
    for _ in range(4):
        events = answered_contact(str(uuid.uuid4()))
        deliveries = events + [rng.choice(events) for _ in range(3)]
        rng.shuffle(deliveries)
        for body in deliveries:
            response = await _post(app_client, body)
            assert response.status_code == 200, response.text
    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        calls = list((await session.scalars(select(Call))).all())
    for call in calls:
        views.append(
            (
                call.state,
                call.outcome,
                call.direction,
                call.queue,
                call.agent,
                call.connected_at,
                call.ended_at,
                call.from_number,
                call.customer_id,
            )
        )
    assert len(views) == 4
    assert len(set(views)) == 1
    state, outcome, direction, queue, agent, *_rest, from_number, _customer = views[0]
    assert (state, outcome, direction) == ("ended", "answered", "inbound")
    assert (queue, agent, from_number) == ("support-queue", "agent-7", "+14155550100")
    assert await count_rows(app_client, CallLogEntry) == 4 * 5


async def test_disconnect_with_agent_waits_in_wrap_up(app_client: httpx.AsyncClient) -> None:
    events = answered_contact(str(uuid.uuid4()))[:4]
    for body in events:
        await _post(app_client, body)

    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        call = (await session.scalars(select(Call))).one()
    assert call.state == "wrap_up"
    assert call.outcome == "answered"


async def test_queued_then_disconnected_without_agent_is_abandoned(
    app_client: httpx.AsyncClient,
) -> None:
    contact_id = str(uuid.uuid4())
    queue = {"queueArn": INSTANCE + "/queue/q1", "enqueueTimestamp": "2026-11-02T09:30:20.000Z"}
    await _post(app_client, connect_event("DISCONNECTED", contact_id, {"queueInfo": queue}))
    await _post(app_client, connect_event("QUEUED", contact_id, {"queueInfo": queue}))

    types = await outbox_types(app_client)
    assert types.count("contact.call_abandoned") == 1
    assert types.count("contact.call_ended") == 1


async def test_other_channels_and_data_updates_are_acknowledged_and_ignored(
    app_client: httpx.AsyncClient,
) -> None:
    # Chat and e-mail become contact records (test_connect_channels.py); tasks are ignored.
    task = connect_event("INITIATED", str(uuid.uuid4()), {"channel": "TASK"})
    update = connect_event("CONTACT_DATA_UPDATED", str(uuid.uuid4()), {})

    for body in (task, update):
        response = await _post(app_client, body)
        assert response.status_code == 200
        assert response.json()["ignored"] is True
    assert await count_rows(app_client, CallLogEntry) == 0


async def test_missing_or_wrong_key_is_refused_and_nothing_stored(
    app_client: httpx.AsyncClient,
) -> None:
    body = answered_contact(str(uuid.uuid4()))[0]
    for key in (None, "", "wrong-key"):
        response = await _post(app_client, body, key=key)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
    assert await count_rows(app_client, CallLogEntry) == 0
    assert await outbox_types(app_client) == []


async def test_event_older_than_eventbridge_retries_is_refused(
    app_client: httpx.AsyncClient,
) -> None:
    body = answered_contact(str(uuid.uuid4()))[0]
    body["time"] = "2026-11-02T09:31:00Z"

    response = await _post(app_client, body)

    assert response.status_code == 403
    assert response.json()["code"] == "invalid-signature"
    assert await count_rows(app_client, CallLogEntry) == 0


async def test_malformed_bodies_are_422_problems(app_client: httpx.AsyncClient) -> None:
    headers = {"X-Connect-Api-Key": CONNECT_KEY, "Content-Type": "application/json"}
    not_json = await app_client.post(PATH, content=b"{nope", headers=headers)
    wrong_type = await _post(app_client, {"detail-type": "EC2 Instance State-change"})
    no_contact = await _post(
        app_client, {"detail-type": "Amazon Connect Contact Event", "detail": {}}
    )
    a_list = await _post(app_client, [1, 2])

    for response in (not_json, wrong_type, no_contact, a_list):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


async def test_overlong_values_are_a_422_or_kept_cut_never_a_500(
    app_client: httpx.AsyncClient,
) -> None:
    # PostgreSQL enforces column lengths, so this runs there too: nothing may reach the database
    # longer than its column.
    long_ids = [
        connect_event("INITIATED", "x" * 300, {}),
        connect_event("INITIATED", str(uuid.uuid4()), {"initialContactId": "r" * 300}),
        connect_event("INITIATED", "c" * 300, {"channel": "CHAT"}),
    ]
    for body in long_ids:
        response = await _post(app_client, body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert await count_rows(app_client, CallLogEntry) == 0

    contact_id = str(uuid.uuid4())
    agent = {"agentArn": "a" * 400, "connectedToAgentTimestamp": "2026-11-02T09:30:45.000Z"}
    long_text = [
        connect_event("INITIATED", contact_id, {"customerEndpoint": {"address": "y" * 200}}),
        connect_event(
            "DISCONNECTED",
            contact_id,
            {
                "disconnectReason": "z" * 500,
                "queueInfo": {"queueArn": "q" * 400},
                "agentInfo": agent,
            },
        ),
        connect_event(
            "DISCONNECTED", str(uuid.uuid4()), {"channel": "CHAT", "disconnectReason": "z" * 500}
        ),
    ]
    for body in long_text:
        response = await _post(app_client, body)
        assert response.status_code == 200, response.text
    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        call = (await session.scalars(select(Call))).one()
    assert call.from_number == "y" * 64
    assert (call.queue, call.agent) == ("q" * 200, "a" * 200)
    assert call.disposition == "z" * 100
