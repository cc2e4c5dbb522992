"""Staffing use cases: the pure calculator, and a queue's needs from its measured load."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.kpis.definitions import Counters, ratio
from services.contact.kpis.service import KpiQuery, kpi_report
from services.contact.models import RoutingQueue
from services.contact.queues.service import get_queue
from services.contact.settings import ContactSettings
from services.contact.staffing.erlang import (
    Load,
    Service,
    StaffingError,
    agents_needed,
    erlang_a,
    erlang_c,
)
from services.contact.staffing.errors import (
    InvalidStaffingWindowError,
    NoMeasurementsError,
    UnreachableTargetError,
)
from services.contact.staffing.schemas import ErlangRequest

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Staffing:
    """The fewest agents meeting the target, one fewer, and the agents asked about."""

    model: str
    erlangs: float
    required: Service
    one_fewer: Service | None
    at_agents: Service | None


@dataclass(frozen=True)
class Measured:
    """A queue's load summed over the matching windows."""

    dates: list[dt.date]
    hours: float
    counters: Counters

    @property
    def arrival_rate_per_hour(self) -> float | None:
        """offered / hours."""
        return ratio(self.counters.offered, self.hours)

    @property
    def aht_seconds(self) -> float | None:
        """(Σ talk + Σ after-call work) / handled."""
        c = self.counters
        return ratio(c.talk_seconds + c.after_call_work_seconds, c.handled)

    @property
    def patience_seconds(self) -> float | None:
        """Σ waits (answered ones are censored patience) / abandons: exponential estimate."""
        c = self.counters
        return ratio(c.answer_wait_seconds + c.abandon_wait_seconds, c.abandoned)


async def solve(request: ErlangRequest) -> Staffing:
    """`calculate` off the event loop: a large Erlang A search takes CPU for up to a second."""
    return await asyncio.to_thread(calculate, request)


def calculate(request: ErlangRequest) -> Staffing:
    """Erlang C (or A, with a patience) for the request's load and target."""
    load = Load(request.arrival_rate_per_hour / 3600, request.aht_seconds, request.patience_seconds)
    model = erlang_c if request.patience_seconds is None else erlang_a
    try:
        required = agents_needed(
            load, target=request.target_percent / 100, threshold_seconds=request.target_seconds
        )
    except StaffingError as exc:
        raise UnreachableTargetError(str(exc)) from exc
    n = required.agents
    return Staffing(
        model="erlang_c" if request.patience_seconds is None else "erlang_a",
        erlangs=load.erlangs,
        required=required,
        one_fewer=model(n - 1, load, request.target_seconds) if n > 1 else None,
        at_agents=model(request.agents, load, request.target_seconds) if request.agents else None,
    )


def past_dates(weekday: str, weeks: int, today: dt.date) -> list[dt.date]:
    """The last `weeks` dates falling on `weekday`, before `today`, oldest first."""
    back = (today.weekday() - WEEKDAYS.index(weekday)) % 7 or 7
    last = today - dt.timedelta(days=back)
    return [last - dt.timedelta(weeks=w) for w in reversed(range(weeks))]


@dataclass(frozen=True)
class Window:
    """A weekly window: [start, end) local time on `weekday`, over the last `weeks` weeks."""

    weekday: str
    start: dt.time
    end: dt.time
    weeks: int


async def queue_staffing(
    session: AsyncSession,
    settings: ContactSettings,
    queue_id: uuid.UUID,
    window: Window,
    *,
    given: dict[str, float | None],
    erlang_a_wanted: bool,
    now: dt.datetime,
) -> tuple[Measured, ErlangRequest, Staffing]:
    """What the queue was offered in the window, the inputs used, and the agents it needs."""
    if window.start >= window.end:
        raise InvalidStaffingWindowError()
    queue = await get_queue(session, queue_id)
    measured = await measure(session, settings, queue, window, now=now)
    target = {
        "target_percent": queue.service_level_percent,
        "target_seconds": float(queue.service_level_seconds),
    }
    given = {**target, **{k: v for k, v in given.items() if v is not None}}
    inputs = inputs_for(measured, given, erlang_a_wanted=erlang_a_wanted)
    return measured, inputs, await solve(inputs)


async def measure(
    session: AsyncSession,
    settings: ContactSettings,
    queue: RoutingQueue,
    window: Window,
    *,
    now: dt.datetime,
) -> Measured:
    """The queue's counters in the window on each of its past dates."""
    weekday, start, end, weeks = window.weekday, window.start, window.end, window.weeks
    zone = ZoneInfo(queue.timezone)
    dates = past_dates(weekday, weeks, now.astimezone(zone).date())
    total, hours = Counters(), 0.0
    for day in dates:
        since = dt.datetime.combine(day, start, zone).astimezone(dt.UTC)
        until = dt.datetime.combine(day, end, zone).astimezone(dt.UTC)
        query = KpiQuery(since=since, until=until, queue=str(queue.id))
        report = await kpi_report(session, settings, query, now=now)
        for group in report.groups:
            total.add(group.counters)
        hours += (until - since).total_seconds() / 3600
    return Measured(dates=dates, hours=hours, counters=total)


def inputs_for(
    measured: Measured, given: dict[str, float | None], *, erlang_a_wanted: bool
) -> ErlangRequest:
    """The calculator's inputs: what was given, else what was measured."""
    values = {
        "arrival_rate_per_hour": measured.arrival_rate_per_hour,
        "aht_seconds": measured.aht_seconds,
        "patience_seconds": measured.patience_seconds if erlang_a_wanted else None,
    }
    values.update({k: v for k, v in given.items() if v is not None})
    for name in ("arrival_rate_per_hour", "aht_seconds"):
        if not values.get(name):
            raise NoMeasurementsError(name.replace("_", " "))
    if erlang_a_wanted and not values.get("patience_seconds"):
        raise NoMeasurementsError("patience (no caller abandoned)")
    return ErlangRequest.model_validate(values)
