"""The call fold on its own: ranks, sticky end states, outcomes, order independence."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from services.contact.calls.callmodel import LoggedEvent, project

T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def _ev(key: str, seconds: int, **facts: Any) -> LoggedEvent:
    return LoggedEvent(
        dedup_key=key,
        kind=key,
        occurred_at=T0 + dt.timedelta(seconds=seconds),
        sequence=None,
        leg_id=facts.pop("leg", None),
        facts=facts,
    )


def test_every_order_of_the_same_events_folds_to_the_same_call() -> None:
    events = [
        _ev("a", 0, state="ringing", direction="inbound", **{"from": "+14155550100"}),
        _ev("b", 5, state="ivr", ivr_input="1"),
        _ev("c", 9, state="ivr", ivr_input="3"),
        _ev("d", 12, state="queued", queue="support"),
        _ev("e", 30, state="connected", agent="a-7", leg="child", child_leg=True),
        _ev("f", 90, state="ended", duration=90),
    ]
    folds = {repr(project(order)) for order in itertools.permutations(events)}
    assert len(folds) == 1
    call = project(events)
    assert (call.state, call.outcome, call.ivr_path) == ("ended", "answered", ["1", "3"])
    assert call.connected_at == T0 + dt.timedelta(seconds=30)


def test_late_events_never_move_the_state_back() -> None:
    call = project([_ev("end", 50, state="ended"), _ev("ring", 0, state="ringing")])
    assert call.state == "ended"
    assert call.ringing_at == T0


def test_outcomes() -> None:
    queued_hangup = [_ev("q", 0, state="queued"), _ev("x", 9, state="ended")]
    missed = [_ev("r", 0, state="ringing", direction="inbound"), _ev("x", 9, state="ended")]
    voicemail = [*missed, _ev("v", 20, voicemail=True, recording_url="https://r/1")]
    busy = [
        _ev("i", 0, state="initiated", direction="outbound"),
        _ev("x", 3, state="ended", final_status="busy"),
    ]
    in_progress = [_ev("q", 0, state="queued")]
    assert project(queued_hangup).outcome == "abandoned"
    assert project(missed).outcome == "missed"
    assert project(voicemail).outcome == "voicemail"
    assert project(busy).outcome == "busy"
    assert project(in_progress).outcome is None


def test_child_legs_do_not_override_who_called() -> None:
    call = project(
        [
            _ev("child", 0, direction="outbound", child_leg=True, to="+14155550123"),
            _ev("root", 5, direction="inbound", to="+14155550199"),
        ]
    )
    assert (call.direction, call.to_number) == ("inbound", "+14155550199")


def _queue_exit(
    key: str, seconds: int, exit_: str, waited: int | None, **facts: Any
) -> LoggedEvent:
    # A queue exit as providers report it: a bridged one only after the talk is over.
    return _ev(key, seconds, queue_sid="QU1", queue_exit=exit_, queue_seconds=waited, **facts)


def test_an_agent_taking_a_queued_call_connects_it_when_it_was_taken() -> None:
    events = [
        _ev("ring", 0, state="ringing", direction="inbound"),
        _ev("wait", 4, state="queued", queue_sid="QU1", queue="support"),
        _queue_exit("exit", 200, "connected", 26),
        _ev("end", 201, state="ended", duration=201),
        _ev("end-again", 202, state="ended"),
    ]
    folds = {repr(project(order)) for order in itertools.permutations(events)}
    assert len(folds) == 1
    call = project(events)
    assert (call.state, call.outcome) == ("ended", "answered")
    assert call.connected_at == T0 + dt.timedelta(seconds=4 + 26)
    assert call.ended_at == T0 + dt.timedelta(seconds=201)


def test_a_taken_call_is_connected_before_it_ends() -> None:
    call = project(
        [_ev("wait", 4, state="queued", queue_sid="QU1"), _queue_exit("x", 90, "connected", 6)]
    )
    assert (call.state, call.outcome) == ("connected", None)
    assert call.connected_at == T0 + dt.timedelta(seconds=10)


def test_without_its_queue_entry_a_taken_call_counts_from_its_first_event() -> None:
    ring, end = _ev("ring", 0, state="ringing"), _ev("end", 300, state="ended")
    call = project([ring, _queue_exit("x", 290, "connected", 40), end])
    assert (call.outcome, call.connected_at) == ("answered", T0 + dt.timedelta(seconds=40))
    # Another queue entry of the call is nearer than its first event.
    other = _ev("wait", 15, state="queued", queue_sid="QU0")
    call = project([ring, other, _queue_exit("x", 290, "connected", 40), end])
    assert call.connected_at == T0 + dt.timedelta(seconds=55)


def test_each_way_out_of_a_queue_gives_its_outcome() -> None:
    queued = [_ev("ring", 0, state="ringing", direction="inbound")]
    queued.append(_ev("wait", 3, state="queued", queue_sid="QU1"))
    end = _ev("end", 100, state="ended")
    outcomes = {
        exit_: project([*queued, _queue_exit("x", 50, exit_, 20), end]).outcome
        for exit_ in ("connected", "abandoned", "left", "failed")
    }
    assert outcomes == {
        "connected": "answered",
        "abandoned": "abandoned",
        "left": "missed",
        "failed": "failed",
    }
    assert project([*queued, end]).outcome == "abandoned"


def test_a_call_taken_out_of_the_queue_goes_on_to_what_follows() -> None:
    left = [
        _ev("wait", 3, state="queued", queue_sid="QU1"),
        _queue_exit("x", 20, "left", 17),
    ]
    to_agent = _ev("agent", 25, state="connected", agent="a-1", leg="child", child_leg=True)
    requeued = _ev("wait-2", 30, state="queued", queue_sid="QU2")
    end = _ev("end", 100, state="ended")
    assert project([*left, to_agent, end]).outcome == "answered"
    assert project([*left, to_agent, end]).connected_at == T0 + dt.timedelta(seconds=25)
    assert project([*left, _ev("v", 60, voicemail=True), end]).outcome == "voicemail"
    # Queued again elsewhere and never taken from there: the caller gave up waiting.
    assert project([*left, requeued, end]).outcome == "abandoned"
