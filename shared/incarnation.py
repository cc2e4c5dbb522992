"""Whether the broker still holds the log a client wrote to or read from.

An in-memory broker that restarts, a cluster rebuilt from nothing, topics deleted and created
again: the broker answers as before, but what was published and not yet consumed is gone and
committed offsets point into another log. Nothing in the Kafka protocol says so reliably (the
embedded broker reports no cluster id), so each client leaves a mark in the log itself.

The incarnation topic (`<prefix>rapport.incarnation`, one partition, kept forever) holds one
small record per client key (`relay:<service>`, a consumer group id) and log. A client that
finds its record where it left it is on the same log. A client whose record is gone — the
offset it remembers is past the end, or holds someone else's record — is on a new log and
writes a new record. A client starting without a memory looks for any record of its key.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.kafka import ensure_topics, make_producer
from shared.logging import get_logger

log = get_logger(__name__)

INCARNATION_TOPIC = "rapport.incarnation"
# Kafka keeps the marks forever (one per client key and log: a handful of records).
INCARNATION_TOPIC_CONFIG = {"retention.ms": "-1", "cleanup.policy": "delete"}


class LogState(enum.Enum):
    """What a check found."""

    SAME = "same"  # the mark is where this client left it
    UNKNOWN = "unknown"  # a client starting afresh found no mark of its key in this log
    REPLACED = "replaced"  # the mark this client left is gone: the broker lost its log


@dataclass(frozen=True)
class _Mark:
    offset: int
    value: bytes


class BrokerIncarnation:
    """Checks, for one client key, whether the broker still holds the log the client knew."""

    def __init__(
        self, bootstrap_servers: str, *, key: str, topic_prefix: str = "", timeout: float = 10.0
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._key = key.encode()
        self._topic = topic_prefix + INCARNATION_TOPIC
        self._tp = TopicPartition(self._topic, 0)
        self._timeout = timeout
        self._mark: _Mark | None = None
        self._reader: AIOKafkaConsumer | None = None
        self._topic_made = False

    async def check(self) -> LogState:
        """Compare the log with what this client saw last; leave a mark in a new log.

        Each check opens its own connection, so none is left waiting on a broker that died.
        """
        try:
            return await asyncio.wait_for(self._check(), self._timeout)
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the connection to the broker (a later check opens a new one)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reader.stop(), 5)

    async def _check(self) -> LogState:
        reader = await self._ensure_reader()
        end = (await reader.end_offsets([self._tp]))[self._tp]
        known = self._mark
        if end == 0:
            self._topic_made = False  # a new broker: make the topic with its settings again
        if known is not None and known.offset < end:
            record = await self._read_at(reader, known.offset)
            if record is not None and record == (self._key, known.value):
                return LogState.SAME
        found = await self._find_own(reader, end)
        if found is not None and (known is None or found == known):
            self._mark = found
            return LogState.SAME
        if found is None:
            await self._write_mark()
        else:
            self._mark = found  # another process of the same key marked the new log first
        return LogState.UNKNOWN if known is None else LogState.REPLACED

    async def _ensure_reader(self) -> AIOKafkaConsumer:
        if self._reader is None:
            if not self._topic_made:
                await ensure_topics(
                    self._bootstrap, [self._topic], partitions=1, config=INCARNATION_TOPIC_CONFIG
                )
                self._topic_made = True
            reader = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                request_timeout_ms=5000,
                retry_backoff_ms=100,
            )
            await reader.start()
            reader.assign([self._tp])
            self._reader = reader
        return self._reader

    async def _read_at(self, reader: AIOKafkaConsumer, offset: int) -> tuple[bytes, bytes] | None:
        reader.seek(self._tp, offset)
        batch = await reader.getmany(self._tp, timeout_ms=2000, max_records=1)
        for record in batch.get(self._tp, []):
            if record.offset == offset:
                return (record.key or b"", record.value or b"")
        return None

    async def _find_own(self, reader: AIOKafkaConsumer, end: int) -> _Mark | None:
        """The latest mark of this key in the log, reading it from the start."""
        found: _Mark | None = None
        await reader.seek_to_beginning(self._tp)
        while await reader.position(self._tp) < end:
            batch = await reader.getmany(self._tp, timeout_ms=1000)
            for record in batch.get(self._tp, []):
                if record.key == self._key and record.value is not None:
                    found = _Mark(record.offset, record.value)
        return found

    async def _write_mark(self) -> None:
        value = uuid.uuid4().hex.encode()
        producer: AIOKafkaProducer = make_producer(self._bootstrap, client_id="incarnation")
        await producer.start()
        try:
            sent = await producer.send_and_wait(self._topic, value, key=self._key, partition=0)
        finally:
            await producer.stop()
        self._mark = _Mark(sent.offset, value)
        log.info("broker_log_marked", key=self._key.decode(), offset=sent.offset)
