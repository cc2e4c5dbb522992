"""Set-based seeding for the read benchmark: one template row per table, made through the API,
cloned N times by one `INSERT … SELECT` over a series (PostgreSQL's `generate_series`, a
recursive CTE on SQLite), straight into each service's own database.

Row g of a table gets a made-up id (a 32-hex-digit key from g), a time (g seconds after
START) and, for calls and complaints, a customer: so the benchmark can name any row and any
page cursor without reading them back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
# Id ranges of the tables, so that no two tables share ids.
CALL_BASE = 10_000_000
COMPLAINT_BASE = 20_000_000
HEAVY = 10  # customers 1..HEAVY get one call in ten between them
_MIX = 2654435761  # spreads consecutive g over the id space (Knuth's multiplicative hash)


def row_id(g: int) -> uuid.UUID:
    """The id row g gets (the SQL of `Dialect.hex32` computes the same)."""
    return uuid.UUID(hex=f"{(g * _MIX) % 2**32:08x}{g:024x}")


def row_time(g: int) -> dt.datetime:
    """The time row g gets."""
    return START + dt.timedelta(seconds=g)


def call_customer(g: int, customers: int) -> int:
    """The customer of call g: a few heavy callers, the rest spread over every customer."""
    return 1 + (g // 10) % HEAVY if g % 10 == 0 else 1 + (g * 7919) % customers


@dataclass(frozen=True)
class Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    name: str

    def hex32(self, g: str) -> str:
        if self.name == "postgresql":
            return (
                f"(lpad(to_hex((({g})::bigint * {_MIX}) % 4294967296), 8, '0')"
                f" || lpad(to_hex(({g})::bigint), 24, '0'))"
            )
        return f"printf('%08x%024x', (({g}) * {_MIX}) % 4294967296, ({g}))"

    def uuid_of(self, g: str) -> str:
        # SQLAlchemy's Uuid: native on PostgreSQL, 32 hex digits on SQLite.
        return f"({self.hex32(g)})::uuid" if self.name == "postgresql" else self.hex32(g)

    def dashed(self, g: str) -> str:
        if self.name == "postgresql":
            return f"({self.uuid_of(g)})::text"
        h = self.hex32(g)
        parts = [f"substr({h}, {a}, {n})" for a, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
        return " || '-' || ".join(parts)

    def time(self, g: str) -> str:
        if self.name == "postgresql":
            return f"(timestamptz '2025-01-01 00:00:00+00' + ({g}) * interval '1 second')"
        # SQLAlchemy's text form of a timestamp on SQLite, microseconds included, so that the
        # keyset comparisons of the pagination see equal times as equal.
        moved = f"strftime('%Y-%m-%d %H:%M:%S', '2025-01-01', '+' || ({g}) || ' seconds')"
        return f"({moved} || '.000000')"

    def series(self, first: int, last: int) -> str:
        if self.name == "postgresql":
            return f"(SELECT generate_series({first}::bigint, {last}::bigint) AS g) AS s"
        return (
            f"(WITH RECURSIVE r(g) AS (SELECT {first} UNION ALL SELECT g + 1 FROM r "
            f"WHERE g < {last}) SELECT g FROM r) AS s"
        )

    def literal_uuid(self, value: uuid.UUID) -> str:
        return f"'{value}'::uuid" if self.name == "postgresql" else f"'{value.hex}'"


class Database:
    """One service's database, for the seeding statements (asyncpg or sqlite3)."""

    def __init__(self, url: str) -> None:
        self.dialect = Dialect("postgresql" if url.startswith("postgresql") else "sqlite")
        self.url = url

    def execute(self, *statements: str) -> list[Any]:
        """Run the statements in one transaction; the rows of the last one."""
        if self.dialect.name == "postgresql":
            return asyncio.run(self._pg(statements))
        conn = sqlite3.connect(self.url.split("///", 1)[1], timeout=60, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            rows: list[Any] = []
            for statement in statements:
                rows = conn.execute(statement).fetchall()
            conn.execute("COMMIT")
            return rows
        finally:
            conn.close()

    async def _pg(self, statements: tuple[str, ...]) -> list[Any]:
        conn = await asyncpg.connect(self.url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            rows: list[Any] = []
            async with conn.transaction():
                for statement in statements:
                    rows = await conn.fetch(statement)
            return rows
        finally:
            await conn.close()

    def columns(self, table: str) -> list[str]:
        if self.dialect.name == "postgresql":
            rows = self.execute(
                "SELECT column_name FROM information_schema.columns "
                f"WHERE table_name = '{table}' ORDER BY ordinal_position"
            )
            return [r[0] for r in rows]
        return [r[1] for r in self.execute(f"PRAGMA table_info({table})")]

    def analyze(self) -> None:
        """Statistics for the planner; on PostgreSQL also the vacuum that autovacuum would
        otherwise start on the fresh rows in the middle of a measurement."""
        if self.dialect.name == "postgresql":
            asyncio.run(self._vacuum())
        else:
            self.execute("ANALYZE")

    async def _vacuum(self) -> None:
        conn = await asyncpg.connect(self.url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute("VACUUM ANALYZE")  # not allowed inside a transaction
        finally:
            await conn.close()


def clone(
    db: Database,
    table: str,
    template: tuple[str, uuid.UUID | str],
    overrides: dict[str, str],
    rows: tuple[int, int],
) -> float:
    """Rows g = rows[0]..rows[1] of `table`, each a copy of the template row (key column,
    value) with `overrides` (column: SQL of g); the seconds it took."""
    key, value = template
    match = db.dialect.literal_uuid(value) if isinstance(value, uuid.UUID) else f"'{value}'"
    columns = db.columns(table)
    unknown = set(overrides) - set(columns)
    if unknown:
        raise ValueError(f"{table} has no column {sorted(unknown)}")
    select = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
    started = time.perf_counter()
    db.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} "
        f"FROM {table} AS t, {db.dialect.series(*rows)} WHERE t.{key} = {match}"
    )
    return time.perf_counter() - started


@dataclass(frozen=True)
class Templates:
    """The rows made through the API that every seeded row copies."""

    customer: uuid.UUID
    call: uuid.UUID
    complaint: uuid.UUID
    stats_customer: str


def seed(
    urls: dict[str, str], templates: Templates, sizes: dict[str, tuple[int, int]], customers: int
) -> dict[str, float]:
    """Customers, calls, complaints and statistics rows g in `sizes[kind]`; seconds each."""
    contact, complaints, scoring = (Database(urls[n]) for n in ("contact", "complaints", "scoring"))
    d = contact.dialect
    when = d.time("s.g")
    customer_of_call = (
        f"(CASE WHEN s.g % 10 = 0 THEN 1 + (s.g / 10) % {HEAVY} "
        f"ELSE 1 + (s.g * 7919) % {customers} END)"
    )
    seconds = {
        "customers": clone(
            contact,
            "customer",
            ("id", templates.customer),
            {"id": d.uuid_of("s.g"), "created_at": when, "updated_at": when},
            sizes["customers"],
        ),
        "calls": clone(
            contact,
            "call",
            ("id", templates.call),
            {
                "id": d.uuid_of(f"s.g + {CALL_BASE}"),
                "call_key": "'bench-' || s.g",
                "customer_id": d.uuid_of(customer_of_call),
                "started_at": when,
                "updated_at": when,
                "settles_at": "NULL",
            },
            sizes["calls"],
        ),
        "complaints": clone(
            complaints,
            "complaint",
            ("id", templates.complaint),
            {
                "id": d.uuid_of(f"s.g + {COMPLAINT_BASE}"),
                "customer_id": d.uuid_of(f"1 + (s.g * 7919) % {customers}"),
                "received_at": when,
                "updated_at": when,
                "sla_started_at": when,
                "next_due_at": "NULL",
            },
            sizes["complaints"],
        ),
        "statistics": clone(
            scoring,
            "customer_stats",
            ("customer_id", templates.stats_customer),
            {"customer_id": d.dashed("s.g")},
            sizes["customers"],
        ),
    }
    started = time.perf_counter()
    for db in (contact, complaints, scoring):
        db.analyze()
    seconds["analyze"] = time.perf_counter() - started
    return {k: round(v, 2) for k, v in seconds.items()}
