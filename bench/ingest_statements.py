"""Statements and CPU per Twilio status callback, counted in-process: the contact app under
its lifespan, an httpx client over ASGI, the benchmark's signed callbacks one at a time; a
cursor event counts the statements each request sends to the database (`BEGIN IMMEDIATE` on
SQLite included, commits not), and apart from them those of the background jobs meanwhile (the
settle job, the relay, the router). CPU is the whole process's, client and jobs included."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event, text

from bench.wrk import PATH, TOKEN, deliveries
from services.contact.main import create_app
from services.contact.settings import ContactSettings
from shared.contracts.permissions import PERMISSIONS
from shared.db import create_engine
from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token
from tools.stack import Postgres

CALLS = 50
# Set while a callback's request runs: statements of background work (the settle job, the
# relay, the router) run in tasks started before, without it, and are counted apart.
_IN_REQUEST: ContextVar[bool] = ContextVar("in_request", default=False)
BASE = "https://rapport.example.com"


def _settings(url: str, broker: str, secret: str) -> ContactSettings:
    return ContactSettings(
        database_url=url,
        kafka_bootstrap_servers=broker,
        kafka_topic_prefix=f"stmt{uuid.uuid4().hex[:6]}.",
        public_base_url=BASE,
        twilio_auth_tokens=[TOKEN],
        log_level="WARNING",
    ).model_copy(update={"internal_token_secret": secret})


async def _count(url: str, broker: str) -> dict[str, Any]:
    secret = secrets.token_hex(32)
    caller = Identity(subject="bench", kind="api-key", roles=["admin"], permissions=[])
    caller.permissions.extend(sorted(PERMISSIONS))
    app = create_app(_settings(url, broker, secret))
    kinds: Counter[str] = Counter()
    background = 0
    counting = False

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        nonlocal background
        if counting and _IN_REQUEST.get():
            kinds[sql.split(None, 1)[0].upper()] += 1
        elif counting:
            background += 1

    items = deliveries(BASE, CALLS)
    async with LifespanManager(app, startup_timeout=60) as manager:
        event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", statement)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def post(body: bytes, signature: str) -> None:
                token = mint_identity_token(caller, secret=secret, audience="contact")
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": signature,
                    IDENTITY_HEADER: token,
                }
                marked = _IN_REQUEST.set(True)
                try:
                    response = await client.post(PATH, content=body, headers=headers)
                finally:
                    _IN_REQUEST.reset(marked)
                response.raise_for_status()

            for body, signature in items[:40]:  # warm-up: caches, prepared statements
                await post(body, signature)
            counting = True
            cpu, wall = time.process_time(), time.perf_counter()
            for body, signature in items[40:]:
                await post(body, signature)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            counting = False
    n = len(items) - 40
    return {
        "callbacks": n,
        "statements_per_callback": round(sum(kinds.values()) / n, 2),
        "by_kind_per_callback": {k: round(v / n, 2) for k, v in sorted(kinds.items())},
        "background_statements_per_callback": round(background / n, 2),
        "cpu_ms_per_callback": round(cpu * 1000 / n, 2),
        "wall_ms_per_callback": round(wall * 1000 / n, 2),
    }


async def _new_database(postgres: Postgres) -> str:
    name = f"stmt_{uuid.uuid4().hex[:8]}"
    engine = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await engine.dispose()
    return postgres.url(name)


def measure(data: Path, broker: str, postgres: Postgres) -> dict[str, Any]:
    """Statements, CPU and wall time per callback on SQLite and on PostgreSQL."""
    sqlite = f"sqlite+aiosqlite:///{data / 'statements.db'}"
    return {
        "sqlite": asyncio.run(_count(sqlite, broker)),
        "postgresql": asyncio.run(_count(asyncio.run(_new_database(postgres)), broker)),
    }
