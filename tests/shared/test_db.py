"""Database plumbing: time zones survive both backends; migrations match the models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from shared.db import Database, OutboxMessage, PlumbingBase, ProcessedEvent
from shared.inserts import insert_if_absent
from tools.services import SERVICES


async def test_timestamps_come_back_aware_and_in_utc(make_database: Callable[[str], str]) -> None:
    db = Database(make_database("gateway"))
    shanghai = dt.timezone(dt.timedelta(hours=8))
    created = dt.datetime(2026, 3, 1, 9, 30, tzinfo=shanghai)
    try:
        async with db.sessionmaker() as session:
            session.add(
                OutboxMessage(
                    event_id="e",
                    event_type="t",
                    topic="t",
                    key=None,
                    payload="{}",
                    created_at=created,
                )
            )
            await session.commit()
        async with db.sessionmaker() as session:
            stored = await session.scalar(select(OutboxMessage.created_at))
    finally:
        await db.dispose()

    assert stored == created
    assert stored is not None and stored.utcoffset() == dt.timedelta(0)


async def test_insert_if_absent_inserts_once_and_keeps_the_transaction(
    make_database: Callable[[str], str],
) -> None:
    db = Database(make_database("gateway"))
    later = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    try:
        async with db.sessionmaker() as session:
            first = ProcessedEvent(consumer="c", event_id="1")
            assert await insert_if_absent(session, first)
            assert first.processed_at is not None  # the Python default, set before the insert
            # The same key again is refused without failing the transaction.
            assert not await insert_if_absent(session, ProcessedEvent(consumer="c", event_id="1"))
            assert await insert_if_absent(session, ProcessedEvent(consumer="c", event_id="2"))
            first.processed_at = later  # the inserted row is in the session: an update
            await session.commit()
        async with db.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(ProcessedEvent.event_id, ProcessedEvent.processed_at).order_by(
                        ProcessedEvent.event_id
                    )
                )
            ).all()
    finally:
        await db.dispose()

    assert [r.event_id for r in rows] == ["1", "2"]
    assert rows[0].processed_at == later


async def test_naive_timestamps_are_refused(make_database: Callable[[str], str]) -> None:
    db = Database(make_database("gateway"))
    try:
        async with db.sessionmaker() as session:
            session.add(
                OutboxMessage(
                    event_id="e",
                    event_type="t",
                    topic="t",
                    key=None,
                    payload="{}",
                    created_at=dt.datetime(2026, 3, 1, 9, 30),
                )
            )
            with pytest.raises(Exception, match="naive"):
                await session.commit()
    finally:
        await db.dispose()


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
async def test_migrations_create_exactly_what_the_models_describe(
    make_database: Callable[[str], str], service: str
) -> None:
    import importlib

    models = importlib.import_module(f"services.{service}.models")
    db = Database(make_database(service))
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    # alembic compares a list of metadata too, though typed for one.
                    [models.Base.metadata, PlumbingBase.metadata],  # type: ignore[arg-type]
                )
            )
    finally:
        await db.dispose()

    # Alembic's own version table is the only thing the models do not describe.
    assert [
        d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("alembic_"))
    ] == []
