"""The contact schema's data migrations keep what existing rows mean."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from shared.db import Database, UTCDateTime
from shared.migrations import upgrade
from tests.conftest import Databases
from tools.services import BY_NAME

BEFORE_HELD_CALLS = "15ce5bff52e8"
# The tables as they were at that revision.
_CUSTOMER = sa.table(
    "customer",
    *(sa.column(n) for n in ("state", "kind", "party")),
    sa.column("id", sa.Uuid()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
_CALL = sa.table(
    "call",
    *(sa.column(n) for n in ("provider", "call_key", "state", "outcome")),
    sa.column("id", sa.Uuid()),
    sa.column("customer_id", sa.Uuid()),
    sa.column("started_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
    sa.column("ivr_path", sa.JSON()),
    sa.column("legs", sa.JSON()),
)
_ENTRY = sa.table(
    "call_log_entry",
    *(sa.column(n) for n in ("provider", "dedup_key", "kind")),
    sa.column("id", sa.Uuid()),
    sa.column("call_id", sa.Uuid()),
    sa.column("occurred_at", UTCDateTime()),
    sa.column("received_at", UTCDateTime()),
    sa.column("facts", sa.JSON()),
)


@pytest.fixture
def empty_url(backend: str, databases: Databases, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        return databases.empty(request.getfixturevalue("postgres_server"))
    return f"sqlite+aiosqlite:///{databases.workdir / f'empty-{uuid.uuid4().hex[:8]}.db'}"


async def _insert_old_rows(
    url: str, customer: uuid.UUID, ended: uuid.UUID, ringing: uuid.UUID, at: dt.datetime
) -> None:
    """One customer with an abandoned call (and its one log entry) and a ringing call."""
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.insert(_CUSTOMER).values(
                    id=customer,
                    state="prospect",
                    created_at=at,
                    kind="consumer",
                    party="individual",
                    updated_at=at,
                )
            )
            for call_id, state, outcome in (
                (ended, "ended", "abandoned"),
                (ringing, "ringing", None),
            ):
                await conn.execute(
                    sa.insert(_CALL).values(
                        id=call_id,
                        provider="twilio",
                        call_key=str(call_id),
                        customer_id=customer,
                        state=state,
                        outcome=outcome,
                        started_at=at,
                        ivr_path=[],
                        legs=[],
                        updated_at=at,
                    )
                )
            await conn.execute(
                sa.insert(_ENTRY).values(
                    id=uuid.uuid4(),
                    call_id=ended,
                    provider="twilio",
                    dedup_key="k",
                    kind="status",
                    occurred_at=at,
                    received_at=at,
                    facts={},
                )
            )
    finally:
        await db.dispose()


async def _migrated_rows(url: str) -> tuple[list[Any], object]:
    """The calls' identification columns and the log entry's `announced` after the upgrade."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, customer_id, identification, candidate_customer_ids, "
                        "announced FROM call"
                    )
                )
            ).all()
            entry_announced = (
                await conn.execute(text("SELECT announced FROM call_log_entry"))
            ).scalar_one()
    finally:
        await db.dispose()
    return list(rows), entry_announced


async def test_existing_calls_keep_their_customer_and_count_as_announced(empty_url: str) -> None:
    migrations = BY_NAME["contact"].migrations_dir
    await asyncio.to_thread(upgrade, migrations, empty_url, BEFORE_HELD_CALLS)
    customer, ended, ringing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    await _insert_old_rows(empty_url, customer, ended, ringing, at)

    await asyncio.to_thread(upgrade, migrations, empty_url)

    rows, entry_announced = await _migrated_rows(empty_url)
    by_id = {uuid.UUID(str(r[0])): r for r in rows}

    def _json(value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    assert uuid.UUID(str(by_id[ended][1])) == customer
    assert by_id[ended][2] == "caller_id"
    assert _json(by_id[ended][3]) == []
    assert _json(by_id[ended][4]) == ["started", "ended", "abandoned"]
    assert _json(by_id[ringing][4]) == ["started"]
    assert bool(entry_announced) is True
