"""The settle job: publishes the provider calls and contacts whose events have settled.

A provider's events of one call or contact may arrive in any order; each moves its record's
`settles_at` to `CONTACT_CALL_SETTLE_SECONDS` from now. This job, on the leader (one replica
at a time on PostgreSQL), publishes every record whose settle time has passed, from all its
events, one committed batch at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from services.contact.calls.settling import settle_due_calls
from services.contact.contacts.connect_events import settle_due_contacts
from services.contact.settings import ContactSettings
from shared.db import Database, utcnow
from shared.leader import AdvisoryLeader, lead_forever

_SETTLE_LOCK_KEY = 0x53544C45  # "STLE"
_BATCH = 100


class Settler:
    """Publishes the settled calls and contacts of one contact database."""

    def __init__(
        self,
        db: Database,
        settings: ContactSettings,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._leader = AdvisoryLeader(db, _SETTLE_LOCK_KEY)

    async def run(self) -> None:
        """Settle forever; cancel the task to stop."""
        await lead_forever(self._leader, self.settle_once, self._pause, failure="settle_failed")

    async def _pause(self) -> None:
        # Often enough that a record publishes soon after its window (one indexed query).
        window = self._settings.call_settle_seconds
        await asyncio.sleep(min(0.25, max(0.05, window / 4)) if window else 1.0)

    async def settle_once(self, now: dt.datetime | None = None) -> int:
        """Publish every call and contact settled by `now` (the clock's); how many."""
        at = now or self._clock()
        total = 0
        for calls in (True, False):
            while True:
                async with self._db.sessionmaker() as session:
                    if calls:
                        done = await settle_due_calls(session, self._settings, at, limit=_BATCH)
                    else:
                        done = await settle_due_contacts(session, at, limit=_BATCH)
                    await session.commit()
                if done:
                    self._db.committed_session(session)  # wakes the outbox relay
                total += done
                if done < _BATCH:
                    break
        return total
