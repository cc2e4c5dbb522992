"""Database plumbing: engines from a URL, per-service declarative bases, the session dependency."""

from __future__ import annotations

import datetime as dt
import errno
import sqlite3
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from fastapi import Request
from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    event,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
)
from sqlalchemy.types import TypeDecorator

from shared.logging import get_logger

log = get_logger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """A fresh MetaData with the project's constraint naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored with its zone on PostgreSQL and read back as aware UTC on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Autoincrementing 64-bit key that SQLite also treats as its rowid.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class PlumbingBase(DeclarativeBase):
    """Tables every service has in its own database: the outbox and the consumer inbox."""

    metadata = make_metadata()


class OutboxMessage(PlumbingBase):
    """An event waiting to be published; written in the same transaction as the state change."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    event_type: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_outbox_message_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )


class ProcessedEvent(PlumbingBase):
    """A consumer's record that it applied an event; the primary key makes redelivery harmless."""

    __tablename__ = "processed_event"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


async def mark_unpublished(db: Database, *, since: dt.datetime) -> int:
    """Outbox rows published at or after `since` become unpublished again; how many."""
    async with db.sessionmaker() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.published_at >= since)
            .values(published_at=None)
        )
        await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite` or `postgresql+asyncpg` URLs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # A dead connection is noticed before use and replaced; while the server is away a new
    # connection fails within seconds (not asyncpg's minute) and a request waits at most
    # `pool_timeout` for a pooled one, so callers hear "unavailable" quickly.
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_timeout", 10)
    kwargs.setdefault("connect_args", {"timeout": 5})
    return create_async_engine(url, **kwargs)


# asyncpg's word for "the server is gone or not accepting": connection exceptions (SQLSTATE
# class 08), operator intervention (class 57: shutting down, starting up) and a closed socket.
_ASYNCPG_UNAVAILABLE = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InternalClientError,
)


def is_unavailable(exc: BaseException) -> bool:
    """True if `exc` means the database cannot be reached now, not that the statement is wrong.

    A refused or dropped connection, a server shutting down or starting up, an exhausted pool,
    SQLite's lock wait running out: retrying later can succeed. Walks the causes, because the
    driver's error arrives wrapped in SQLAlchemy's.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _unavailable_here(current):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
    errno.ENOTCONN,
}
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")


def _unavailable_here(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (PoolTimeoutError, ConnectionError, TimeoutError, *_ASYNCPG_UNAVAILABLE)):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return any(m in str(exc).lower() for m in _SQLITE_UNAVAILABLE)
    if isinstance(exc, OperationalError) and not isinstance(exc.orig, sqlite3.Error):
        return True
    # asyncio reports several failed addresses as one plain OSError without an errno.
    return isinstance(exc, OSError) and (exc.errno is None or exc.errno in _NETWORK_ERRNOS)


# Execution option of the engine a read request's session uses: on SQLite its transactions
# begin deferred, so reads never queue on the one write lock (PostgreSQL has no such lock).
DEFERRED_BEGIN = "rapport_deferred_begin"

# Requests that only read: their session begins deferred (see `get_session`).
READ_METHODS = frozenset({"GET", "HEAD"})


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and issues BEGIN lazily; take it over
    # and use BEGIN IMMEDIATE so concurrent writers queue on busy_timeout instead of failing.
    # A read's transaction begins deferred: in WAL mode it reads a snapshot while a writer holds
    # the lock. (It must not write: upgrading a deferred transaction to a writer fails at once
    # with "database is locked" when another writer holds or has just released the lock.)
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        deferred = conn.get_execution_options().get(DEFERRED_BEGIN, False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


class Database:
    """An engine and its session factory; commit hooks run when a unit of work commits."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # For work that only reads (GET requests, readiness, metrics): the same pool, its
        # transactions begin deferred on SQLite.
        self.read_engine = self.engine.execution_options(**{DEFERRED_BEGIN: True})
        self.read_sessionmaker = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self.commit_hooks: list[tuple[Callable[[], None], frozenset[str] | None]] = []

    async def ping(self) -> None:
        """Raise if the database cannot answer `SELECT 1`."""
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def on_commit(self, hook: Callable[[], None], *, tables: Collection[str] | None = None) -> None:
        """Call `hook` after each commit that wrote one of `tables` (any commit when None)."""
        self.commit_hooks.append((hook, frozenset(tables) if tables is not None else None))

    def committed(self, tables: Collection[str] | None = None) -> None:
        """Tell listeners a transaction has committed, and which tables it wrote if known."""
        for hook, wanted in self.commit_hooks:
            if tables is None or wanted is None or not wanted.isdisjoint(tables):
                hook()

    def committed_session(self, session: AsyncSession) -> None:
        """`committed` with the tables `session` wrote since it last told."""
        self.committed(session.info.pop(_WRITTEN, set()))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


# What a session wrote, by table name: objects flushed and DML statements it executed. A commit
# hook that cares about some tables (the router about lines and agents) runs only for those.
_WRITTEN = "rapport_tables_written"


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: Any) -> None:
    written = session.info.setdefault(_WRITTEN, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__table__", None)
        if table is not None:
            written.add(table.name)


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        state.session.info.setdefault(_WRITTEN, set()).add(name if name else "?")


_WRITES_ON_READ = "__rapport_writes_on_read__"
F = TypeVar("F", bound=Callable[..., Any])


def writes_on_read(endpoint: F) -> F:
    """Mark a GET route that writes too: its transaction begins as a writer's (see below)."""
    setattr(endpoint, _WRITES_ON_READ, True)
    return endpoint


def _writes_on_read(request: Request) -> bool:
    route = request.scope.get("route")
    return bool(getattr(getattr(route, "endpoint", None), _WRITES_ON_READ, False))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    Use as `Depends(get_session, scope="function")` so the commit happens before FastAPI
    sends the response: a failed commit can never follow a 2xx. A GET or HEAD only reads: its
    transaction begins deferred (on SQLite it does not take the write lock), unless the route
    was declared with `writes_on_read()` because it writes too.
    """
    db: Database = request.app.state.db
    reads = request.method in READ_METHODS and not _writes_on_read(request)
    async with (db.read_sessionmaker if reads else db.sessionmaker)() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    if reads and session.info.get(_WRITTEN):
        # Worked this time; under contention it would have answered 503. Mark the route.
        log.warning(
            "read_request_wrote",
            path=request.url.path,
            tables=sorted(session.info[_WRITTEN]),
            hint="declare the route with shared.db.writes_on_read",
        )
    db.committed_session(session)


Item = TypeVar("Item")


# Fewer bound parameters per statement than SQLite's smallest limit (999).
IN_CLAUSE_CHUNK = 500


def chunks(items: Sequence[Item], size: int = IN_CLAUSE_CHUNK) -> Iterator[Sequence[Item]]:
    """`items` in slices small enough for one `IN (...)` on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
