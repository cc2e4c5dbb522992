"""Twilio webhooks: signature on the public URL, dedup, TwiML, and order-independent calls."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from typing import Any

import httpx
from sqlalchemy import select

from services.contact.models import Call, CallLogEntry, Customer
from shared.db import OutboxMessage
from tests.contact import twilio_requests as tw
from tests.contact.conftest import PUBLIC_BASE, count_rows, outbox_types


def _start() -> dt.datetime:
    # Real calls happened a little while ago; well inside the accepted Timestamp window.
    return dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)


async def _calls(client: httpx.AsyncClient) -> list[Call]:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        return list((await session.scalars(select(Call))).all())


async def test_signed_status_callback_is_stored_once(app_client: httpx.AsyncClient) -> None:
    request = tw.status(tw.sid(), "+14155550100", "ringing", 0, _start())

    first = await tw.send(app_client, request)
    again = await tw.send(app_client, request)

    assert first.status_code == 204
    assert again.status_code == 204
    assert await count_rows(app_client, CallLogEntry) == 1
    [call] = await _calls(app_client)
    assert call.state == "ringing"
    assert call.from_number == "+14155550100"
    assert (await outbox_types(app_client)).count("contact.call_event_recorded") == 1


async def test_voice_webhook_answers_twiml_that_enqueues(app_client: httpx.AsyncClient) -> None:
    response = await tw.send(app_client, tw.voice(tw.sid(), "+14155550100"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Enqueue " in response.text
    assert ">support</Enqueue>" in response.text
    assert (
        "https://rapport.example.com/v1/webhooks/twilio/queue-wait?queue=support" in response.text
    )


async def test_gold_caller_is_enqueued_in_the_priority_queue(
    app_client: httpx.AsyncClient,
) -> None:
    await tw.send(app_client, tw.voice(tw.sid(), "+14155550100"))
    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        customer = (await session.scalars(select(Customer))).one()
        customer.tier = "gold"
        await session.commit()

    response = await tw.send(app_client, tw.voice(tw.sid(), "+14155550100"))

    assert ">priority</Enqueue>" in response.text


async def _refused(client: httpx.AsyncClient, response: httpx.Response) -> None:
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid-signature"
    assert await count_rows(client, CallLogEntry) == 0
    assert await count_rows(client, Customer) == 0
    assert await outbox_types(client) == []


async def test_unsigned_request_is_refused(app_client: httpx.AsyncClient) -> None:
    request = tw.status(tw.sid(), "+14155550100", "ringing", 0, _start())
    await _refused(app_client, await tw.send(app_client, request, signature=""))


async def test_request_signed_with_another_token_is_refused(
    app_client: httpx.AsyncClient,
) -> None:
    request = tw.status(tw.sid(), "+14155550100", "ringing", 0, _start())
    await _refused(app_client, await tw.send(app_client, request, token="someone-elses-token"))


async def test_tampered_body_is_refused(app_client: httpx.AsyncClient) -> None:
    request = tw.status(tw.sid(), "+14155550100", "ringing", 0, _start())
    signature = tw.sign(PUBLIC_BASE + request.path, request.pairs)
    forged = tw.TwilioRequest(
        request.path, [(k, "completed" if k == "CallStatus" else v) for k, v in request.pairs]
    )
    await _refused(app_client, await tw.send(app_client, forged, signature=signature))


async def test_signature_over_the_internal_url_is_refused(app_client: httpx.AsyncClient) -> None:
    # Behind the gateway the service sees another URL; only the public one is what Twilio signed.
    request = tw.status(tw.sid(), "+14155550100", "ringing", 0, _start())
    await _refused(app_client, await tw.send(app_client, request, base="http://testserver"))


async def test_dropping_blank_values_breaks_the_signature(app_client: httpx.AsyncClient) -> None:
    request = tw.status(tw.sid(), "+14155550100", "ringing", 0, _start())
    signature = tw.sign(PUBLIC_BASE + request.path, [(k, v) for k, v in request.pairs if v])
    await _refused(app_client, await tw.send(app_client, request, signature=signature))


async def test_stale_status_callback_is_refused(app_client: httpx.AsyncClient) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    request = tw.status(tw.sid(), "+14155550100", "ringing", 0, old)
    await _refused(app_client, await tw.send(app_client, request))


async def test_signed_request_without_call_sid_is_a_422_problem(
    app_client: httpx.AsyncClient,
) -> None:
    request = tw.TwilioRequest("/v1/webhooks/twilio/status", [("CallStatus", "ringing")])

    response = await tw.send(app_client, request)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_signed_request_with_an_overlong_call_sid_is_a_422_problem(
    app_client: httpx.AsyncClient,
) -> None:
    request = tw.status("CA" + "f" * 300, "+14155550100", "ringing", 0, _start())

    response = await tw.send(app_client, request)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await count_rows(app_client, CallLogEntry) == 0


def _view(call: Call, customer_by_id: dict[Any, str]) -> dict[str, Any]:
    return {
        "state": call.state,
        "outcome": call.outcome,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        "started_at": call.started_at,
        "connected_at": call.connected_at,
        "ended_at": call.ended_at,
        "duration": call.duration_seconds,
        "queue": call.queue,
        "agent": call.agent,
        "recording": call.recording_url is not None,
        "ivr_path": call.ivr_path,
        "legs": len(call.legs),
        "customer": customer_by_id[call.customer_id],
    }


async def _replay(
    client: httpx.AsyncClient, requests: list[tw.TwilioRequest], rng: random.Random
) -> None:
    # Shuffled, with about a third of the requests delivered twice.
    deliveries = requests + [r for r in requests if rng.random() < 0.35]
    rng.shuffle(deliveries)
    for request in deliveries:
        response = await tw.send(client, request)
        assert response.status_code in (200, 204), response.text


async def test_replaying_a_call_in_any_order_gives_the_same_call(
    app_client: httpx.AsyncClient,
) -> None:
    rng = random.Random(20261122)
    start = _start()
    for _ in range(6):
        await _replay(app_client, tw.answered_inbound_call("+14155550100", start), rng)
        await _replay(app_client, tw.abandoned_queued_call("+14155550100", start), rng)

    calls = await _calls(app_client)
    assert len(calls) == 12
    customers = {c.customer_id: "the caller" for c in calls}
    assert len(customers) == 1
    views = [_view(c, customers) for c in calls]
    answered = [v for v in views if v["outcome"] == "answered"]
    abandoned = [v for v in views if v["outcome"] == "abandoned"]
    assert len(answered) == len(abandoned) == 6
    assert all(v == answered[0] for v in answered)
    assert all(v == abandoned[0] for v in abandoned)
    assert answered[0]["state"] == "ended"
    assert answered[0]["connected_at"] == start + dt.timedelta(seconds=20)
    assert answered[0]["ended_at"] == start + dt.timedelta(seconds=65)
    assert answered[0]["agent"] == "+14155550123"
    assert answered[0]["ivr_path"] == ["2"]
    assert answered[0]["legs"] == 2
    assert answered[0]["recording"] is True
    assert answered[0]["duration"] == 65
    assert abandoned[0]["queue"] == "support"
    assert abandoned[0]["state"] == "ended"
    assert await count_rows(app_client, CallLogEntry) == 6 * (10 + 5)


async def test_each_call_publishes_started_and_ended_once(app_client: httpx.AsyncClient) -> None:
    rng = random.Random(7)
    await _replay(app_client, tw.abandoned_queued_call("+14155550100", _start()), rng)

    types = await outbox_types(app_client)

    assert types.count("contact.call_started") == 1
    assert types.count("contact.call_ended") == 1
    assert types.count("contact.call_abandoned") == 1
    assert types.count("contact.call_connected") == 0
    assert types.count("contact.customer_created") == 1
    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        payload = await session.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.event_type == "contact.call_ended")
        )
    assert payload is not None
    assert json.loads(payload)["data"]["outcome"] == "abandoned"


async def test_late_ringing_does_not_move_an_ended_call_back(
    app_client: httpx.AsyncClient,
) -> None:
    call_sid, start = tw.sid(), _start()
    await tw.send(
        app_client, tw.status(call_sid, "+14155550100", "completed", 2, start, duration=5)
    )
    await tw.send(app_client, tw.status(call_sid, "+14155550100", "ringing", 0, start))

    [call] = await _calls(app_client)
    assert call.state == "ended"
    assert call.ringing_at is not None


async def test_unanswered_dial_offers_voicemail_and_the_call_ends_as_voicemail(
    app_client: httpx.AsyncClient,
) -> None:
    voice, dial, record, completed = tw.voicemail_call("+14155550100", _start())
    await tw.send(app_client, voice)

    offered = await tw.send(app_client, dial)
    recorded = await tw.send(app_client, record)
    await tw.send(app_client, completed)

    assert "<Record " in offered.text
    assert "https://rapport.example.com/v1/webhooks/twilio/record" in offered.text
    assert "<Hangup/>" in recorded.text
    [call] = await _calls(app_client)
    assert (call.state, call.outcome) == ("ended", "voicemail")
    assert call.recording_url is not None


async def test_concurrent_copies_of_new_call_events_store_each_once(
    app_client: httpx.AsyncClient,
) -> None:
    requests = tw.answered_inbound_call("+14155550177", _start())[:4]

    responses = await asyncio.gather(*(tw.send(app_client, r) for r in requests for _ in range(4)))

    assert {r.status_code for r in responses} <= {200, 204}
    assert len(await _calls(app_client)) == 1
    assert await count_rows(app_client, CallLogEntry) == 4
    assert await count_rows(app_client, Customer) == 1
    assert (await outbox_types(app_client)).count("contact.call_started") == 1


async def test_concurrent_calls_sharing_numbers_never_fail(app_client: httpx.AsyncClient) -> None:
    # Each event names another callee, so requests create and re-home customers concurrently:
    # this once deadlocked on PostgreSQL (identity rows locked after call rows in some requests).
    start = _start()
    numbers = ["+14155550150", "+14155550151", "+14155550152"]
    requests = [
        tw.status(
            call_sid,
            "+14155550199",
            status,
            sequence,
            start,
            direction="outbound-api",
            to=numbers[(n + sequence) % 3],
        )
        for n, call_sid in enumerate(tw.sid() for _ in range(6))
        for sequence, status in enumerate(("initiated", "ringing", "in-progress", "completed"))
    ]

    responses = await asyncio.gather(*(tw.send(app_client, r) for r in requests))

    assert [r.status_code for r in responses] == [204] * len(requests)
    assert await count_rows(app_client, CallLogEntry) == len(requests)
    assert await count_rows(app_client, Customer) == 3
