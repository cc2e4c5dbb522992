"""Alembic per service: each service has its own script folder and its own version table."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, event, pool
from sqlalchemy.engine import Connection

from shared.db import create_engine, is_sqlite


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    """A Config pointing at a service's `migrations/` folder and database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (blocking; runs its own event loop)."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


async def upgrade_async(migrations_dir: Path, database_url: str) -> None:
    """Apply migrations from async code, in a worker thread with its own loop."""
    await asyncio.to_thread(upgrade, migrations_dir, database_url)


def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    # SQLite batch migrations rebuild a table by copy, drop and rename, which fails while other
    # tables' foreign keys point at it; the keys are checked once the migration is done.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"The migration left rows with dangling foreign keys: {broken[:5]}")


def run_env(context: Any, target_metadata: Sequence[MetaData], *, version_table: str) -> None:
    """The body of every service's `migrations/env.py`."""
    url: str = context.config.attributes["database_url"]
    options: dict[str, Any] = {
        "target_metadata": list(target_metadata),
        "version_table": version_table,
        "render_as_batch": is_sqlite(url),
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        if is_sqlite(url):
            _check_foreign_keys(connection)

    async def run_async() -> None:
        engine = create_engine(url, poolclass=pool.NullPool)
        if is_sqlite(url):
            event.listen(engine.sync_engine, "connect", _foreign_keys_off)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run_async())
