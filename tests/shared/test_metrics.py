"""`/metrics`: each series exists and moves when its cause happens (real database and broker)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.main import create_app as create_contact
from services.scoring.settings import ScoringSettings
from shared.app import ConsumerSpec, ServiceSpec, create_service_app
from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.topics import COMMERCE_TRANSACTIONS
from shared.events import CloudEvent, to_envelope
from tests.builders import call_event, contact_settings
from tests.conftest import serve
from tests.kafka_helpers import eventually, produce
from tools.stack import free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
SCORING_MIGRATIONS = Path(__file__).parents[2] / "services" / "scoring" / "migrations"


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_requests_outbox_backlog_and_waiting_calls_move(
    make_database: Callable[[str], str], topic_prefix: str
) -> None:
    # A broker that does not answer: the relay keeps the rows, so the backlog shows.
    settings = contact_settings(make_database("contact"), f"127.0.0.1:{free_port()}", topic_prefix)
    async for client in serve(create_contact(settings)):
        before = await scrape(client)
        route = {"method": "POST", "route": "/v1/contacts/events", "status": "201"}
        assert value(before, "rapport_http_requests_total", **route) is None
        assert value(before, "rapport_outbox_backlog") == 0
        assert value(before, "rapport_outbox_oldest_unpublished_age_seconds") == 0
        assert value(before, "rapport_contact_waiting_calls", queue="support") is None

        # A generic call event names no queue: the call waits in the default queue.
        body = call_event(call_id="metrics-1", status="queued")
        assert (await client.post("/v1/contacts/events", json=body)).status_code == 201
        await asyncio.sleep(0.05)
        after = await scrape(client)

        assert value(after, "rapport_http_requests_total", **route) == 1
        latency = {"method": "POST", "route": "/v1/contacts/events"}
        assert value(after, "rapport_http_request_duration_seconds_count", **latency) == 1
        assert (value(after, "rapport_outbox_backlog") or 0) >= 1
        assert (value(after, "rapport_outbox_oldest_unpublished_age_seconds") or 0) > 0
        assert value(after, "rapport_outbox_published_total") == 0
        assert value(after, "rapport_contact_waiting_calls", queue="support") == 1
        assert (value(after, "rapport_contact_longest_wait_seconds", queue="support") or 0) > 0


def transaction(amount: str) -> bytes:
    event = TransactionRecordedV1(
        transaction_id=uuid.uuid4().hex,
        customer_id=uuid.uuid4(),
        amount=Decimal(amount),
        occurred_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
    )
    return to_envelope(event, source="rapport/test").to_bytes()


def probe_app(database_url: str, broker: str, topic_prefix: str, handler: Any) -> FastAPI:
    """A service with one consumer of commerce transactions whose handler the test controls."""
    settings = ScoringSettings(
        database_url=database_url,
        migrate_on_start=False,
        kafka_bootstrap_servers=broker,
        kafka_topic_prefix=topic_prefix,
        kafka_topic_partitions=1,
        consumer_max_attempts=2,
        kafka_session_timeout_ms=2000,
    )
    spec = ServiceSpec(
        name="probe",
        title="probe",
        description="A service with one consumer the test controls.",
        settings=settings,
        migrations_dir=SCORING_MIGRATIONS,
        consumers=[
            ConsumerSpec("tx", [COMMERCE_TRANSACTIONS], {TransactionRecordedV1.type: handler})
        ],
    )
    app = create_service_app(spec)
    return app


async def test_consumer_processed_failed_dead_lettered_and_lag_move(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> None:
    release = asyncio.Event()

    async def handler(session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        if event.amount == Decimal("13"):
            raise ValueError("this handler refuses 13")
        if event.amount == Decimal("99"):
            await release.wait()

    app = probe_app(make_database("scoring"), broker, topic_prefix, handler)
    group = f"{topic_prefix}probe.tx"
    labels = {"group": group}
    async for client in serve(app):
        await eventually(lambda: all(r.connected for r in app.state.consumers), what="consumer")
        topic = topic_prefix + COMMERCE_TRANSACTIONS
        await produce(broker, topic, [transaction("10"), transaction("13"), b"not an event"])

        async def moved(client: httpx.AsyncClient = client) -> bool:
            samples = await scrape(client)
            return (
                value(samples, "rapport_consumer_events_processed_total", **labels) == 1
                and value(samples, "rapport_consumer_dead_lettered_total", **labels) == 2
            )

        await eventually(moved, timeout=30, what="processed and dead-lettered counted")
        samples = await scrape(client)
        failed = {"group": group, "event_type": TransactionRecordedV1.type}
        assert value(samples, "rapport_consumer_events_failed_total", **failed) == 2
        assert value(samples, "rapport_consumer_connected", **labels) == 1
        assert value(samples, "rapport_consumer_lag", **labels, topic=topic, partition="0") == 0

        # The handler holds on to one event while three more arrive: they wait as lag.
        await produce(broker, topic, [transaction("99")])
        await asyncio.sleep(0.5)
        await produce(broker, topic, [transaction("1"), transaction("2"), transaction("3")])

        async def lagging(client: httpx.AsyncClient = client, topic: str = topic) -> bool:
            samples = await scrape(client)
            lag = value(samples, "rapport_consumer_lag", **labels, topic=topic, partition="0")
            return lag == 3

        await eventually(lagging, timeout=20, what="a lag of three records")
        release.set()

        async def caught_up(client: httpx.AsyncClient = client, topic: str = topic) -> bool:
            samples = await scrape(client)
            lag = value(samples, "rapport_consumer_lag", **labels, topic=topic, partition="0")
            processed = value(samples, "rapport_consumer_events_processed_total", **labels)
            return lag == 0 and processed == 5

        await eventually(caught_up, timeout=20, what="the lag back to zero")


async def test_metrics_is_outside_the_api_and_not_in_openapi(
    make_database: Callable[[str], str], topic_prefix: str
) -> None:
    settings = contact_settings(make_database("contact"), f"127.0.0.1:{free_port()}", topic_prefix)
    async for client in serve(create_contact(settings)):
        schema = (await client.get("/openapi.json")).json()
        assert "/metrics" not in schema["paths"]
        assert (await client.get("/metrics", auth=None)).status_code == 200
