"""Twilio <Enqueue>: every QueueResult, in Twilio's own request order and shuffled."""

from __future__ import annotations

import datetime as dt
import random
import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlalchemy import select

from services.contact.models import Call, CallLogEntry
from tests.contact import twilio_requests as tw
from tests.contact.conftest import PUBLIC_BASE, count_rows

# What each documented QueueResult makes of a queued call that then hangs up.
OUTCOMES = {
    "bridged": "answered",
    "bridging-in-process": "answered",
    "redirected-from-bridged": "answered",
    "hangup": "abandoned",
    # Taken out of the queue alive, and nobody answered afterwards: not the caller giving up.
    "leave": "missed",
    "redirected": "missed",
    "queue-full": "failed",
    "error": "failed",
    "system-error": "failed",
}


def _start() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)


async def _calls(client: httpx.AsyncClient) -> dict[str, Call]:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        calls = list((await session.scalars(select(Call))).all())
    by_sid = {c.provider_call_id: c for c in calls}
    assert len(by_sid) == len(calls), "one call record per Twilio call"
    return by_sid


async def _send_all(client: httpx.AsyncClient, requests: list[tw.TwilioRequest]) -> None:
    for request in requests:
        response = await tw.send(client, request)
        assert response.status_code in (200, 204), response.text


def _call_sid(requests: list[tw.TwilioRequest]) -> str:
    return dict(requests[0].pairs)["CallSid"]


def _path(url: str) -> str:
    assert url.startswith(PUBLIC_BASE), url
    return url[len(PUBLIC_BASE) :]


async def test_bridged_calls_in_twilios_order_are_answered_when_the_agent_took_them(
    app_client: httpx.AsyncClient,
) -> None:
    # Each call follows the TwiML we answer: its waitUrl, then its action once both hung up.
    waits: dict[str, int] = {}
    for waited in (0, 7, 45, 130):
        voice, ringing, first_wait, looped_wait, action, completed = tw.queued_call(
            "+14155550100", _start(), "bridged", waited=waited
        )
        waits[_call_sid([voice])] = waited
        answer = await tw.send(app_client, voice)
        enqueue = ET.fromstring(answer.text).find("Enqueue")
        assert enqueue is not None
        wait_path, action_path = _path(enqueue.get("waitUrl", "")), _path(enqueue.get("action", ""))
        await _send_all(
            app_client,
            [
                ringing,
                tw.TwilioRequest(wait_path, first_wait.pairs),
                tw.TwilioRequest(wait_path, looped_wait.pairs),
                tw.TwilioRequest(action_path, action.pairs),
                completed,
            ],
        )

    stored = await _calls(app_client)
    assert set(stored) == set(waits)
    for call_sid, waited in waits.items():
        call = stored[call_sid]
        assert (call.state, call.outcome, call.queue) == ("ended", "answered", "support")
        assert call.queued_at is not None
        assert call.connected_at == call.queued_at + dt.timedelta(seconds=waited)


async def test_bridged_calls_shuffled_and_repeated_are_answered_once_each(
    app_client: httpx.AsyncClient,
) -> None:
    rng = random.Random(40)
    calls = {
        _call_sid(r): (r, waited)
        for waited in (3, 12, 25, 40, 61, 90, 150, 301)
        for r in [tw.queued_call("+14155550100", _start(), "bridged", waited=waited)]
    }
    deliveries = [q for requests, _ in calls.values() for q in requests]
    deliveries += [q for q in deliveries if rng.random() < 0.35]
    rng.shuffle(deliveries)

    await _send_all(app_client, deliveries)

    stored = await _calls(app_client)
    assert set(stored) == set(calls)
    for call_sid, (_, waited) in calls.items():
        call = stored[call_sid]
        assert (call.state, call.outcome) == ("ended", "answered"), call_sid
        assert call.queued_at is not None
        assert call.connected_at == call.queued_at + dt.timedelta(seconds=waited)
    # Five entries per call: the looping waitUrl request is the same queue entry again.
    assert await count_rows(app_client, CallLogEntry) == 5 * len(calls)


