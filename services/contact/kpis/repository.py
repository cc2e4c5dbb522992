"""Queries of the KPIs: routed contacts and presence in a window, stored intervals, watermark."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.kpis.definitions import COUNTER_NAMES
from services.contact.kpis.models import KpiInterval, KpiRollup
from services.contact.models import (
    Call,
    Contact,
    Customer,
    PresenceChange,
    RoutingQueue,
    WorkItem,
)
from shared.db import chunks

_ROLLUP = "kpi_interval"
_DIMENSIONS = ("queue_id", "tier", "agent_id", "channel")


def _contact_columns() -> list[Any]:
    return [
        WorkItem.id,
        WorkItem.queue_id,
        WorkItem.channel,
        WorkItem.state,
        WorkItem.entered_at,
        WorkItem.assigned_at,
        WorkItem.ended_at,
        WorkItem.agent_id,
        WorkItem.customer_id,
        RoutingQueue.service_level_seconds,
        Customer.tier,
        Call.provider_call_id,
        Call.legs,
        func.coalesce(Call.wrap_up_code, Contact.wrap_up_code, WorkItem.subject).label("reason"),
    ]


def _with_joins(query: Any) -> Any:
    return (
        query.join(RoutingQueue, RoutingQueue.id == WorkItem.queue_id)
        .outerjoin(Customer, Customer.id == WorkItem.customer_id)
        .outerjoin(Call, Call.id == WorkItem.call_id)
        .outerjoin(Contact, Contact.id == WorkItem.contact_id)
    )


async def contacts_touching(
    session: AsyncSession, since: dt.datetime, until: dt.datetime, *, ended_since: dt.datetime
) -> Sequence[Row[Any]]:
    """Contacts that entered before `until` and either entered since `since`, are still open,
    or ended since `ended_since` (uses the entered_at and ended_at indexes)."""
    query = _with_joins(select(*_contact_columns())).where(
        WorkItem.entered_at < until,
        or_(
            WorkItem.entered_at >= since,
            WorkItem.ended_at.is_(None),
            WorkItem.ended_at >= ended_since,
        ),
    )
    return (await session.execute(query)).all()


async def handled_in(
    session: AsyncSession, since: dt.datetime, until: dt.datetime
) -> Sequence[Row[Any]]:
    """Contacts of known customers handled (completed) in [since, until)."""
    query = _with_joins(select(*_contact_columns())).where(
        WorkItem.state == "completed",
        WorkItem.ended_at >= since,
        WorkItem.ended_at < until,
        WorkItem.customer_id.is_not(None),
    )
    return (await session.execute(query)).all()


async def contacts_of_customers(
    session: AsyncSession, customers: Sequence[uuid.UUID], since: dt.datetime, until: dt.datetime
) -> list[Row[Any]]:
    """Contacts of `customers` that entered in [since, until), with their reason."""
    out: list[Row[Any]] = []
    for part in chunks(sorted(customers)):
        query = _with_joins(select(*_contact_columns())).where(
            WorkItem.customer_id.in_(part),
            WorkItem.entered_at >= since,
            WorkItem.entered_at < until,
        )
        out.extend((await session.execute(query)).all())
    return out


async def presence_in(
    session: AsyncSession, since: dt.datetime, until: dt.datetime
) -> Sequence[PresenceChange]:
    """Presence changes in [since, until) and, per agent, the last one before `since`."""
    last_before = (
        select(PresenceChange.agent_id, func.max(PresenceChange.at).label("at"))
        .where(PresenceChange.at < since)
        .group_by(PresenceChange.agent_id)
        .subquery()
    )
    earlier = await session.scalars(
        select(PresenceChange)
        .join(
            last_before,
            and_(
                PresenceChange.agent_id == last_before.c.agent_id,
                PresenceChange.at == last_before.c.at,
            ),
        )
        .order_by(PresenceChange.id)
    )
    # Two changes at the same instant: the later-written one is the state the agent was in.
    opening = {change.agent_id: change for change in earlier.all()}
    during = await session.scalars(
        select(PresenceChange)
        .where(PresenceChange.at >= since, PresenceChange.at < until)
        .order_by(PresenceChange.at, PresenceChange.id)
    )
    return [*opening.values(), *during.all()]


async def stored_sums(
    session: AsyncSession, since: dt.datetime, until: dt.datetime
) -> Sequence[Row[Any]]:
    """The stored counters of intervals starting in [since, until), summed per key."""
    sums = [func.sum(getattr(KpiInterval, name)).label(name) for name in COUNTER_NAMES]
    columns = [getattr(KpiInterval, name) for name in _DIMENSIONS]
    query = (
        select(*columns, *sums)
        .where(KpiInterval.interval_start >= since, KpiInterval.interval_start < until)
        .group_by(*columns)
    )
    return (await session.execute(query)).all()


async def rolled_up_to(session: AsyncSession) -> dt.datetime | None:
    """Every interval before this is stored; None before the first roll-up."""
    mark = await session.get(KpiRollup, _ROLLUP)
    return mark.rolled_up_to if mark else None


async def lock_watermark(session: AsyncSession) -> KpiRollup | None:
    """The roll-up mark, row-locked on PostgreSQL."""
    row: KpiRollup | None = await session.scalar(
        select(KpiRollup).where(KpiRollup.name == _ROLLUP).with_for_update()
    )
    return row


async def earliest_fact(session: AsyncSession) -> dt.datetime | None:
    """When the first contact entered a line or the first presence change happened."""
    first_item = await session.scalar(select(func.min(WorkItem.entered_at)))
    first_change = await session.scalar(select(func.min(PresenceChange.at)))
    found = [t for t in (first_item, first_change) if t is not None]
    return min(found) if found else None


async def replace_intervals(
    session: AsyncSession,
    since: dt.datetime,
    until: dt.datetime,
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Store `rows` as the intervals of [since, until), replacing any stored before."""
    await session.execute(
        delete(KpiInterval).where(
            KpiInterval.interval_start >= since, KpiInterval.interval_start < until
        )
    )
    for part in chunks(list(rows), 500):
        await session.execute(insert(KpiInterval), list(part))


async def set_watermark(session: AsyncSession, at: dt.datetime, *, now: dt.datetime) -> None:
    """Record that every interval before `at` is stored."""
    mark = await session.get(KpiRollup, _ROLLUP)
    if mark is None:
        session.add(KpiRollup(name=_ROLLUP, rolled_up_to=at, updated_at=now))
    else:
        mark.rolled_up_to, mark.updated_at = at, now
    await session.flush()
