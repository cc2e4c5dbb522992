"""Retention: rows kept only as long as configured, removed by one periodic job per service.

Every service keeps published outbox rows and processed-event (inbox) rows; a service adds its
own purges (raw call payloads in contact). Each purge is a function `(session, now) -> rows`
run in its own transaction. With several replicas on PostgreSQL one of them runs the job at a
time (`shared.leader.AdvisoryLeader`); the clock is passed in, so tests move time by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database, OutboxMessage, ProcessedEvent, utcnow
from shared.leader import AdvisoryLeader, lead_forever
from shared.logging import get_logger

log = get_logger(__name__)

Purge = Callable[[AsyncSession, dt.datetime], Awaitable[int]]
# Key of the PostgreSQL advisory lock that makes one replica per database run the job.
_RETENTION_LOCK_KEY = 0x52455445  # "RETE"


def cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """The moment before which rows kept for `days` days are due."""
    return now - dt.timedelta(days=days)


def outbox_purge(days: int) -> Purge:
    """Delete outbox rows published more than `days` days ago (never unpublished ones)."""

    async def purge(session: AsyncSession, now: dt.datetime) -> int:
        result = await session.execute(
            delete(OutboxMessage).where(OutboxMessage.published_at < cutoff(now, days))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    return purge


def inbox_purge(days: int) -> Purge:
    """Delete processed-event rows older than `days` days.

    A redelivery of an event older than that would be applied again, so `days` must exceed
    the topics' retention (and any offset reset a team might do).
    """

    async def purge(session: AsyncSession, now: dt.datetime) -> int:
        result = await session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.processed_at < cutoff(now, days))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    return purge


class RetentionJob:
    """Runs each purge every `interval_seconds`, one transaction per purge, on the leader only."""

    def __init__(
        self,
        db: Database,
        purges: Mapping[str, Purge],
        *,
        interval_seconds: float,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._purges = dict(purges)
        self._interval = interval_seconds
        self._clock = clock
        self._leader = AdvisoryLeader(db, _RETENTION_LOCK_KEY)
        self.runs = 0

    async def run_once(self) -> dict[str, int]:
        """Every purge once, at the clock's time; rows removed per purge."""
        now = self._clock()
        removed: dict[str, int] = {}
        for name, purge in self._purges.items():
            async with self._db.sessionmaker() as session:
                removed[name] = await purge(session, now)
                await session.commit()
        self.runs += 1
        if any(removed.values()):
            log.info("retention_purged", **removed)
        return removed

    async def run(self) -> None:
        """Purge forever (the first run at once); cancel the task to stop."""
        # Nothing half-done stays after a failure: each purge is one transaction.
        await lead_forever(self._leader, self.run_once, self._pause, failure="retention_failed")

    async def _pause(self) -> None:
        await asyncio.sleep(self._interval)
