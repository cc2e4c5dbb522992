"""Requests that only read do not take SQLite's write lock; writers and declared exceptions do."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from shared.api import Session
from shared.db import Database, writes_on_read


def _app(db: Database) -> FastAPI:
    app = FastAPI()
    app.state.db = db

    @app.get("/rows")
    async def read_rows(session: Session) -> list[str]:
        return list((await session.scalars(text("SELECT name FROM item ORDER BY name"))).all())

    @app.post("/rows/{name}")
    async def add_row(name: str, session: Session) -> None:
        await session.execute(text("INSERT INTO item (name) VALUES (:n)"), {"n": name})

    @app.get("/counted")
    @writes_on_read
    async def counted(session: Session) -> None:
        await session.execute(text("INSERT INTO item (name) VALUES ('seen')"))

    return app


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path, list[str]]]:
    path = tmp_path / "reads.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    begins: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE item (name TEXT NOT NULL)"))
        await conn.execute(text("INSERT INTO item (name) VALUES ('committed')"))
    begins.clear()
    transport = httpx.ASGITransport(app=_app(db))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, path, begins
    finally:
        await db.dispose()


async def test_reads_go_on_while_another_connection_holds_the_write_lock(
    served: tuple[httpx.AsyncClient, Path, list[str]],
) -> None:
    client, path, _ = served
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO item (name) VALUES ('uncommitted')")
        # With the lock held elsewhere, a transaction beginning IMMEDIATE would wait for it.
        first, second = await asyncio.gather(client.get("/rows"), client.get("/rows"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == ["committed"]


async def test_writers_and_reads_that_write_begin_immediate(
    served: tuple[httpx.AsyncClient, Path, list[str]],
) -> None:
    client, _, begins = served
    assert (await client.get("/rows")).status_code == 200
    assert (await client.post("/rows/new")).status_code == 200
    assert (await client.get("/counted")).status_code == 200
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN IMMEDIATE"]
    assert (await client.get("/rows")).json() == ["committed", "new", "seen"]
