"""Outbox relay: events/s published from a backlog, ordered per key, against the same rows sent
one per round trip (`send_and_wait` in a loop, what the relay did before), same run."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bench.report import figure
from shared.contracts.contact import CallEventRecordedV2
from shared.db import Database, OutboxMessage, utcnow
from shared.events import CONTENT_TYPE
from shared.kafka import ensure_topics, make_producer
from shared.migrations import upgrade_async
from shared.outbox import OutboxRelay, stage_events
from tools.stack import Broker, free_port

EVENTS = 20_000
BASELINE_EVENTS = 2_000
KEYS = 1_000
PARTITIONS = 3


def _event(customer: uuid.UUID, n: int) -> CallEventRecordedV2:
    return CallEventRecordedV2(
        call_event_id=uuid.uuid4(),
        customer_id=customer,
        provider="twilio",
        provider_call_id=f"CA{n:032d}",
        sequence_number=n,
        status="ringing",
        occurred_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
        first_event_of_call=True,
    )


async def _backlog(url: str, events: int) -> Database:
    await upgrade_async(Path("services/contact/migrations"), url)
    db = Database(url)
    keys = [uuid.uuid4() for _ in range(KEYS)]
    async with db.sessionmaker() as session:
        await stage_events(
            session, [_event(keys[i % KEYS], i) for i in range(events)], source="bench"
        )
        await session.commit()
    return db


async def _relay(db: Database, bootstrap: str, prefix: str) -> float:
    relay = OutboxRelay(db, bootstrap_servers=bootstrap, client_id="bench", topic_prefix=prefix)
    await relay._ensure_producer()
    started = time.perf_counter()
    while await relay.publish_batch():
        pass
    seconds = time.perf_counter() - started
    await relay._reset_producer()
    assert await relay.unpublished_count() == 0
    return seconds


async def _one_per_round_trip(db: Database, bootstrap: str, prefix: str) -> float:
    """The relay's former loop: read 200 rows, `send_and_wait` each, mark them published."""
    producer = make_producer(bootstrap, client_id="bench-baseline")
    await producer.start()
    started = time.perf_counter()
    try:
        while True:
            async with db.sessionmaker() as session:
                rows = (
                    await session.execute(
                        select(
                            OutboxMessage.id,
                            OutboxMessage.topic,
                            OutboxMessage.key,
                            OutboxMessage.payload,
                        )
                        .where(OutboxMessage.published_at.is_(None))
                        .order_by(OutboxMessage.id)
                        .limit(200)
                    )
                ).all()
                if not rows:
                    break
                for _, topic, key, payload in rows:
                    await producer.send_and_wait(
                        prefix + topic,
                        payload.encode(),
                        key=key.encode() if key is not None else None,
                        headers=[("content-type", CONTENT_TYPE.encode())],
                    )
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([r[0] for r in rows]))
                    .values(published_at=utcnow())
                )
                await session.commit()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def _measure() -> dict[str, Any]:
    broker = Broker(free_port()).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            prefix = f"ob{uuid.uuid4().hex[:6]}."
            topic = prefix + CallEventRecordedV2.topic
            await ensure_topics(broker.bootstrap, [topic], partitions=PARTITIONS)
            base_db = await _backlog(
                f"sqlite+aiosqlite:///{Path(tmp) / 'base.db'}", BASELINE_EVENTS
            )
            base_s = await _one_per_round_trip(base_db, broker.bootstrap, prefix)
            await base_db.dispose()
            db = await _backlog(f"sqlite+aiosqlite:///{Path(tmp) / 'relay.db'}", EVENTS)
            relay_s = await _relay(db, broker.bootstrap, prefix)
            await db.dispose()
    finally:
        broker.stop()
    return {
        "relay": {
            "events": EVENTS,
            "seconds": round(relay_s, 2),
            "events_per_second": round(EVENTS / relay_s, 1),
        },
        "baseline_send_and_wait_per_row": {
            "events": BASELINE_EVENTS,
            "seconds": round(base_s, 2),
            "events_per_second": round(BASELINE_EVENTS / base_s, 1),
        },
        "keys": KEYS,
        "partitions": PARTITIONS,
        "backend": "sqlite",
    }


def run() -> dict[str, Any]:
    """Relay throughput from a 20,000-event backlog and the one-per-round-trip baseline."""
    result = asyncio.run(_measure())
    result["figures"] = [
        figure(
            "outbox relay, backlog of 20,000",
            result["relay"]["events_per_second"],
            "events/s",
            "send_and_wait per row (the former relay)",
            result["baseline_send_and_wait_per_row"]["events_per_second"],
            higher=True,
        )
    ]
    return result
