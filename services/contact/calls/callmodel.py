"""The call model: normalised provider events folded into one call, whatever their order.

A call's projection is a pure function of the *set* of its stored events: events are sorted
by (time, sequence, dedup key) and folded, so replaying them in any order, any number of
times, gives the same call. The state is the highest-ranked state any event reported, so a
late event never moves a call backwards and `ended` is sticky.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

STATES = (
    "initiated",
    "ringing",
    "ivr",
    "queued",
    "agent_ringing",
    "connected",
    "wrap_up",
    "ended",
)
RANK = {state: rank for rank, state in enumerate(STATES)}
OUTCOMES = (
    "answered",
    "abandoned",
    "missed",
    "voicemail",
    "busy",
    "no_answer",
    "failed",
    "canceled",
)
# Outcomes an outbound attempt can end with when nobody answered (Twilio final CallStatus).
_OUTBOUND_FAILURES = {"busy", "no_answer", "failed", "canceled"}
# Facts where the most recent value wins (an agent's later wrap-up code replaces an earlier one).
_LATEST_WINS = ("queue", "agent", "wrap_up_code", "disposition", "notes", "recording_url")


@dataclass(frozen=True)
class NormalizedEvent:
    """One provider event in the shape every format is mapped onto."""

    provider: str
    provider_call_id: str
    dedup_key: str
    kind: str
    occurred_at: dt.datetime
    state: str | None = None
    leg_id: str | None = None
    sequence: int | None = None
    customer_phone: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in RANK:
            raise ValueError(f"unknown call state {self.state!r}")


@dataclass(frozen=True)
class LoggedEvent:
    """A stored event as the fold needs it."""

    dedup_key: str
    kind: str
    occurred_at: dt.datetime
    sequence: int | None
    leg_id: str | None
    facts: dict[str, Any]


@dataclass
class Projection:
    """What the events of one call say about it."""

    state: str = "initiated"
    outcome: str | None = None
    direction: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    started_at: dt.datetime | None = None
    ringing_at: dt.datetime | None = None
    queued_at: dt.datetime | None = None
    connected_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    duration_seconds: int | None = None
    queue: str | None = None
    agent: str | None = None
    wrap_up_code: str | None = None
    disposition: str | None = None
    notes: str | None = None
    recording_url: str | None = None
    ivr_path: list[str] = field(default_factory=list)
    legs: list[str] = field(default_factory=list)


def _order(event: LoggedEvent) -> tuple[dt.datetime, int, str]:
    return (event.occurred_at, -1 if event.sequence is None else event.sequence, event.dedup_key)


def _earliest(current: dt.datetime | None, candidate: dt.datetime) -> dt.datetime:
    return candidate if current is None or candidate < current else current


def project(events: Iterable[LoggedEvent]) -> Projection:
    """Fold a call's events, in a canonical order, into its projection."""
    ordered = sorted(events, key=_order)
    out = Projection()
    flags: set[str] = set()
    final_status: str | None = None
    for event in ordered:
        facts = event.facts
        state = facts.get("state")
        out.started_at = _earliest(out.started_at, event.occurred_at)
        if state is not None and RANK[state] > RANK[out.state]:
            out.state = state
        _stamp(out, state, event.occurred_at)
        _take_parties(out, facts)
        for name in _LATEST_WINS:
            if facts.get(name):
                setattr(out, name, str(facts[name]))
        if facts.get("ivr_input"):
            out.ivr_path.append(str(facts["ivr_input"]))
        if facts.get("duration") is not None:
            out.duration_seconds = max(out.duration_seconds or 0, int(facts["duration"]))
        if event.leg_id and event.leg_id not in out.legs:
            out.legs.append(event.leg_id)
        flags.update(name for name in ("abandoned", "voicemail", "missed") if facts.get(name))
        if facts.get("final_status"):
            final_status = str(facts["final_status"])
    out.legs.sort()
    out.outcome = _outcome(out, flags, final_status)
    return out


def _stamp(out: Projection, state: str | None, at: dt.datetime) -> None:
    # Every time stamp comes from the event itself, even when the state did not advance.
    if state in ("ringing", "agent_ringing"):
        out.ringing_at = _earliest(out.ringing_at, at)
    elif state == "queued":
        out.queued_at = _earliest(out.queued_at, at)
    elif state == "connected":
        out.connected_at = _earliest(out.connected_at, at)
    elif state == "ended":
        out.ended_at = _earliest(out.ended_at, at)


def _take_parties(out: Projection, facts: dict[str, Any]) -> None:
    # The root leg says who called whom; child legs only fill what is still unknown.
    root = not facts.get("child_leg")
    for name, attr in (("direction", "direction"), ("from", "from_number"), ("to", "to_number")):
        value = facts.get(name)
        if value and (root or getattr(out, attr) is None):
            setattr(out, attr, str(value))


def _outcome(out: Projection, flags: set[str], final_status: str | None) -> str | None:
    """The outcome, once the call has ended (or its media has, in wrap-up)."""
    if RANK[out.state] < RANK["wrap_up"]:
        return None
    if "voicemail" in flags:
        return "voicemail"
    if out.connected_at is not None:
        return "answered"
    if "abandoned" in flags or out.queued_at is not None:
        return "abandoned"
    if out.direction == "outbound" and final_status in _OUTBOUND_FAILURES:
        return final_status
    if out.direction == "outbound":
        return "no_answer" if final_status is None else "failed"
    return "missed"
