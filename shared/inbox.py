"""Idempotent consumers: processed-event rows, offsets after commits, retries and dead letters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.topics import dead_letter_topic
from shared.db import Database, ProcessedEvent, chunks, is_unavailable, utcnow
from shared.events import CloudEvent, Event, EventRegistry, UndecodableEventError
from shared.kafka import make_consumer, make_producer
from shared.logging import get_logger, request_id_var
from shared.offsets import OffsetGuard

log = get_logger(__name__)
_PROCESSED = cast(Table, ProcessedEvent.__table__)

Handler = Callable[[AsyncSession, Any, CloudEvent], Awaitable[None]]
BatchFunction = Callable[[AsyncSession, list[tuple[Any, CloudEvent]]], Awaitable[None]]


class BatchHandler:
    """A handler that takes a run of events of its type in one call (and one transaction).

    Registered like any handler (it also handles a single event); the runner hands it every
    consecutive new event of its type from one poll at once, in order, duplicates removed.
    """

    def __init__(self, handle: BatchFunction) -> None:
        self.handle = handle

    async def __call__(self, session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        await self.handle(session, [(event, envelope)])


@dataclass(frozen=True)
class _Decoded:
    record: ConsumerRecord[bytes, bytes]
    event: Any
    envelope: CloudEvent


async def claim_many(session: AsyncSession, *, consumer: str, event_ids: list[str]) -> set[str]:
    """Record that `consumer` handled each of `event_ids`; the ids it had not handled before."""
    wanted = list(dict.fromkeys(event_ids))
    seen: set[str] = set()
    for chunk in chunks(wanted):
        rows = await session.scalars(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer == consumer, ProcessedEvent.event_id.in_(chunk)
            )
        )
        seen.update(rows)
    fresh = [e for e in wanted if e not in seen]
    if fresh:
        # One statement for the poll; a concurrent duplicate fails here, on the primary key.
        now = utcnow()
        claimed = [{"consumer": consumer, "event_id": e, "processed_at": now} for e in fresh]
        await session.execute(insert(_PROCESSED), claimed)
    return set(fresh)


async def claim(session: AsyncSession, *, consumer: str, event_id: str) -> bool:
    """Record that `consumer` handled `event_id`; False if it already had."""
    if await session.get(ProcessedEvent, (consumer, event_id)) is not None:
        return False
    session.add(ProcessedEvent(consumer=consumer, event_id=event_id))
    await session.flush()  # a concurrent duplicate fails here, on the primary key
    return True


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying without limit: the database or the network is briefly away."""
    if is_unavailable(exc):  # the database is away (stopped, restarting): it will be back
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | ConnectionError | TimeoutError | OSError)


