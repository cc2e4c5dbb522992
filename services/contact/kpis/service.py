"""KPI use cases: a window's figures (stored intervals plus the not yet rolled-up rest), the
roll-up of finished intervals, and a queue's live state."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.agents import repository as agents
from services.contact.kpis import repository
from services.contact.kpis.definitions import (
    COUNTER_NAMES,
    Counters,
    Figures,
    Resolution,
    figures,
)
from services.contact.kpis.intervals import (
    INTERVAL,
    ContactFact,
    Key,
    PresenceMark,
    ReasonFact,
    aggregate,
    interval_start,
    repeated,
)
from services.contact.queues.service import get_queue
from services.contact.routing import repository as routing
from services.contact.settings import ContactSettings

Dimension = Literal["queue", "tier", "agent", "channel"]
DIMENSIONS: tuple[Dimension, ...] = ("queue", "tier", "agent", "channel")
# How far back a contact's end may lie from the after-call work it started.
ACW_LOOKBACK = dt.timedelta(hours=2)
# One roll-up transaction covers at most this much, so catching up is done in bounded steps.
ROLLUP_STEP = dt.timedelta(days=1)


@dataclass(frozen=True)
class KpiQuery:
    """Which window, grouped how, filtered to what."""

    since: dt.datetime
    until: dt.datetime
    group_by: tuple[Dimension, ...] = ()
    queue: str | None = None
    tier: str | None = None
    agent: str | None = None
    channel: str | None = None

    def matches(self, key: Key) -> bool:
        """Whether a row of `key` is inside the filters."""
        wanted = (self.queue, self.tier, self.agent, self.channel)
        return all(w is None or w == k for w, k in zip(wanted, key, strict=True))

    @property
    def agent_time(self) -> bool:
        """Agent time belongs to no queue, tier or channel: only overall or per agent."""
        return not (set(self.group_by) - {"agent"}) and all(
            d is None for d in (self.queue, self.tier, self.channel)
        )


@dataclass(frozen=True)
class Group:
    """One group's dimensions, counters and figures."""

    key: dict[str, str]
    counters: Counters
    figures: Figures


@dataclass(frozen=True)
class Report:
    """A window's KPIs; `stored_until`: intervals before it came from stored rows."""

    since: dt.datetime
    until: dt.datetime
    stored_until: dt.datetime | None
    groups: list[Group]


def _key(row: Any) -> Key:
    return Key(str(row.queue_id), row.tier or "", str(row.agent_id or ""), row.channel)


def contact_fact(row: Row[Any]) -> ContactFact:
    """A contact row as the interval aggregation reads it."""
    agent_legs = [leg for leg in (row.legs or []) if leg != row.provider_call_id]
    return ContactFact(
        id=row.id,
        queue=str(row.queue_id),
        tier=row.tier or "",
        channel=row.channel,
        threshold_seconds=row.service_level_seconds,
        state=row.state,
        entered_at=row.entered_at,
        assigned_at=row.assigned_at,
        ended_at=row.ended_at,
        agent=str(row.agent_id or ""),
        transferred=len(agent_legs) > 1,
    )


def _reason_fact(row: Row[Any]) -> ReasonFact | None:
    if row.customer_id is None or not row.reason:
        return None
    return ReasonFact(row.id, row.customer_id, row.reason, row.entered_at, row.ended_at)


async def raw_intervals(
    session: AsyncSession, settings: ContactSettings, since: dt.datetime, until: dt.datetime
) -> dict[tuple[dt.datetime, Key], Counters]:
    """The counters of [since, until) computed from the contact and presence rows."""
    rows = await repository.contacts_touching(
        session, since, until, ended_since=since - ACW_LOOKBACK
    )
    changes = await repository.presence_in(session, since, until)
    return aggregate(
        (contact_fact(r) for r in rows),
        [PresenceMark(str(c.agent_id), c.state, c.at) for c in changes],
        since=since,
        until=until,
        short_abandon_seconds=settings.kpi_short_abandon_seconds,
    )


async def roll_up(
    session: AsyncSession, settings: ContactSettings, now: dt.datetime
) -> dt.datetime | None:
    """Store the intervals over for `kpi_settle_seconds` and not yet stored; the new mark."""
    mark = await repository.lock_watermark(session)
    if mark is not None:
        start = mark.rolled_up_to
    else:
        first = await repository.earliest_fact(session)
        if first is None:
            return None
        start = interval_start(first)
    end = min(
        interval_start(now - dt.timedelta(seconds=settings.kpi_settle_seconds)), start + ROLLUP_STEP
    )
    if end <= start:
        return start
    counters = await raw_intervals(session, settings, start, end)
    rows = [
        {
            "interval_start": at,
            "queue_id": key.queue,
            "tier": key.tier,
            "agent_id": key.agent,
            "channel": key.channel,
            **{f.name: getattr(c, f.name) for f in fields(c)},
        }
        for (at, key), c in sorted(counters.items())
    ]
    await repository.replace_intervals(session, start, end, rows)
    await repository.set_watermark(session, end, now=now)
    return end


def _ceil(at: dt.datetime) -> dt.datetime:
    start = interval_start(at)
    return start if start == at else start + INTERVAL


