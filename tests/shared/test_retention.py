"""The retention job: outbox and inbox rows past their time deleted, at the clock's time."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import func, select

from shared.db import Database, OutboxMessage, ProcessedEvent
from shared.retention import RetentionJob, inbox_purge, outbox_purge

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
async def db(make_database: Callable[[str], str]) -> AsyncIterator[Database]:
    database = Database(make_database("scoring"))
    yield database
    await database.dispose()


def _outbox(n: int, *, created: dt.datetime, published: dt.datetime | None) -> OutboxMessage:
    return OutboxMessage(
        event_id=f"e-{n}",
        event_type="tests.thing_happened",
        topic="tests",
        key=None,
        payload="{}",
        created_at=created,
        published_at=published,
        attempts=0,
    )


async def test_rows_past_their_days_go_the_others_stay(db: Database) -> None:
    async with db.sessionmaker() as session:
        session.add_all(
            [
                _outbox(1, created=_ago(30), published=_ago(8)),  # published 8 days ago: goes
                _outbox(2, created=_ago(30), published=_ago(6.9)),  # 6.9 days: stays
                _outbox(3, created=_ago(30), published=None),  # never published: stays
                ProcessedEvent(consumer="c", event_id="old", processed_at=_ago(31)),
                ProcessedEvent(consumer="c", event_id="new", processed_at=_ago(29)),
            ]
        )
        await session.commit()
    clock_now = [NOW - dt.timedelta(days=2)]
    job = RetentionJob(
        db,
        {"outbox": outbox_purge(7), "inbox": inbox_purge(30)},
        interval_seconds=3600,
        clock=lambda: clock_now[0],
    )

    # Two days earlier nothing was due yet.
    assert await job.run_once() == {"outbox": 0, "inbox": 0}
    clock_now[0] = NOW
    assert await job.run_once() == {"outbox": 1, "inbox": 1}
    assert await job.run_once() == {"outbox": 0, "inbox": 0}

    async with db.sessionmaker() as session:
        kept = (await session.scalars(select(OutboxMessage.event_id))).all()
        inbox = (await session.scalars(select(ProcessedEvent.event_id))).all()
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    assert sorted(kept) == ["e-2", "e-3"]
    assert list(inbox) == ["new"]
