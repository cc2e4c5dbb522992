"""One active worker per database among several replicas: a PostgreSQL advisory lock.

On SQLite (one process by construction) every worker leads. On PostgreSQL the worker that
holds the session-level advisory lock `key` leads; if its connection dies the lock goes with
it and another replica takes over at its next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import Database, is_sqlite
from shared.logging import get_logger

log = get_logger(__name__)


class AdvisoryLeader:
    """Holds (or tries to take) the advisory lock `key` on `db`."""

    def __init__(self, db: Database, key: int) -> None:
        self._db = db
        self._key = key
        self._conn: AsyncConnection | None = None

    async def hold(self) -> bool:
        """True while this worker leads; takes the lead when it is free."""
        if is_sqlite(self._db.url):
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:
                await self.release()
        conn = await self._db.engine.connect()
        acquired: Any = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
        await conn.commit()
        if acquired:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def release(self) -> None:
        """Give the lead up (closing the connection releases the lock in any case)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            # Bounded: a connection left mid-query by a cancellation must not hold up a shutdown
            # (closing it, or its death, releases the lock anyway).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._unlock(conn), 2)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)

    async def _unlock(self, conn: AsyncConnection) -> None:
        await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
        await conn.commit()


async def lead_forever(
    leader: AdvisoryLeader,
    work: Callable[[], Awaitable[object]],
    pause: Callable[[], Awaitable[None]],
    *,
    failure: str,
) -> None:
    """Run `work` whenever this worker leads, then `pause`, until cancelled.

    A failed run is logged as `failure` and retried after the pause: each run commits what it
    finished, so nothing is half-done. The lead is given up when the task ends.
    """
    try:
        while True:
            try:
                if await leader.hold():
                    await work()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # A driver turned our cancellation into its own error: stop anyway.
                    raise asyncio.CancelledError from exc
                log.warning(failure, error=repr(exc))
            await pause()
    finally:
        await leader.release()


@contextlib.asynccontextmanager
async def in_background(run: Callable[[], Awaitable[None]], *, name: str) -> AsyncIterator[None]:
    """Run a job's `run` as a task for the life of the block, then cancel it.

    A job stuck on the database must not hold up the shutdown for long: it gets 5 s.
    """
    task = asyncio.ensure_future(run())
    task.set_name(name)
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=5)