async def _window_counters(
    session: AsyncSession,
    settings: ContactSettings,
    since: dt.datetime,
    until: dt.datetime,
) -> tuple[dict[Key, Counters], dt.datetime | None]:
    """Per key over the window: stored whole intervals below the mark, the rest from rows."""
    mark = await repository.rolled_up_to(session)
    totals: dict[Key, Counters] = {}
    stored_from = _ceil(since)
    stored_to = min(interval_start(until), mark) if mark else stored_from
    raw_parts = [(since, until)]
    if stored_from < stored_to:
        for row in await repository.stored_sums(session, stored_from, stored_to):
            counters = Counters(**{name: getattr(row, name) or 0 for name in COUNTER_NAMES})
            totals.setdefault(_key(row), Counters()).add(counters)
        raw_parts = [(since, stored_from), (stored_to, until)]
    for lo, hi in raw_parts:
        if lo < hi:
            for (_, key), counters in (await raw_intervals(session, settings, lo, hi)).items():
                totals.setdefault(key, Counters()).add(counters)
    return totals, (stored_to if stored_from < stored_to else None)


def _project(query: KpiQuery, key: Key) -> tuple[str, ...]:
    return tuple(getattr(key, d) for d in query.group_by)


async def _resolutions(
    session: AsyncSession, settings: ContactSettings, query: KpiQuery, until: dt.datetime
) -> dict[tuple[str, ...], Resolution]:
    """First-contact resolution per group, from the contacts handled in the window."""
    handled = [
        (contact_fact(r).key(with_agent=True), fact)
        for r in await repository.handled_in(session, query.since, until)
        if (fact := _reason_fact(r)) is not None
    ]
    handled = [(k, f) for k, f in handled if query.matches(k)]
    if not handled:
        return {}
    horizon = max(f.ended_at or f.entered_at for _, f in handled) + dt.timedelta(
        days=settings.kpi_first_contact_days
    )
    others = await repository.contacts_of_customers(
        session,
        list({f.customer for _, f in handled}),
        min(f.entered_at for _, f in handled),
        horizon + dt.timedelta(microseconds=1),
    )
    repeats = repeated(
        [f for _, f in handled],
        [o for o in map(_reason_fact, others) if o is not None],
        days=settings.kpi_first_contact_days,
    )
    tally: dict[tuple[str, ...], list[int]] = {}
    for key, fact in handled:
        counts = tally.setdefault(_project(query, key), [0, 0])
        counts[0] += 1
        counts[1] += fact.id not in repeats
    return {group: Resolution(judged, resolved) for group, (judged, resolved) in tally.items()}


async def kpi_report(
    session: AsyncSession, settings: ContactSettings, query: KpiQuery, *, now: dt.datetime
) -> Report:
    """The window's KPIs per group (a window reaching past `now` stops at `now`)."""
    until = min(query.until, now)
    if until <= query.since:
        return Report(query.since, until, None, [])
    totals, stored_until = await _window_counters(session, settings, query.since, until)
    groups: dict[tuple[str, ...], Counters] = {}
    for key, counters in totals.items():
        is_agent_time = key.channel == ""
        if not query.matches(key) or (is_agent_time and not query.agent_time):
            continue
        groups.setdefault(_project(query, key), Counters()).add(counters)
    resolutions = await _resolutions(session, settings, query, until)
    window = (until - query.since).total_seconds()
    out = [
        Group(
            key=dict(zip(query.group_by, group, strict=True)),
            counters=counters,
            figures=figures(
                counters,
                window_seconds=window,
                agent_time=query.agent_time,
                resolution=resolutions.get(group),
            ),
        )
        for group, counters in sorted(groups.items())
    ]
    return Report(query.since, until, stored_until, out)


def by_presence(agents: Iterable[Any], required: dict[str, int]) -> dict[str, int]:
    """How many of the agents with the queue's skills are in each presence state."""
    counts: dict[str, int] = {}
    for agent in agents:
        if all(agent.skills.get(skill, 0) >= level for skill, level in required.items()):
            counts[agent.presence] = counts.get(agent.presence, 0) + 1
    return counts


def longest_wait(entered: Sequence[dt.datetime], now: dt.datetime) -> float:
    """Seconds the longest-waiting contact has waited (0 when nobody waits)."""
    return max(((now - at).total_seconds() for at in entered), default=0.0)


@dataclass(frozen=True)
class LiveQueue:
    """A queue now: who waits, for how long, the agents who can take it, and today so far."""

    queue_id: uuid.UUID
    name: str
    at: dt.datetime
    waiting: int
    offered: int
    longest_wait_seconds: float
    oldest_entered_at: dt.datetime | None
    agents_by_presence: dict[str, int]
    today: Report


async def live_queue(
    session: AsyncSession, settings: ContactSettings, queue_id: uuid.UUID, *, now: dt.datetime
) -> LiveQueue:
    """The queue's line and agents now, and its KPIs since midnight in its time zone."""
    queue = await get_queue(session, queue_id)
    items = await routing.items_in_queue(session, queue.id, ("waiting", "offered"))
    entered = [i.entered_at for i in items]
    local = now.astimezone(ZoneInfo(queue.timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    today = await kpi_report(
        session, settings, KpiQuery(since=midnight, until=now, queue=str(queue.id)), now=now
    )
    return LiveQueue(
        queue_id=queue.id,
        name=queue.name,
        at=now,
        waiting=sum(i.state == "waiting" for i in items),
        offered=sum(i.state == "offered" for i in items),
        longest_wait_seconds=longest_wait(entered, now),
        oldest_entered_at=min(entered, default=None),
        agents_by_presence=by_presence(
            await agents.list_agents(session), dict(queue.required_skills)
        ),
        today=today,
    )
