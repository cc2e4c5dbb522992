"""The roll-up job: stores each finished 15-minute interval once it has settled.

Why a job rather than updating the rows in the transaction of each fact: a contact's facts are
written by routing, the phone systems' webhooks and agents' answers, often at the provider's
time rather than ours; one job reading the rows of a finished interval sees them all, keeps
those writers free of KPI code and contention on hot counter rows, and can rebuild any interval
from the facts. The figures of the interval in progress (and of any not yet stored) are computed
from the same rows by the same code at query time, so a report is never behind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from services.contact.kpis.intervals import interval_start
from services.contact.kpis.service import roll_up
from services.contact.settings import ContactSettings
from shared.db import Database, utcnow
from shared.leader import AdvisoryLeader, lead_forever

_ROLLUP_LOCK_KEY = 0x4B504952  # "KPIR"


class KpiRollup:
    """Rolls up the KPI intervals of one contact database."""

    def __init__(
        self,
        db: Database,
        settings: ContactSettings,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._leader = AdvisoryLeader(db, _ROLLUP_LOCK_KEY)
        self.runs = 0  # roll-ups finished by this worker

    async def run(self) -> None:
        """Roll up forever; cancel the task to stop."""
        await lead_forever(
            self._leader, self.roll_up_once, self._pause, failure="kpi_rollup_failed"
        )

    async def _pause(self) -> None:
        await asyncio.sleep(self._settings.kpi_rollup_interval_seconds)

    async def roll_up_once(self) -> dt.datetime | None:
        """Store what has settled, one day per committed transaction; the new mark."""
        now = self._clock()
        settled = interval_start(now - dt.timedelta(seconds=self._settings.kpi_settle_seconds))
        while True:
            async with self._db.sessionmaker() as session:
                mark = await roll_up(session, self._settings, now)
                await session.commit()
            if mark is None or mark >= settled:
                self.runs += 1
                return mark
