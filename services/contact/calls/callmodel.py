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
# How a call can leave a queue (`queue_exit`): an agent took it `queue_seconds` after it joined,
# the caller hung up, it was taken out alive (the call goes on) or it could not be queued.
QUEUE_EXITS = ("connected", "abandoned", "left", "failed")
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


@dataclass
class _QueueStay:
    """One stay of the call in one queue: when it joined and how it left."""

    joined: dt.datetime | None = None
    exits: set[str] = field(default_factory=set)
    # Seconds from joining until an agent took the call, when one did.
    waited: int | None = None


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
    stays: dict[str, _QueueStay] = {}
    for event in ordered:
        facts = event.facts
        state = facts.get("state")
        out.started_at = _earliest(out.started_at, event.occurred_at)
        if state is not None and RANK[state] > RANK[out.state]:
            out.state = state
        _stamp(out, state, event.occurred_at)
        _note_queue(stays, facts, state, event.occurred_at)
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
    _leave_queues(out, stays, flags)
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


def _note_queue(
    stays: dict[str, _QueueStay], facts: dict[str, Any], state: str | None, at: dt.datetime
) -> None:
    """What one event says of the call's stay in a queue (one per provider queue id)."""
    exit_ = facts.get("queue_exit")
    if state != "queued" and exit_ not in QUEUE_EXITS:
        return
    stay = stays.setdefault(str(facts.get("queue_sid") or ""), _QueueStay())
    if state == "queued":
        stay.joined = _earliest(stay.joined, at)
    if exit_ in QUEUE_EXITS:
        stay.exits.add(str(exit_))
    if exit_ == "connected":
        seconds = int(facts.get("queue_seconds") or 0)
        stay.waited = seconds if stay.waited is None else min(stay.waited, seconds)


def _leave_queues(out: Projection, stays: dict[str, _QueueStay], flags: set[str]) -> None:
    """Connect the calls an agent took from a queue; flag the stays that decide the outcome."""
    for stay in stays.values():
        if stay.waited is not None:
            # The provider reports this exit only after the talk, so its time is not the
            # connect: the agent took the call `waited` seconds after it joined. Without that
            # queue entry, another queue entry of the call, else its first event, stands in:
            # the voice webhook queues a caller at once, and no call joins a queue before it
            # starts. It is refolded to the true entry once that event arrives.
            joined = stay.joined or out.queued_at or out.started_at
            if joined is not None:
                at = joined + dt.timedelta(seconds=stay.waited)
                out.connected_at = _earliest(out.connected_at, at)
            if RANK[out.state] < RANK["connected"]:
                out.state = "connected"
        if "abandoned" in stay.exits:
            flags.add("abandoned")
        if "failed" in stay.exits:
            flags.add("queue_failed")
        if stay.joined is not None and not stay.exits:
            # Queued and never heard of leaving: the caller gave up waiting.
            flags.add("queue_unanswered")


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
    if "abandoned" in flags or "queue_unanswered" in flags:
        return "abandoned"
    if "queue_failed" in flags:
        return "failed"
    if out.direction == "outbound" and final_status in _OUTBOUND_FAILURES:
        return final_status
    if out.direction == "outbound":
        return "no_answer" if final_status is None else "failed"
    return "missed"
