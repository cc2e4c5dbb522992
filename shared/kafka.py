"""Kafka clients set up the way Rapport needs them: `acks=all`, no idempotence, no auto-commit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.logging import get_logger

log = get_logger(__name__)


def make_producer(
    bootstrap_servers: str, *, client_id: str, max_batch_size: int = 16384
) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica; retries are left to the relay.

    aiokafka keeps one request in flight per broker connection and puts a batch that failed
    with a retriable error back at the head of its partition's queue, so records of one
    partition leave in the order they were handed over.
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        request_timeout_ms=5000,
        retry_backoff_ms=200,
        linger_ms=0,
        max_batch_size=max_batch_size,
    )


def make_consumer(
    bootstrap_servers: str,
    *,
    group_id: str,
    topics: Iterable[str],
    client_id: str,
    session_timeout_ms: int = 10000,
) -> AIOKafkaConsumer:
    """A group consumer that never commits on its own: offsets follow database commits.

    A member joining a group waits about half the session timeout for the others, so a
    short timeout makes starts and rebalances quick and a long one tolerates slow pauses.
    """
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=10000,
        retry_backoff_ms=200,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(100, session_timeout_ms // 4),
        max_poll_records=500,
        # How long the broker may hold a fetch while waiting for records: the latency floor.
        fetch_max_wait_ms=100,
    )


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    *,
    partitions: int,
    timeout: float = 10.0,
    config: Mapping[str, str] | None = None,
) -> None:
    """Create the topics that do not exist yet, with `config`; existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    await asyncio.wait_for(admin.start(), timeout)
    try:
        existing = set(await asyncio.wait_for(admin.list_topics(), timeout))
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if not missing:
            return
        new = [
            NewTopic(
                t,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs=dict(config or {}),
            )
            for t in missing
        ]
        with contextlib.suppress(TopicAlreadyExistsError):
            await asyncio.wait_for(admin.create_topics(new), timeout)
        log.info("topics_created", topics=missing, partitions=partitions)
    finally:
        await admin.close()
