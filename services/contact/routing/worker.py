"""The router: one task that runs routing passes and sends connect instructions.

It wakes on every commit that wrote a routing table (a contact entered a line, an agent became
free, an offer was answered) and at least every `CONTACT_ROUTING_INTERVAL_SECONDS` (offer timeouts,
wrap-up ends). With several replicas on PostgreSQL exactly one routes at a time (an advisory
lock): two replicas can never offer the same contact twice, and the partial unique indexes on
pending offers (one per contact, one per agent) would refuse it even if they tried.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable

from services.contact.models import Agent, ConnectRequest, Offer, RoutingQueue, WorkItem
from services.contact.routing import repository
from services.contact.routing.connect import PhoneSystem, send_due
from services.contact.routing.offers import routing_pass
from services.contact.settings import ContactSettings
from shared.db import Database, utcnow
from shared.leader import AdvisoryLeader, lead_forever

_ROUTER_LOCK_KEY = 0x52545245  # "RTRE"
# A commit that wrote none of these (a call's progress, a score, a survey) cannot change what
# the next pass decides: only these wake the router before its interval.
ROUTING_TABLES = frozenset(
    m.__tablename__ for m in (Agent, ConnectRequest, Offer, RoutingQueue, WorkItem)
)


class Router:
    """Routes the lines of one contact database."""

    def __init__(
        self,
        db: Database,
        settings: ContactSettings,
        phone: PhoneSystem,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._settings = settings
        self._phone = phone
        self._clock = clock
        self._leader = AdvisoryLeader(db, _ROUTER_LOCK_KEY)
        self._wakeup = asyncio.Event()
        self.passes = 0
        self.offers = 0

    def wake(self) -> None:
        """Route now rather than at the next interval."""
        self._wakeup.set()

    async def run(self) -> None:
        """Route forever; cancel the task to stop."""
        await lead_forever(
            self._leader, self.route_once, self._sleep, failure="routing_pass_failed"
        )

    async def route_once(self) -> int:
        """One routing pass, committed, then the due connect instructions; offers made."""
        now = self._clock()
        async with self._db.sessionmaker() as session:
            made = await routing_pass(session, self._settings, now)
            await session.commit()
        self.passes += 1
        self.offers += made
        if made:
            self._db.committed()  # wakes the outbox relay for the offer events
        async with self._db.sessionmaker() as session:
            due = list(await repository.due_connect_requests(session, now))
            if due:
                # Each attempt and its outcome commit together: a crash mid-send retries it.
                await send_due(self._phone, due, now)
                await session.commit()
        return made

    async def _sleep(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self._settings.routing_interval_seconds)
        self._wakeup.clear()