async def test_each_queue_result_gives_its_outcome(app_client: httpx.AsyncClient) -> None:
    sids = {}
    for result in OUTCOMES:
        requests = tw.queued_call("+14155550100", _start(), result, waited=20)
        await _send_all(app_client, requests)
        sids[result] = _call_sid(requests)

    stored = await _calls(app_client)
    outcomes = {result: stored[call_sid].outcome for result, call_sid in sids.items()}
    assert outcomes == OUTCOMES
    connected = {r: stored[s].connected_at is not None for r, s in sids.items()}
    assert connected == {r: o == "answered" for r, o in OUTCOMES.items()}


async def test_leaving_the_queue_lets_later_events_decide(app_client: httpx.AsyncClient) -> None:
    # A routing system redirects a waiting caller (REST API) to TwiML that dials an agent.
    start = _start()
    requests = tw.queued_call("+14155550100", start, "redirected")
    parent = _call_sid(requests)
    answered = tw.status(
        tw.sid(),
        "+14155550100",
        "in-progress",
        2,
        start + dt.timedelta(seconds=25),
        parent=parent,
        to="+14155550123",
        direction="outbound-dial",
    )

    await _send_all(app_client, [*requests[:5], answered, requests[5]])

    call = (await _calls(app_client))[parent]
    assert (call.outcome, call.agent) == ("answered", "+14155550123")
    assert call.connected_at == start + dt.timedelta(seconds=25)


async def test_an_unknown_queue_result_is_stored_and_decides_nothing(
    app_client: httpx.AsyncClient,
) -> None:
    requests = tw.queued_call("+14155550100", _start(), "bridged", waited=20)
    unknown = tw.TwilioRequest(
        requests[4].path,
        [(k, "parked-elsewhere" if k == "QueueResult" else v) for k, v in requests[4].pairs],
    )

    await _send_all(app_client, [*requests[:4], unknown])
    waiting = (await _calls(app_client))[_call_sid(requests)]
    await _send_all(app_client, [requests[5]])
    ended = (await _calls(app_client))[_call_sid(requests)]

    assert (waiting.state, waiting.outcome, waiting.connected_at) == ("queued", None, None)
    # As if no action had come: a queued call that ends without an agent was abandoned.
    assert (ended.state, ended.outcome, ended.connected_at) == ("ended", "abandoned", None)
    async with app_client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        kinds = set((await session.scalars(select(CallLogEntry.kind))).all())
    assert "enqueue:parked-elsewhere" in kinds


async def test_the_wait_url_dates_the_queue_entry_by_its_queue_time(
    app_client: httpx.AsyncClient,
) -> None:
    # Only a later waitUrl request got through: the caller joined the queue QueueTime earlier.
    voice, _, _, _, _, _ = tw.queued_call("+14155550100", _start(), "bridged")
    parent = _call_sid([voice])
    await tw.send(app_client, voice)

    before = dt.datetime.now(dt.UTC)
    await _send_all(app_client, [tw.queue_wait(parent, "+14155550100", tw.sid("QU"), 45)])
    after = dt.datetime.now(dt.UTC)

    queued_at = (await _calls(app_client))[parent].queued_at
    assert queued_at is not None
    assert before <= queued_at + dt.timedelta(seconds=45) <= after


BAD_QUEUE_TIMES = ["-3", "3.5", "abc", "1e3", "+7", " 7", "٣", "9" * 40, "86401"]


@pytest.mark.parametrize("route", ["queue-wait", "enqueue"])
async def test_a_bad_queue_time_is_a_422_problem(app_client: httpx.AsyncClient, route: str) -> None:
    for bad in BAD_QUEUE_TIMES:
        requests = tw.queued_call("+14155550100", _start(), "bridged")
        request = requests[2] if route == "queue-wait" else requests[4]
        forged = tw.TwilioRequest(
            request.path, [(k, bad if k == "QueueTime" else v) for k, v in request.pairs]
        )

        response = await tw.send(app_client, forged)

        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "QueueTime" in response.json()["detail"]
    assert await count_rows(app_client, CallLogEntry) == 0


@pytest.mark.parametrize("result", ["", "Bridged!", "bridged\n", "x" * 80])
async def test_a_missing_or_malformed_queue_result_is_a_422_problem(
    app_client: httpx.AsyncClient, result: str
) -> None:
    action = tw.queued_call("+14155550100", _start(), "bridged")[4]
    forged = tw.TwilioRequest(
        action.path, [(k, result if k == "QueueResult" else v) for k, v in action.pairs]
    )

    response = await tw.send(app_client, forged)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await count_rows(app_client, CallLogEntry) == 0
