"""Inserting a row that may already exist: by its unique keys, without failing the transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

R = TypeVar("R")


async def insert_or_get(
    session: AsyncSession, row: R, find: Callable[[], Awaitable[R | None]]
) -> tuple[R, bool]:
    """Insert `row`, or return the row that already holds its unique key; `(row, created)`.

    The insert runs in a savepoint, so a row stored first (by an earlier request or a
    concurrent one) fails only the savepoint; `find` then fetches that row. An integrity
    error that `find` cannot explain (another constraint) is raised.
    """
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        existing = await find()
        if existing is None:
            raise
        return existing, False
    return row, True


async def try_insert(session: AsyncSession, row: object) -> bool:
    """Insert `row` in a savepoint; False (and nothing written) if a unique key refused it."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def insert_if_absent(session: AsyncSession, row: object) -> bool:
    """Insert `row` unless a row already holds one of its unique keys; True if it was inserted.

    One `INSERT … ON CONFLICT DO NOTHING RETURNING` (PostgreSQL and SQLite): no savepoint, and
    nothing read back. Columns left unset get their Python default (or None) first. An inserted
    row joins the session as if loaded, so later changes to it flush as updates; a refused one
    does not.
    """
    state = inspect(row)
    table = state.mapper.local_table
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        if attr.key not in state.dict and column.server_default is None:
            # Set here rather than by the database, so the row needs no reading back.
            arg: Any = getattr(column.default, "arg", None)
            setattr(row, attr.key, arg(None) if callable(arg) else arg)
        if attr.key in state.dict:
            values[column.name] = state.dict[attr.key]
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    primary_key = list(table.primary_key.columns)
    statement = insert(table).values(values).on_conflict_do_nothing().returning(*primary_key)
    if (await session.execute(statement)).first() is None:
        return False
    make_transient_to_detached(row)
    session.add(row)
    return True