class ConsumerRunner:
    """Consumes topics as group `group_id` and applies each event exactly once in effect.

    `topic_prefix` goes before each topic name; `group_id` is used as given, and its
    dead-letter topic is `<group_id>.dlq`.

    Per record: decode (undecodable → dead-letter topic at once), then in one transaction
    claim the event id and run the handler, commit; the Kafka offset is committed after the
    records of a poll are applied. A `BatchHandler` gets each run of consecutive events of its
    type from one poll in one transaction; if that transaction fails for a reason other than
    a transient one, the run is applied again one event per transaction, so a poison event
    alone is dead-lettered and the others are kept.
    Transient errors are retried with backoff for as long as they last; other errors up to
    `max_attempts` times, after which the record goes to `<group_id>.dlq` with the error in
    its headers and the consumer moves on. An `OffsetGuard` reads every partition again from
    the start when the broker lost the log the offsets belong to.
    """

    def __init__(
        self,
        db: Database,
        *,
        group_id: str,
        topics: Iterable[str],
        handlers: Mapping[str, Handler],
        registry: EventRegistry,
        bootstrap_servers: str,
        topic_prefix: str = "",
        session_timeout_ms: int = 10000,
        max_attempts: int = 5,
        base_backoff: float = 0.1,
        max_backoff: float = 5.0,
    ) -> None:
        self._db = db
        self.group_id = group_id
        self._topic_prefix = topic_prefix
        self._topics = [topic_prefix + t for t in topics]
        self._handlers = dict(handlers)
        self._registry = registry
        self._bootstrap = bootstrap_servers
        self._max_attempts = max_attempts
        self._session_timeout_ms = session_timeout_ms
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._consumer: AIOKafkaConsumer | None = None
        self._dlq_producer: AIOKafkaProducer | None = None
        self.offsets = OffsetGuard(bootstrap_servers, group_id=group_id, topic_prefix=topic_prefix)
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.ignored = 0
        self.connected = False

    async def run(self) -> None:
        """Consume forever; cancel the task to stop."""
        backoff = self._base_backoff
        try:
            while True:
                try:
                    await self._start()
                    backoff = self._base_backoff
                    await self._poll_forever()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.connected = False
                    log.warning("consumer_restart", group=self.group_id, error=repr(exc))
                    await self._stop()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
        finally:
            await self._stop()
            await self.offsets.close()

    async def _start(self) -> None:
        consumer = make_consumer(
            self._bootstrap,
            group_id=self.group_id,
            topics=(),
            client_id=self.group_id,
            session_timeout_ms=self._session_timeout_ms,
        )
        producer = make_producer(self._bootstrap, client_id=f"{self.group_id}-dlq")
        try:
            await self.offsets.starting(consumer)
            await asyncio.wait_for(consumer.start(), 15)
            consumer.subscribe(self._topics, listener=self.offsets)
            await asyncio.wait_for(producer.start(), 15)
        except BaseException:
            for client in (consumer, producer):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.stop(), 5)
            raise
        self._consumer, self._dlq_producer = consumer, producer
        self.connected = True
        log.info("consumer_started", group=self.group_id, topics=self._topics)

    async def _stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        producer, self._dlq_producer = self._dlq_producer, None
        for client in (consumer, producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.stop(), 5)

    async def _poll_forever(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            if await self.offsets.replaced():
                continue  # what was fetched may come from anywhere in the new log
            for tp, records in batches.items():
                await self.handle_records(records)
                await self._commit(consumer, tp, records[-1].offset + 1)

    async def _commit(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            await consumer.commit({tp: offset})
        except Exception as exc:
            # The records will be delivered again and skipped by their processed-event rows.
            log.warning("offset_commit_failed", group=self.group_id, error=repr(exc))

    async def handle_records(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Apply records in order: runs for a `BatchHandler` together, the others one by one."""
        run: list[_Decoded] = []
        for record in records:
            decoded = await self._decode(record)
            if decoded is None:
                continue
            handler = self._handlers[decoded.envelope.type]
            if run and (
                not isinstance(handler, BatchHandler)
                or run[0].envelope.type != decoded.envelope.type
            ):
                await self._apply_run(run)
                run = []
            if isinstance(handler, BatchHandler):
                run.append(decoded)
            else:
                await self._apply_one(decoded, handler)
        if run:
            await self._apply_run(run)

    async def handle_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Apply one record exactly once in effect, or dead-letter it."""
        decoded = await self._decode(record)
        if decoded is not None:
            await self._apply_one(decoded, self._handlers[decoded.envelope.type])

    async def _decode(self, record: ConsumerRecord[bytes, bytes]) -> _Decoded | None:
        """The record's event if this group handles it; None if dead-lettered or ignored."""
        try:
            envelope = CloudEvent.from_bytes(record.value)
            event = self._registry.decode(envelope)
        except UndecodableEventError as exc:
            await self._dead_letter(record, exc, attempts=0)
            return None
        if event is None or envelope.type not in self._handlers:
            self.ignored += 1
            return None
        return _Decoded(record, event, envelope)

    async def _apply_run(self, run: list[_Decoded]) -> None:
        """One transaction for the run; one per event if it fails for a lasting reason."""
        handler = self._handlers[run[0].envelope.type]
        assert isinstance(handler, BatchHandler)
        backoff = self._base_backoff
        while True:
            try:
                async with self._db.sessionmaker() as session:
                    ids = [d.envelope.id for d in run]
                    fresh = await claim_many(session, consumer=self.group_id, event_ids=ids)
                    items: list[tuple[Any, CloudEvent]] = []
                    for d in run:
                        if d.envelope.id in fresh:
                            fresh.discard(d.envelope.id)
                            items.append((d.event, d.envelope))
                    if items:
                        await handler.handle(session, items)
                    await session.commit()
                self._db.committed_session(session)
                self.processed += len(items)
                self.duplicates += len(run) - len(items)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_transient(exc):
                    log.warning("batch_split", group=self.group_id, size=len(run), error=repr(exc))
                    break
                log.warning("batch_retry", transient=True, error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
        for decoded in run:
            await self._apply_one(decoded, handler)

    async def _apply_one(self, decoded: _Decoded, handler: Handler) -> None:
        record, event, envelope = decoded.record, decoded.event, decoded.envelope
        token = request_id_var.set(envelope.correlationid)
        try:
            with structlog.contextvars.bound_contextvars(
                event_id=envelope.id, event_type=envelope.type, request_id=envelope.correlationid
            ):
                await self._apply(record, handler, event, envelope)
        finally:
            request_id_var.reset(token)

    async def _apply(
        self,
        record: ConsumerRecord[bytes, bytes],
        handler: Handler,
        event: Event,
        envelope: CloudEvent,
    ) -> None:
        attempts = 0
        backoff = self._base_backoff
        while True:
            attempts += 1
            try:
                async with self._db.sessionmaker() as session:
                    if not await claim(session, consumer=self.group_id, event_id=envelope.id):
                        await session.rollback()
                        self.duplicates += 1
                        return
                    await handler(session, event, envelope)
                    await session.commit()
                self._db.committed_session(session)
                self.processed += 1
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                transient = is_transient(exc)
                if not transient and attempts >= self._max_attempts:
                    await self._dead_letter(record, exc, attempts=attempts)
                    return
                log.warning("event_retry", attempts=attempts, transient=transient, error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], exc: BaseException, *, attempts: int
    ) -> None:
        topic = dead_letter_topic(self.group_id)
        error = f"{type(exc).__name__}: {exc}"[:4000]
        headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq-")]
        headers += [
            ("dlq-error", error.encode()),
            ("dlq-consumer-group", self.group_id.encode()),
            ("dlq-original-topic", record.topic.encode()),
            ("dlq-original-partition", str(record.partition).encode()),
            ("dlq-original-offset", str(record.offset).encode()),
            ("dlq-attempts", str(attempts).encode()),
        ]
        backoff = self._base_backoff
        while True:
            producer = self._dlq_producer
            try:
                if producer is None:
                    raise ConnectionError("dead-letter producer is not running")
                await asyncio.wait_for(
                    producer.send_and_wait(topic, record.value, key=record.key, headers=headers), 15
                )
                break
            except asyncio.CancelledError:
                raise
            except Exception as send_exc:
                log.warning("dead_letter_retry", error=repr(send_exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
        self.dead_lettered += 1
        log.error(
            "event_dead_lettered",
            group=self.group_id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            attempts=attempts,
            error=error,
        )
