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
