"""The generic call event for PBX adapters, signed per the Standard Webhooks spec."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from services.contact.models import Call, CallLogEntry
from services.contact.webhooks.providers import generic
from tests.contact.conftest import WEBHOOK_SECRET, count_rows, outbox_types

PATH = "/v1/webhooks/generic"


def _signed(
    body: dict[str, Any], *, secret: str = WEBHOOK_SECRET, at: dt.datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body)
    msg_id = "msg_" + uuid.uuid4().hex
    when = at or dt.datetime.now(dt.UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, when, raw),
        "content-type": "application/json",
    }
    return raw.encode(), headers


def asterisk_call(linkedid: str) -> list[dict[str, Any]]:
    """An Asterisk queue call as an AMI adapter maps it (see docs/generic-call-event.md)."""
    base = {"provider": "asterisk", "call_id": linkedid, "leg_id": linkedid}
    at = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    return [
        {
            **base,
            "event": "Newchannel",
            "event_id": f"{linkedid}:1",
            "state": "initiated",
            "occurred_at": at.isoformat(),
            "direction": "inbound",
            "from": "415-555-0100",
            "to": "+1 415 555 0199",
        },
        {
            **base,
            "event": "QueueCallerJoin",
            "event_id": f"{linkedid}:2",
            "state": "queued",
            "occurred_at": (at + dt.timedelta(seconds=8)).isoformat(),
            "queue": "support",
        },
        {
            **base,
            "event": "AgentConnect",
            "event_id": f"{linkedid}:3",
            "state": "connected",
            "occurred_at": (at + dt.timedelta(seconds=30)).isoformat(),
            "agent": "PJSIP/1004",
        },
        {
            **base,
            "event": "Hangup",
            "event_id": f"{linkedid}:4",
            "state": "ended",
            "occurred_at": (at + dt.timedelta(seconds=95)).isoformat(),
            "duration_seconds": 95,
        },
    ]


async def test_signed_events_build_the_call_and_repeats_are_duplicates(
    app_client: httpx.AsyncClient,
) -> None:
    events = asterisk_call("1714557600.42")
    for body in reversed(events + events[:2]):
        raw, headers = _signed(body)
        response = await app_client.post(PATH, content=raw, headers=headers)
        assert response.status_code == 200, response.text

    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        call = (await session.scalars(select(Call))).one()
    assert (call.state, call.outcome, call.queue, call.agent) == (
        "ended",
        "answered",
        "support",
        "PJSIP/1004",
    )
    assert call.from_number == "+14155550100"
    assert await count_rows(app_client, CallLogEntry) == 4


async def test_forged_stale_and_unsigned_events_are_refused(app_client: httpx.AsyncClient) -> None:
    body = asterisk_call("1714557600.43")[0]
    raw, good = _signed(body)
    _, stale = _signed(body, at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6))
    _, other = _signed(body, secret="whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY")
    tampered = raw.replace(b"415-555-0100", b"415-555-0111")
    attempts = [
        (raw, {"content-type": "application/json"}),
        (raw, stale),
        (raw, other),
        (tampered, good),
        (raw, {**good, "webhook-signature": "v1,not-base64!!"}),
        (raw, {**good, "webhook-timestamp": "yesterday"}),
    ]
    for content, headers in attempts:
        response = await app_client.post(PATH, content=content, headers=headers)
        assert response.status_code == 403, headers
        assert response.headers["content-type"] == "application/problem+json"
    assert await count_rows(app_client, CallLogEntry) == 0
    assert await outbox_types(app_client) == []


async def test_signed_but_invalid_event_is_a_422_problem(app_client: httpx.AsyncClient) -> None:
    body = {**asterisk_call("1714557600.44")[0], "state": "exploded"}
    raw, headers = _signed(body)

    response = await app_client.post(PATH, content=raw, headers=headers)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await count_rows(app_client, CallLogEntry) == 0


def test_published_json_schema_matches_the_model() -> None:
    path = Path(__file__).resolve().parents[3] / "docs" / "generic-call-event.schema.json"
    published = json.loads(path.read_text())

    assert published == generic.json_schema()
    jsonschema_check = {"$schema", "$id", "properties", "required"}
    assert jsonschema_check <= set(published)


async def test_shuffled_and_repeated_deliveries_give_the_same_call(
    app_client: httpx.AsyncClient,
) -> None:
    rng = random.Random(11)
    for n in range(4):
        events = asterisk_call(f"1714557700.{n}")
        deliveries = events + [rng.choice(events) for _ in range(3)]
        rng.shuffle(deliveries)
        for body in deliveries:
            raw, headers = _signed(body)
            assert (await app_client.post(PATH, content=raw, headers=headers)).status_code == 200

    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        calls = list((await session.scalars(select(Call))).all())
    views = {
        (c.state, c.outcome, c.queue, c.agent, c.connected_at, c.ended_at, c.customer_id)
        for c in calls
    }
    assert len(calls) == 4
    assert len(views) == 1
    assert await count_rows(app_client, CallLogEntry) == 16
