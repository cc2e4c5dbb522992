"""Complaints: the SLA breach check's cost with 10,000 vs 1,000,000 complaints not yet due.

Run on a SQLite file and on a throwaway PostgreSQL (loaded with COPY). Both sizes hold the
same number of due complaints; the not-yet-due ones differ a hundredfold. The timer's scan
(`WHERE next_due_at <= now ORDER BY next_due_at LIMIT n` on `ix_complaint_next_due_at`) and a
full timer run (breach, escalate, stage events) are timed on each, and the same scan kept off
the index shows what a table scan would cost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Dialect, create_engine
from sqlalchemy.dialects import postgresql

from bench.report import figure
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla.repository import due_query
from services.complaints.sla.timers import run_due_timers
from shared.db import Database
from shared.migrations import upgrade
from tools.services import BY_NAME
from tools.stack import Postgres, free_port

SMALL = 10_000
LARGE = 1_000_000
DUE = 500
SCAN_REPEATS = 30
NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)

_COLUMN_NAMES = (
    "id",
    "version",
    "customer_id",
    "source_contacts",
    "channel",
    "category",
    "description",
    "severity",
    "priority",
    "calendar",
    "state",
    "escalation_level",
    "root_cause",
    "related_ids",
    "reopen_count",
    "received_at",
    "updated_at",
    "sla_started_at",
    "sla_paused_seconds",
    "acknowledgement_warned",
    "first_response_warned",
    "resolution_warned",
    "acknowledgement_warn_at",
    "acknowledgement_due_at",
    "next_due_at",
)
_COLUMNS = ", ".join(_COLUMN_NAMES)


def _stamp(value: dt.datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format, in UTC (what UTCDateTime writes).
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _rows(
    count: int, *, due: bool, rng: random.Random, native: bool = False
) -> Iterator[tuple[Any, ...]]:
    """Complaint rows; `native` gives asyncpg's types, otherwise SQLite's stored forms."""
    received: Any = NOW - dt.timedelta(days=1)
    received = received if native else _stamp(received)
    for _ in range(count):
        if due:
            next_due = NOW - dt.timedelta(minutes=rng.randrange(1, 600))
        else:
            next_due = NOW + dt.timedelta(minutes=rng.randrange(1, 90 * 24 * 60))
        stamp: Any = next_due if native else _stamp(next_due)
        ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(2)]
        yield (
            ids[0] if native else ids[0].hex,
            1,
            ids[1] if native else ids[1].hex,
            "[]",
            "phone",
            "billing",
            "Charged twice.",
            "medium",
            "p4",
            "cn",
            "received",
            0,
            "unknown",
            "[]",
            0,
            received,
            received,
            received,
            0.0,
            True,
            False,
            False,
            stamp,
            stamp,
            stamp,
        )


def build(path: Path, not_due: int, *, seed: int) -> float:
    """A migrated SQLite file with `not_due` future and `DUE` past timers; returns seconds."""
    started = time.perf_counter()
    upgrade(BY_NAME["complaints"].migrations_dir, f"sqlite+aiosqlite:///{path}")
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        placeholders = ", ".join("?" * len(_COLUMN_NAMES))
        sql = f"INSERT INTO complaint ({_COLUMNS}) VALUES ({placeholders})"
        with conn:
            conn.executemany(sql, _rows(not_due, due=False, rng=rng))
            conn.executemany(sql, _rows(DUE, due=True, rng=rng))
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return time.perf_counter() - started


def time_scan(path: Path, *, use_index: bool = True) -> dict[str, Any]:
    """Median time of the timer's due scan (the statement the service runs) on SQLite."""
    engine = create_engine(f"sqlite:///{path}")
    sql = _literal_sql(engine.dialect)
    if not use_index:
        sql = sql.replace("FROM complaint", "FROM complaint NOT INDEXED", 1)
    timings: list[float] = []
    with engine.connect() as conn:
        plan = [str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
        for _ in range(SCAN_REPEATS if use_index else 3):
            started = time.perf_counter()
            rows = conn.exec_driver_sql(sql).fetchall()
            timings.append(time.perf_counter() - started)
            assert len(rows) == DUE, len(rows)
    engine.dispose()
    return {"median_ms": _median_ms(timings), "plan": plan}


def _literal_sql(dialect: Dialect) -> str:
    return str(due_query(NOW, DUE).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _median_ms(timings: list[float]) -> float:
    return round(statistics.median(timings) * 1000, 3)


def time_timer_run(database_url: str) -> float:
    """Seconds for the real timer to breach, escalate and stage events for the due rows."""
    settings = ComplaintsSettings(
        _env_file=None, database_url=database_url, sla_scan_batch_size=DUE
    )

    async def go() -> float:
        db = Database(settings.database_url)
        try:
            started = time.perf_counter()
            handled = await run_due_timers(db, now=NOW, settings=settings)
            elapsed = time.perf_counter() - started
        finally:
            await db.dispose()
        assert handled == DUE, handled
        return elapsed

    return asyncio.run(go())


def sqlite_figures(tmp: Path, label: str, not_due: int) -> dict[str, Any]:
    """Build, scan with and without the index, run the timer: one SQLite database."""
    path = tmp / f"{label}.db"
    build_s = build(path, not_due, seed=len(label))
    indexed = time_scan(path)
    table_scan = time_scan(path, use_index=False)
    return {
        "build_seconds": round(build_s, 1),
        "due_scan_ms": indexed["median_ms"],
        "due_scan_plan": indexed["plan"],
        "without_index_scan_ms": table_scan["median_ms"],
        "timer_run_seconds": round(time_timer_run(f"sqlite+aiosqlite:///{path}"), 3),
    }


async def _pg_create(server: Postgres, database: str) -> None:
    conn = await asyncpg.connect(server.url(driver="postgresql"))
    try:
        await conn.execute(f"CREATE DATABASE {database}")
    finally:
        await conn.close()


async def _pg_load(server: Postgres, database: str, not_due: int, *, seed: int) -> None:
    conn = await asyncpg.connect(server.url(database, driver="postgresql"))
    try:
        rng = random.Random(seed)
        for count, due in ((not_due, False), (DUE, True)):
            await conn.copy_records_to_table(
                "complaint",
                records=_rows(count, due=due, rng=rng, native=True),
                columns=list(_COLUMN_NAMES),
            )
        await conn.execute("VACUUM ANALYZE complaint")
    finally:
        await conn.close()


async def _pg_scan(server: Postgres, database: str, *, use_index: bool) -> dict[str, Any]:
    sql = _literal_sql(postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]
    conn = await asyncpg.connect(server.url(database, driver="postgresql"))
    timings: list[float] = []
    try:
        if not use_index:
            await conn.execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
        plan = [str(r[0]) for r in await conn.fetch(f"EXPLAIN {sql}")]
        for _ in range(SCAN_REPEATS if use_index else 3):
            # The scan locks what it reads (FOR UPDATE SKIP LOCKED): roll each one back.
            tx = conn.transaction()
            await tx.start()
            started = time.perf_counter()
            rows = await conn.fetch(sql)
            timings.append(time.perf_counter() - started)
            await tx.rollback()
            assert len(rows) == DUE, len(rows)
    finally:
        await conn.close()
    return {"median_ms": _median_ms(timings), "plan": plan}


def postgres_figures(server: Postgres, label: str, not_due: int) -> dict[str, Any]:
    """The same figures on PostgreSQL, loaded with COPY."""
    database = f"bench_complaints_{label}"
    asyncio.run(_pg_create(server, database))
    upgrade(BY_NAME["complaints"].migrations_dir, server.url(database))
    started = time.perf_counter()
    asyncio.run(_pg_load(server, database, not_due, seed=len(label)))
    build_s = time.perf_counter() - started
    indexed = asyncio.run(_pg_scan(server, database, use_index=True))
    table_scan = asyncio.run(_pg_scan(server, database, use_index=False))
    return {
        "build_seconds": round(build_s, 1),
        "due_scan_ms": indexed["median_ms"],
        "due_scan_plan": indexed["plan"],
        "without_index_scan_ms": table_scan["median_ms"],
        "timer_run_seconds": round(time_timer_run(server.url(database)), 3),
    }


def _ratios(small: dict[str, Any], large: dict[str, Any]) -> dict[str, float]:
    return {
        "due_scan": round(large["due_scan_ms"] / small["due_scan_ms"], 2),
        "timer_run": round(large["timer_run_seconds"] / small["timer_run_seconds"], 2),
        "without_index_scan": round(
            large["without_index_scan_ms"] / small["without_index_scan_ms"], 2
        ),
    }


def run() -> dict[str, Any]:
    """Both sizes on SQLite and on a throwaway PostgreSQL: scans, timer runs and ratios."""
    out: dict[str, Any] = {"due": DUE, "not_due": {"small": SMALL, "large": LARGE}}
    with tempfile.TemporaryDirectory() as tmp:
        lite = {
            label: sqlite_figures(Path(tmp), label, count)
            for label, count in (("small", SMALL), ("large", LARGE))
        }
    out["sqlite"] = {**lite, "ratio_large_to_small": _ratios(lite["small"], lite["large"])}
    server = Postgres(free_port()).start()
    try:
        pg = {
            label: postgres_figures(server, label, count)
            for label, count in (("small", SMALL), ("large", LARGE))
        }
    finally:
        server.stop()
    out["postgresql"] = {**pg, "ratio_large_to_small": _ratios(pg["small"], pg["large"])}
    out["figures"] = figures(out)
    return out


def figures(out: dict[str, Any]) -> list[dict[str, Any]]:
    """The due scan and timer run at 1,000,000 complaints against the same at 10,000."""
    rows = []
    for backend in ("sqlite", "postgresql"):
        small, large = out[backend]["small"], out[backend]["large"]
        for key, what in (("due_scan_ms", "due scan"), ("timer_run_seconds", "timer run")):
            unit = "ms" if key.endswith("_ms") else "s"
            rows.append(
                figure(
                    f"{what}, 1M complaints ({backend})",
                    large[key],
                    unit,
                    "same at 10,000 complaints",
                    small[key],
                    higher=False,
                )
            )
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
