"""Background work on the model: scheduled refits and the sweep that rescores everyone.

These run at the boundary, outside any request: each takes the database and opens and commits
its own transactions.
"""

from __future__ import annotations

import asyncio
import contextlib

from services.scoring.errors import NotEnoughDataError
from services.scoring.model import service
from services.scoring.scores import repository
from services.scoring.scores.service import Scorer, rescore_many
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)

# Customers rescored per transaction by the sweep.
SWEEP_CHUNK = 500


async def rescore_all(db: Database, *, scorer: Scorer, chunk: int = SWEEP_CHUNK) -> int:
    """Rescore every customer against the latest model, committing one transaction per chunk.

    Run after a refit: new thresholds and time passing move tiers and risks without new
    events, and this publishes those changes. Returns the number of events staged.
    """
    published = 0
    after = ""
    while True:
        async with db.sessionmaker() as session:
            batch = await repository.stats_page(session, after=after, limit=chunk)
            if not batch:
                return published
            published += await rescore_many(session, batch, scorer=scorer, cause="refit")
            await session.commit()
        db.committed()
        after = batch[-1].customer_id


async def refit_and_rescore(db: Database, *, scorer: Scorer, trigger: str) -> None:
    """Refit in a transaction of its own, then rescore everyone; too little data skips it."""
    try:
        async with db.sessionmaker() as session:
            fit = await service.refit(
                session, settings=scorer.settings, models=scorer.models, trigger=trigger
            )
            await session.commit()
        published = await rescore_all(db, scorer=scorer)
        log.info("model_refitted", fit_id=fit.fit_id, customers=fit.customers, events=published)
    except NotEnoughDataError as exc:
        log.info("model_refit_skipped", reason=exc.detail)


async def scheduled_refits(db: Database, *, scorer: Scorer, interval_seconds: float) -> None:
    """Refit every `interval_seconds`, so thresholds follow the population."""
    while True:
        await asyncio.sleep(interval_seconds)
        job = asyncio.ensure_future(refit_and_rescore(db, scorer=scorer, trigger="schedule"))
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            # Stopping: let the refit in progress end its transaction (one cut short could
            # leave SQLite's write lock held), then stop.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(job, 15)
            raise
        except Exception as exc:
            log.warning("model_refit_failed", error=repr(exc))
