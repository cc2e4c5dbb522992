"""The SLA timer: a background task that raises due warnings and breaches."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI

from services.complaints import service
from services.complaints.settings import ComplaintsSettings
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)

Clock = Callable[[], dt.datetime]


async def run_due_timers(db: Database, *, now: dt.datetime, settings: ComplaintsSettings) -> int:
    """Handle everything due by `now`, one batch per transaction; returns how many."""
    handled = 0
    while True:
        async with db.sessionmaker() as session:
            count = await service.process_due(
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
