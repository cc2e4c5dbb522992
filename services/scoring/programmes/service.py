"""Retention programmes: define, launch (draw the groups, request outreach), send later rounds,
export the members and measure the effect."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.errors import (
    ProgrammeLaunchedError,
    ProgrammeNotFoundError,
    ProgrammeNotLaunchedError,
    RoundNotDueError,
    RoundsCompleteError,
    TargetTooSmallError,
)
from services.scoring.models import Programme, ProgrammeMember
from services.scoring.programmes import repository
from services.scoring.programmes.effect import Comparison, compare
from services.scoring.programmes.schemas import ProgrammeCreate
from services.scoring.programmes.targeting import Candidate, Draw, describe, draw, target_of
from services.scoring.programmes.targeting import Target as TargetRule
from services.scoring.scores.service import SOURCE
from shared.contracts.scoring import OutreachChannel, OutreachRequestedV1
from shared.outbox import stage_events
from shared.pagination import page_of


@dataclass(frozen=True)
class Effect:
    """A programme's measured effect up to a moment, in its measurement window."""

    programme_id: uuid.UUID
    window_start: dt.datetime
    window_end: dt.datetime
    complete: bool
    confidence: float
    comparison: Comparison
    contacts_requested: int
    total_cost: Decimal


async def create_programme(
    session: AsyncSession, data: ProgrammeCreate, *, now: dt.datetime
) -> Programme:
    """A new programme in draft: nobody is drawn or contacted until it is launched."""
    spec = data.target
    target = TargetRule(
        tiers=frozenset(spec.tiers),
        lifecycle_stages=frozenset(spec.lifecycle_stages),
        min_churn_risk=spec.min_churn_risk,
        max_churn_risk=spec.max_churn_risk,
        max_members=spec.max_members,
    )
    programme = Programme(
        id=uuid.uuid4(),
        **data.model_dump(exclude={"target"}),
        target=describe(target),
        state="draft",
        created_at=now,
    )
    session.add(programme)
    await session.flush()
    return programme


async def get_programme(session: AsyncSession, programme_id: uuid.UUID) -> Programme:
    """The programme; raises `ProgrammeNotFoundError`."""
    programme = await repository.find_programme(session, programme_id)
    if programme is None:
        raise ProgrammeNotFoundError(programme_id)
    return programme


async def list_programmes(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[Programme], str | None]:
    """Programmes newest first, a page at a time."""
    rows = list(await repository.programmes(session, cursor=cursor, limit=limit))
    return page_of(rows, limit, lambda p: (p.created_at, p.id))


async def launch_programme(
    session: AsyncSession, programme_id: uuid.UUID, *, now: dt.datetime
) -> Programme:
    """Draw the target, hold out the control group and request outreach for the treated.

    The seed of the draw is the programme's, or drawn now and recorded. Raises
    `ProgrammeLaunchedError` on a second launch and `TargetTooSmallError` when either group
    would be empty.
    """
    programme = await _locked(session, programme_id)
    if programme.state != "draft":
        raise ProgrammeLaunchedError(programme_id)
    seed = programme.seed if programme.seed is not None else secrets.randbits(62)
    rows = await repository.candidates(session)
    found = draw(
        target_of(programme.target),
        (_candidate(row) for row in rows),
        control_share=programme.control_share,
        seed=seed,
    )
    if not found.treated or not found.control:
        raise TargetTooSmallError(len(found.treated) + len(found.control))
    await repository.add_members(session, _member_rows(programme.id, found, now))
    programme.seed, programme.state, programme.launched_at = seed, "launched", now
    programme.treated_count, programme.control_count = len(found.treated), len(found.control)
    await _send_round(session, programme, [c.customer_id for c in found.treated], now=now)
    return programme


def _candidate(row: Any) -> Candidate:
    spend = Decimal(str(row.net_spend)) if row.net_spend is not None else Decimal(0)
    return Candidate(row.customer_id, row.tier, row.churn_risk, row.lifecycle_stage, spend)


