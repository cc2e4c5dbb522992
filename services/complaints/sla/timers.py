"""The SLA timer: warnings and breaches as they fall due, and the task that looks for them."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.changes import SYSTEM, event_ids, save
from services.complaints.dependencies import Clock
from services.complaints.escalation.service import raise_level
from services.complaints.models import Complaint
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla import repository
from services.complaints.sla.deadlines import is_pending, refresh_next_due
from services.complaints.sla.policy import TARGETS, Target
from shared.contracts.complaints import ComplaintSlaBreachedV1
from shared.db import Database
from shared.events import Event
from shared.logging import get_logger

log = get_logger(__name__)


async def process_due(
    session: AsyncSession, *, now: dt.datetime, limit: int, settings: ComplaintsSettings
) -> int:
    """Raise the warnings and breaches due by `now` on up to `limit` complaints."""
    complaints = await repository.due_complaints(session, now=now, limit=limit)
    events: list[Event] = []
    for complaint in complaints:
        for target in TARGETS:
            events += _check_target(session, complaint, target, now=now, settings=settings)
        refresh_next_due(complaint)
    await save(session, events)
    return len(complaints)


def _check_target(
    session: AsyncSession,
    complaint: Complaint,
    target: Target,
    *,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> list[Event]:
    """Warn or breach one target if its time has come; the events it sends."""
    if not is_pending(complaint, target):
        return []
    due: dt.datetime | None = getattr(complaint, f"{target}_due_at")
    warn: dt.datetime | None = getattr(complaint, f"{target}_warn_at")
    if due is not None and due <= now:
        return _breach(session, complaint, target, due=due, now=now, settings=settings)
    if warn is not None and warn <= now and not getattr(complaint, f"{target}_warned"):
        setattr(complaint, f"{target}_warned", True)
        audit.add_entry(
            session,
            complaint.id,
            actor=SYSTEM,
            action="sla_warning",
            at=now,
            reason=f"{target} due soon",
            details={"target": target, "due_at": due.isoformat() if due else None},
        )
    return []


def _breach(
    session: AsyncSession,
    complaint: Complaint,
    target: Target,
    *,
    due: dt.datetime,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> list[Event]:
    setattr(complaint, f"{target}_breached_at", now)
    setattr(complaint, f"{target}_warned", True)
    audit.add_entry(
        session,
        complaint.id,
        actor=SYSTEM,
        action="sla_breached",
        at=now,
        reason=f"{target} target missed",
        details={"target": target, "due_at": due.isoformat()},
    )
    breached = ComplaintSlaBreachedV1(
        **event_ids(complaint), target=target, due_at=due, breached_at=now
    )
    reason = f"{target} SLA breached"
    escalated = raise_level(
        session, complaint, reason=reason, actor=SYSTEM, now=now, settings=settings
    )
    return [breached, escalated]


async def run_due_timers(db: Database, *, now: dt.datetime, settings: ComplaintsSettings) -> int:
    """Handle everything due by `now`, one batch per transaction; returns how many."""
    handled = 0
    while True:
        async with db.sessionmaker() as session:
            count = await process_due(
                session, now=now, limit=settings.sla_scan_batch_size, settings=settings
            )
            await session.commit()
        if count:
            db.committed()
        handled += count
        if count < settings.sla_scan_batch_size:
            return handled


async def _timer_loop(db: Database, clock: Clock, settings: ComplaintsSettings) -> None:
    while True:
        try:
            handled = await run_due_timers(db, now=clock(), settings=settings)
            if handled:
                log.info("sla_timers_handled", complaints=handled)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A failed batch rolled back whole; its rows are still due and the next tick retries.
            log.warning("sla_timer_failed", error=repr(exc))
        await asyncio.sleep(settings.sla_scan_interval_seconds)


@contextlib.asynccontextmanager
async def sla_timer(app: FastAPI) -> AsyncIterator[None]:
    """Run the timer loop for the app's lifetime (ServiceSpec.resources)."""
    task = asyncio.create_task(
        _timer_loop(app.state.db, app.state.clock, app.state.settings), name="complaints-sla"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
