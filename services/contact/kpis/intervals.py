"""Interval aggregation, pure: the contacts' facts and the agents' presence, as counters per
15-minute interval x queue x tier x agent x channel.

Every counter belongs to the interval in which its event happened (as most ACDs report): a
contact is *offered* when it enters a line, *answered* when an agent accepts it (or the phone
system connects it itself), *handled* (with its talk time and transfer) when it ends, and
*abandoned* when the caller hangs up while waiting. After-call work counts, in full, for the
contact whose end started it, in the interval where it ends. Agent time (signed in, available,
on a contact, in after-call work, paused) is cut at the interval boundaries. So an interval is
final as soon as it is over, whatever happens to its contacts later.

Offered and abandoned contacts have no agent (`agent=""`); agent-time rows have neither queue,
tier nor channel (`channel=""`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from services.contact.kpis.definitions import Counters

INTERVAL = dt.timedelta(minutes=15)
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# Presence states and the counter their time goes to (offline time is not counted).
_STATE_COUNTERS = {
    "available": "available_seconds",
    "on_contact": "on_contact_seconds",
    "after_call_work": "wrap_up_seconds",
    "paused": "paused_seconds",
}


class Key(NamedTuple):
    """The dimensions of an interval row; "" where a dimension does not apply."""

    queue: str
    tier: str
    agent: str
    channel: str


@dataclass(frozen=True)
class ContactFact:
    """One routed contact (a work item) as the KPIs see it."""

    id: uuid.UUID
    queue: str
    tier: str
    channel: str
    threshold_seconds: int
    state: str  # waiting, offered, assigned, completed, abandoned, removed
    entered_at: dt.datetime
    assigned_at: dt.datetime | None
    ended_at: dt.datetime | None
    agent: str
    transferred: bool = False

    def key(self, *, with_agent: bool) -> Key:
        """Its row key, with or without its agent."""
        return Key(self.queue, self.tier, self.agent if with_agent else "", self.channel)

    @property
    def answered_at(self) -> dt.datetime | None:
        """When an agent took it; a contact the phone system connected itself, when it left."""
        if self.assigned_at is not None:
            return self.assigned_at
        return self.ended_at if self.state == "removed" else None


@dataclass(frozen=True)
class PresenceMark:
    """An agent entered `state` at `at`."""

    agent: str
    state: str
    at: dt.datetime


def interval_start(at: dt.datetime) -> dt.datetime:
    """The start of the 15-minute interval holding `at` (UTC)."""
    return at - (at - _EPOCH) % INTERVAL


def _seconds(later: dt.datetime, earlier: dt.datetime) -> float:
    return (later - earlier).total_seconds()


class _Table:
    def __init__(self, since: dt.datetime, until: dt.datetime) -> None:
        self.since, self.until = since, until
        self.rows: dict[tuple[dt.datetime, Key], Counters] = {}

    def within(self, at: dt.datetime | None) -> bool:
        return at is not None and self.since <= at < self.until

    def at(self, when: dt.datetime, key: Key) -> Counters:
        return self.rows.setdefault((interval_start(when), key), Counters())


def aggregate(
    contacts: Iterable[ContactFact],
    presence: Sequence[PresenceMark],
    *,
    since: dt.datetime,
    until: dt.datetime,
    short_abandon_seconds: float,
) -> dict[tuple[dt.datetime, Key], Counters]:
    """Counters per (interval start, key) of the events in [since, until)."""
    table = _Table(since, until)
    contacts = list(contacts)
    for contact in contacts:
        _count_contact(table, contact, short_abandon_seconds)
    ended_by = {(c.agent, c.ended_at): c for c in contacts if c.state == "completed" and c.ended_at}
    for agent, state, start, end in spans(presence):
        _count_time(table, agent, state, start, end)
        if state == "after_call_work" and end is not None and table.within(end):
            source = ended_by.get((agent, start))
            key = source.key(with_agent=True) if source else Key("", "", agent, "")
            table.at(end, key).after_call_work_seconds += _seconds(end, start)
    return table.rows


def _count_contact(table: _Table, c: ContactFact, short_abandon_seconds: float) -> None:
    if table.within(c.entered_at):
        table.at(c.entered_at, c.key(with_agent=False)).offered += 1
    answered_at = c.answered_at
    if answered_at is not None and table.within(answered_at):
        row = table.at(answered_at, c.key(with_agent=True))
        wait = _seconds(answered_at, c.entered_at)
        row.answered += 1
        row.answered_in_threshold += wait <= c.threshold_seconds
        row.answer_wait_seconds += wait
    if c.ended_at is None or not table.within(c.ended_at):
        return
    if c.state == "completed" and c.assigned_at is not None:
        row = table.at(c.ended_at, c.key(with_agent=True))
        row.handled += 1
        row.talk_seconds += _seconds(c.ended_at, c.assigned_at)
        row.transferred += c.transferred
    elif c.state == "abandoned":
        row = table.at(c.ended_at, c.key(with_agent=False))
        wait = _seconds(c.ended_at, c.entered_at)
        row.abandoned += 1
        row.abandoned_short += wait <= short_abandon_seconds
        row.abandoned_in_threshold += wait <= c.threshold_seconds
        row.abandon_wait_seconds += wait


def spans(
    presence: Sequence[PresenceMark],
) -> list[tuple[str, str, dt.datetime, dt.datetime | None]]:
    """(agent, state, start, end) of each stay in a state; the last one of an agent is open."""
    by_agent: dict[str, list[PresenceMark]] = {}
    for mark in presence:
        by_agent.setdefault(mark.agent, []).append(mark)
    out: list[tuple[str, str, dt.datetime, dt.datetime | None]] = []
    for agent, marks in by_agent.items():
        marks.sort(key=lambda m: m.at)
        for mark, following in zip(marks, [*marks[1:], None], strict=True):
            out.append((agent, mark.state, mark.at, following.at if following else None))
    return out


def _count_time(
    table: _Table, agent: str, state: str, start: dt.datetime, end: dt.datetime | None
) -> None:
    """Add the stay's time to each interval it overlaps, clipped to [since, until)."""
    counter = _STATE_COUNTERS.get(state)
    if counter is None:
        return
    lo, hi = max(start, table.since), min(end or table.until, table.until)
    key = Key("", "", agent, "")
    while lo < hi:
        piece_end = min(interval_start(lo) + INTERVAL, hi)
        row = table.at(lo, key)
        seconds = _seconds(piece_end, lo)
        setattr(row, counter, getattr(row, counter) + seconds)
        row.staffed_seconds += seconds
        lo = piece_end


@dataclass(frozen=True)
class ReasonFact:
    """A contact of a known customer, with its reason (wrap-up code, else subject)."""

    id: uuid.UUID
    customer: uuid.UUID
    reason: str
    entered_at: dt.datetime
    ended_at: dt.datetime | None


def repeated(
    judged: Iterable[ReasonFact], others: Iterable[ReasonFact], *, days: float
) -> set[uuid.UUID]:
    """Judged contacts followed by a repeat: another contact of the same customer on the same
    reason entering after it entered and at most `days` after it ended."""
    later: dict[tuple[uuid.UUID, str], list[dt.datetime]] = {}
    for other in others:
        later.setdefault((other.customer, other.reason), []).append(other.entered_at)
    horizon = dt.timedelta(days=days)
    out: set[uuid.UUID] = set()
    for contact in judged:
        end = (contact.ended_at or contact.entered_at) + horizon
        if any(
            contact.entered_at < t <= end for t in later.get((contact.customer, contact.reason), [])
        ):
            out.add(contact.id)
    return out