def _member_rows(programme_id: uuid.UUID, found: Draw, now: dt.datetime) -> list[dict[str, Any]]:
    groups = (("treated", found.treated), ("control", found.control))
    return [
        {
            "id": uuid.uuid4(),
            "programme_id": programme_id,
            "customer_id": c.customer_id,
            "group": group,
            "drawn_at": now,
            "baseline_spend": c.net_spend,
            "tier": c.tier,
            "churn_risk": c.churn_risk,
        }
        for group, members in groups
        for c in members
    ]


async def send_next_round(
    session: AsyncSession, programme_id: uuid.UUID, *, now: dt.datetime
) -> Programme:
    """Request the next round of contact for the treated group (never the control group).

    Raises `ProgrammeNotLaunchedError`, `RoundsCompleteError` after `contacts_per_member`
    rounds, and `RoundNotDueError` before `interval_days` have passed since the last round.
    """
    programme = await _locked(session, programme_id)
    if programme.state != "launched" or programme.last_round_at is None:
        raise ProgrammeNotLaunchedError(programme_id)
    if programme.rounds_sent >= programme.contacts_per_member:
        raise RoundsCompleteError(programme.rounds_sent)
    due = programme.last_round_at + dt.timedelta(days=programme.interval_days)
    if now < due:
        raise RoundNotDueError(due.isoformat())
    treated = await repository.treated_ids(session, programme.id)
    await _send_round(session, programme, list(treated), now=now)
    return programme


async def _send_round(
    session: AsyncSession, programme: Programme, customers: Sequence[str], *, now: dt.datetime
) -> None:
    """One outreach request per customer, each with an id that names programme, customer and
    round, so contact carries each out once however often it arrives."""
    number = programme.rounds_sent + 1
    due_at = now + dt.timedelta(hours=programme.due_within_hours)
    summary = f"{programme.name}: {programme.content}"[:500]
    events = [
        OutreachRequestedV1(
            request_id=uuid.uuid5(programme.id, f"{customer_id}/{number}"),
            customer_id=uuid.UUID(customer_id),
            programme_id=programme.id,
            queue=programme.queue,
            channel=cast(OutreachChannel, programme.channel),
            summary=summary,
            due_at=due_at,
        )
        for customer_id in customers
    ]
    await stage_events(session, events, source=SOURCE)
    programme.rounds_sent, programme.last_round_at = number, now
    programme.contacts_requested += len(events)
    await session.flush()


async def _locked(session: AsyncSession, programme_id: uuid.UUID) -> Programme:
    programme = await repository.lock_programme(session, programme_id)
    if programme is None:
        raise ProgrammeNotFoundError(programme_id)
    return programme


async def list_members(
    session: AsyncSession,
    programme_id: uuid.UUID,
    *,
    group: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ProgrammeMember], str | None]:
    """A programme's members, a page at a time; raises `ProgrammeNotFoundError`."""
    await get_programme(session, programme_id)
    rows = list(
        await repository.members(session, programme_id, group=group, cursor=cursor, limit=limit)
    )
    return page_of(rows, limit, lambda m: (m.drawn_at, m.id))


async def measure_effect(
    session: AsyncSession,
    programme_id: uuid.UUID,
    *,
    as_of: dt.datetime,
    confidence: float,
) -> Effect:
    """Retention and spend of treated against control from launch to `as_of` (at most the
    measurement window), and the cost per retained customer; raises `ProgrammeNotLaunchedError`.
    """
    programme = await get_programme(session, programme_id)
    start = programme.launched_at
    if start is None:
        raise ProgrammeNotLaunchedError(programme_id)
    full_end = start + dt.timedelta(days=programme.measurement_days)
    end = max(start, min(as_of, full_end))
    outcomes = await repository.window_outcomes(session, programme.id, start=start, end=end)
    total_cost = programme.cost_per_contact * programme.contacts_requested
    return Effect(
        programme_id=programme.id,
        window_start=start,
        window_end=end,
        complete=as_of >= full_end,
        confidence=confidence,
        comparison=compare(
            [(group, orders, spend) for _, group, orders, spend in outcomes],
            total_cost=total_cost,
            confidence=confidence,
        ),
        contacts_requested=programme.contacts_requested,
        total_cost=total_cost,
    )
