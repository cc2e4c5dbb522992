"""The scoring commerce consumer over a real broker: events/s with batch handling against
the same runner handing over one event per transaction (the baseline), same data, same run,
and event → score-visible latency at a steady rate."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from services.scoring.consumers import handlers
from services.scoring.model.cache import ModelCache
from services.scoring.scores.service import Scorer
from shared.contracts import registry
from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.topics import COMMERCE_TRANSACTIONS
from shared.db import Database
from shared.events import CloudEvent
from shared.inbox import BatchHandler, ConsumerRunner, Handler
from shared.kafka import ensure_topics, make_producer


def _handler(scorer: Scorer, *, batched: bool) -> Handler:
    batch = handlers(scorer)[TransactionRecordedV1.type]
    assert isinstance(batch, BatchHandler)
    if batched:
        return batch

    async def one_by_one(session: Any, event: Any, envelope: CloudEvent) -> None:
        await batch.handle(session, [(event, envelope)])

    return one_by_one


@contextlib.asynccontextmanager
async def consuming(settings: Any, group: str, *, batched: bool) -> AsyncIterator[ConsumerRunner]:
    """A commerce-events runner of its own group, scoring with a fitted model."""
    db = Database(settings.database_url)
    scorer = Scorer(settings=settings, models=ModelCache())
    runner = ConsumerRunner(
        db,
        group_id=settings.kafka_topic_prefix + group,
        topics=[COMMERCE_TRANSACTIONS],
        handlers={TransactionRecordedV1.type: _handler(scorer, batched=batched)},
        registry=registry,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.kafka_topic_prefix,
        session_timeout_ms=2000,
    )
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await db.dispose()


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Every record on `topic` (one partition), acknowledged."""
    await ensure_topics(bootstrap, [topic], partitions=1)
    producer = make_producer(bootstrap, client_id="bench", max_batch_size=512 * 1024)
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, value, key=b"k")
        await producer.flush()
    finally:
        await producer.stop()


async def throughput(settings: Any, events: int, *, batched: bool) -> dict[str, Any]:
    """Events/s of one runner through `events` records already on the topic."""
    group = f"bench-{'batch' if batched else 'single'}-{uuid.uuid4().hex[:4]}"
    async with consuming(settings, group, batched=batched) as runner:
        await _until(lambda: runner.processed > 0, 0.005)
        started, first = time.perf_counter(), runner.processed
        cpu = time.process_time()
        await _until(lambda: runner.processed >= events, 0.02)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_second": round((events - first) / seconds, 1),
        # This process's own CPU time over the same events (the machine is shared).
        "cpu_seconds": round(cpu, 2),
        "events_per_cpu_second": round((events - first) / cpu, 1),
    }


async def replay_rate(settings: Any, events: int) -> dict[str, Any]:
    """Events/s of `python -m services.scoring.replay` through `events` records on the topic,
    and what that makes of a replay of 10 million."""
    from services.scoring.replay import replay

    started, cpu = time.perf_counter(), time.process_time()
    stats = await replay(settings, reset=False, show_progress=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = stats.applied / seconds
    return {
        "events": events,
        "applied": stats.applied,
        "seconds": round(seconds, 2),
        "events_per_second": round(rate, 1),
        "events_per_cpu_second": round(stats.applied / cpu, 1),
        "ten_million_hours_extrapolated": round(10_000_000 / rate / 3600, 2),
    }


async def latency(settings: Any, values: list[bytes], rate: float) -> dict[str, Any]:
    """Send `values` at `rate`/s to a running batch consumer; time from send to committed."""
    # A topic of its own: the same topic name under a prefix of its own.
    prefix = settings.kafka_topic_prefix + "latency."
    topic = prefix + COMMERCE_TRANSACTIONS
    await ensure_topics(settings.kafka_bootstrap_servers, [topic], partitions=1)
    latency_settings = settings.model_copy(update={"kafka_topic_prefix": prefix})
    sent: list[float] = []
    seen: list[float] = []
    group = f"bench-latency-{uuid.uuid4().hex[:4]}"
    async with consuming(latency_settings, group, batched=True) as runner:
        watcher = asyncio.create_task(_watch(runner, seen, len(values)))
        producer = make_producer(settings.kafka_bootstrap_servers, client_id="bench-rate")
        await producer.start()
        try:
            await asyncio.sleep(3)  # the group has joined
            started = time.perf_counter()
            for i, value in enumerate(values):
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
                sent.append(time.perf_counter())
                await producer.send(topic, value, key=b"k")
            await asyncio.wait_for(watcher, 60)
        finally:
            await producer.stop()
    ms = (np.array(seen) - np.array(sent)) * 1000
    return {
        "rate_per_second": rate,
        "events": len(values),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
    }


async def _watch(runner: ConsumerRunner, seen: list[float], total: int) -> None:
    """When each event became visible: the runner counts an event after its commit."""
    while len(seen) < total:
        done = runner.processed
        now = time.perf_counter()
        while len(seen) < min(done, total):
            seen.append(now)
        await asyncio.sleep(0.001)


async def _until(condition: Any, interval: float) -> None:
    while True:
        if condition():
            return
        await asyncio.sleep(interval)
