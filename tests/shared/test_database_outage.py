"""PostgreSQL stopped under a running service, then started again: 503s, readiness, recovery.

The server is a cluster of this module's own (stopping the session's shared one would fail
every other test); the service is the contact app with its relay and its consumer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from services.contact.main import create_app
from shared.contracts.scoring import CustomerScoredV1
from shared.contracts.topics import CONTACT_CUSTOMERS, SCORING_SCORES
from shared.db import is_unavailable
from shared.events import to_envelope
from shared.health import describe_failure
from shared.migrations import upgrade
from tests.builders import contact_settings
from tests.conftest import Databases, run_in_thread, serve
from tests.kafka_helpers import eventually, produce, read_topic
from tools.services import BY_NAME
from tools.stack import Postgres, free_port


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster only this module uses, so it may be stopped."""
    server = run_in_thread(lambda: Postgres(free_port()).start())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def contact(
    own_postgres: Postgres, databases: Databases, broker: str, topic_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    # Not `databases.new`: its templates are cached per service and backend, for the shared server.
    url = databases.empty(own_postgres.url())
    run_in_thread(lambda: upgrade(BY_NAME["contact"].migrations_dir, url))
    settings = contact_settings(url, broker, topic_prefix, kafka_session_timeout_ms=2000)
    app = create_app(settings)
    async for client in serve(app):
        client.app = app  # type: ignore[attr-defined]
        await eventually(lambda: all(r.connected for r in app.state.consumers), what="consumer")
        yield client


async def _create(client: httpx.AsyncClient, name: str, phone: str) -> httpx.Response:
    return await client.post("/v1/customers", json={"name": name, "phones": [phone]})


async def _assert_unavailable(client: httpx.AsyncClient, customer_id: str) -> None:
    """Writes and reads answer 503 problem+json; readiness names the driver's error."""
    refused = await _create(client, "Bea", "+14155550102")
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["retry-after"] == "5"
    assert refused.json()["code"] == "database-unavailable"
    read = await client.get(f"/v1/customers/{customer_id}")
    assert read.status_code == 503, read.text
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    database = ready.json()["checks"]["database"]
    assert database.startswith("unavailable: ")
    # The driver's own error, not only a class name: why the database is away.
    assert ":" in database.removeprefix("unavailable: ")


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def test_outage_answers_503_names_the_cause_and_recovers_without_losing_events(
    contact: httpx.AsyncClient, own_postgres: Postgres, broker: str, topic_prefix: str
) -> None:
    app = contact.app  # type: ignore[attr-defined]
    before = await _create(contact, "Ada", "+14155550101")
    assert before.status_code == 201, before.text
    customer_id = before.json()["customer_id"]

    run_in_thread(own_postgres.pause)
    try:
        await _assert_unavailable(contact, customer_id)

        # A score arrives while the database is away: the consumer must keep it for later.
        scored = CustomerScoredV1(
            customer_id=customer_id,
            tier="gold",
            clv=900.0,
            churn_risk=0.2,
            scored_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
        )
        envelope = to_envelope(scored, source="rapport/scoring")
        await produce(
            broker,
            topic_prefix + SCORING_SCORES,
            [envelope.to_bytes()],
            key=customer_id.encode(),
        )
        # Long enough for the consumer to fetch it and fail on it more than five times.
        await asyncio.sleep(4)
    finally:
        run_in_thread(own_postgres.resume)

    await eventually(lambda: _ready(contact), timeout=30, what="ready again")
    after = await _create(contact, "Bea", "+14155550102")
    assert after.status_code == 201, after.text

    async def score_applied() -> bool:
        body = (await contact.get(f"/v1/customers/{customer_id}")).json()
        return bool(body.get("tier") == "gold")

    await eventually(score_applied, timeout=30, what="the score consumed after the outage")
    runner = app.state.consumers[0]
    assert runner.dead_lettered == 0
    await eventually(
        lambda: _outbox_empty(app), timeout=30, what="the outbox relayed after the outage"
    )
    records = await read_topic(broker, topic_prefix + CONTACT_CUSTOMERS, expect=2)
    created = {r.key for r in records if b"customer_created" in r.value}
    assert created == {customer_id.encode(), after.json()["customer_id"].encode()}


async def _outbox_empty(app: object) -> bool:
    relay = app.state.relay  # type: ignore[attr-defined]
    return int(await relay.unpublished_count()) == 0


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), True),
        (OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")), True),
        (OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")), False),
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")), False),
        (FileNotFoundError(2, "No such file"), False),
        (ValueError("bad"), False),
    ],
)
def test_what_counts_as_the_database_being_away(error: Exception, unavailable: bool) -> None:
    assert is_unavailable(error) is unavailable


def test_readiness_names_the_error_underneath_without_the_statement() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
        except ConnectionRefusedError as inner:
            raise OperationalError("SELECT secret FROM t", {}, inner) from inner
    except OperationalError as wrapped:
        described = describe_failure(wrapped)
    assert (
        described == "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432)"
    )
    assert describe_failure(TimeoutError()) == "TimeoutError: no answer in time"
