"""Transactional outbox: stage events with the state change; a relay publishes them in order."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.db import Database, OutboxMessage, is_sqlite, mark_unpublished, utcnow
from shared.events import (
    CONTENT_TYPE,
    CloudEvent,
    EnvelopeWriter,
    Event,
    new_event_ids,
    to_envelope,
)
from shared.incarnation import BrokerIncarnation, LogState
from shared.kafka import ensure_topics, make_producer
from shared.logging import current_request_id, get_logger

log = get_logger(__name__)

# Key of the PostgreSQL advisory lock that makes one relay per database the active one.
_RELAY_LOCK_KEY = 0x52415050  # "RAPP"
_HEADERS = [("content-type", CONTENT_TYPE.encode())]


class _Row(NamedTuple):
    """An outbox row on its way to the broker; `topic` has the prefix already."""

    id: int
    topic: str
    key: str | None
    payload: str


async def stage_event(
    session: AsyncSession,
    event: Event,
    *,
    source: str,
    key: str | None = None,
    event_id: str | None = None,
    flush: bool = True,
) -> CloudEvent:
    """Write `event` to the outbox in the session's transaction; the relay publishes it later.

    With `flush=False` the row waits for the session's next flush, so a caller staging many
    events writes them in one round trip.
    """
    envelope = to_envelope(
        event, source=source, event_id=event_id, correlation_id=current_request_id()
    )
    session.add(
        OutboxMessage(
            event_id=envelope.id,
            event_type=envelope.type,
            topic=event.topic,
            key=key if key is not None else envelope.subject,
            payload=envelope.to_bytes().decode(),
            created_at=utcnow(),
            attempts=0,
        )
    )
    if flush:
        await session.flush()
    return envelope


async def stage_events(session: AsyncSession, events: Sequence[Event], *, source: str) -> int:
    """Write many events to the outbox in one statement, in order, each keyed by its subject;
    the relay publishes them. Rows go straight in, each record value serialised once."""
    if not events:
        return 0
    writer = EnvelopeWriter(source=source, correlation_id=current_request_id())
    now = utcnow()
    rows = [
        {
            "event_id": event_id,
            "event_type": event.type,
            "topic": event.topic,
            "key": event.subject(),
            "payload": writer.write(event, event_id=event_id).decode(),
            "created_at": now,
            "attempts": 0,
        }
        for event, event_id in zip(events, new_event_ids(len(events)), strict=True)
    ]
    await session.execute(insert(cast(Table, OutboxMessage.__table__)), rows)
    return len(rows)


class OutboxRelay:
    """Publishes unpublished outbox rows in id order with `acks=all`; never drops a row.

    While the broker is down it backs off (doubling up to `max_backoff`) and keeps the rows.
    On PostgreSQL an advisory lock makes exactly one relay per database active, so several
    replicas of a service never interleave one key's events.

    Published rows stay. At most every `check_interval` s, before sending, the relay checks
    that the broker still holds the log it published to (`BrokerIncarnation`); if not (an
    in-memory broker restarted, topics recreated) it makes `topics` again and resends, in id
    order, every row published in the last `republish_window` s; consumers drop duplicates.
    """

    def __init__(
        self,
        db: Database,
        *,
        bootstrap_servers: str,
        client_id: str,
        topic_prefix: str = "",
        poll_interval: float = 0.5,
        max_backoff: float = 5.0,
        batch_size: int = 2000,
        send_timeout: float = 10.0,
        max_batch_bytes: int = 512 * 1024,
        topics: Sequence[str] = (),
        partitions: int = 3,
        republish_window: float = 86400.0,
        check_interval: float = 1.0,
    ) -> None:
        self._db = db
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._topic_prefix = topic_prefix
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._batch_size = batch_size
        self._send_timeout = send_timeout
        self._max_batch_bytes = max_batch_bytes
        self._partitioner = DefaultPartitioner()
        self._producer: AIOKafkaProducer | None = None
        self._wakeup = asyncio.Event()
        self._lock_conn: AsyncConnection | None = None
        self._topics = list(topics)
        self._partitions = partitions
        self._republish_window = dt.timedelta(seconds=republish_window)
        self._check_interval = check_interval
        self._incarnation = BrokerIncarnation(
            bootstrap_servers, key=f"relay:{client_id}", topic_prefix=topic_prefix
        )
        self._log_checked_at: float | None = None
        self.published = 0
        self.republished = 0
        self.log_checks = 0
        self.broker_ok = False

    def wake(self) -> None:
        """Look for new rows now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Relay forever; cancel the task to stop."""
        backoff = min(0.2, self._max_backoff)
        try:
            while True:
                try:
                    if not await self._hold_leadership():
                        await self._sleep(self._poll_interval * 4)
                        continue
                    sent = await self.publish_batch()
                    backoff = min(0.2, self._max_backoff)
                    if sent >= self._batch_size:
                        continue
                    await self._sleep(self._poll_interval)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.broker_ok = False
                    log.warning("outbox_relay_retry", error=repr(exc), backoff=backoff)
                    await self._reset_producer()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
        finally:
            await self._reset_producer()
            await self._incarnation.close()
            await self._release_leadership()

    async def publish_batch(self) -> int:
        """Send the oldest unpublished rows, keeping order per partition; raise on a failure.

        Rows are grouped by the partition their key goes to. Each partition's rows go out as
        record batches, one after the other, each sent only once the previous one is
        acknowledged; partitions go in parallel. A partition stops at its first failed batch:
        nothing after it in that partition is sent this round, so a retry re-sends from the
        failed row and the first copy of every event on a partition is in outbox order. The
        rows acknowledged are marked published in one statement. First, when it is time, the
        relay makes sure the broker still holds the log it published to.
        """
        rows = await self._oldest_unpublished()
        try:
            if await self._follow_broker_log():
                rows = await self._oldest_unpublished()
        except Exception as error:
            if rows:
                await self._record_failure(rows[0].id, error)
            raise
        if not rows:
            return 0
        producer = await self._ensure_producer()
        lanes = await self._lanes(producer, rows)
        outcomes = await asyncio.gather(
            *(self._send_lane(producer, tp, lane) for tp, lane in lanes.items())
        )
        sent_ids = [row_id for ids, _ in outcomes for row_id in ids]
        failures = [failure for _, failure in outcomes if failure is not None]
        if sent_ids:
            await self._mark_published(sent_ids)
            self.published += len(sent_ids)
        for row_id, exc in failures:
            await self._record_failure(row_id, exc)
        if failures:
            raise failures[0][1]
        self.broker_ok = True
        return len(sent_ids)

    async def _follow_broker_log(self) -> bool:
        """On a broker that lost the log (or never had it): topics and recent rows again."""
        now = time.monotonic()
        if self._log_checked_at is not None and now - self._log_checked_at < self._check_interval:
            return False
        count = 0
        state = await self._incarnation.check()
        if state is not LogState.SAME:
            if self._topics:
                await ensure_topics(self._bootstrap, self._topics, partitions=self._partitions)
            count = await self.republish_recent()
            log.warning("outbox_republish", broker_log=state.value, rows=count)
        self._log_checked_at = time.monotonic()
        self.log_checks += 1
        return count > 0

    async def republish_recent(self) -> int:
        """Mark the rows published within the window unpublished again; how many."""
        count = await mark_unpublished(self._db, since=utcnow() - self._republish_window)
        self.republished += count
        return count

    async def _oldest_unpublished(self) -> list[_Row]:
        async with self._db.sessionmaker() as session:
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
                    .limit(self._batch_size)
                )
            ).all()
            await session.commit()
        return [_Row(r[0], self._topic_prefix + r[1], r[2], r[3]) for r in rows]

    async def _lanes(
        self, producer: AIOKafkaProducer, rows: list[_Row]
    ) -> dict[tuple[str, int], list[_Row]]:
        """Rows by (topic, partition), in id order: the partition the producer would pick."""
        partitions: dict[str, list[int]] = {}
        lanes: dict[tuple[str, int], list[_Row]] = {}
        for row in rows:
            if row.topic not in partitions:
                found = await asyncio.wait_for(
                    producer.partitions_for(row.topic), self._send_timeout
                )
                partitions[row.topic] = sorted(found)
            every = partitions[row.topic]
            key = row.key.encode() if row.key is not None else None
            lanes.setdefault((row.topic, self._partitioner(key, every, every)), []).append(row)
        return lanes

    async def _send_lane(
        self, producer: AIOKafkaProducer, tp: tuple[str, int], rows: list[_Row]
    ) -> tuple[list[int], tuple[int, BaseException] | None]:
        """Send one partition's rows batch after batch; stop at the first failure."""
        topic, partition = tp
        sent: list[int] = []
        start = 0
        while start < len(rows):
            batch = producer.create_batch()
            taken = 0
            for row in rows[start:]:
                appended = batch.append(
                    key=row.key.encode() if row.key is not None else None,
                    value=row.payload.encode(),
                    timestamp=None,
                    headers=_HEADERS,
                )
                if appended is None:
                    break
                taken += 1
            batch.close()
            try:
                if taken == 0:
                    raise ValueError(f"outbox row {rows[start].id} does not fit in a batch")
                delivered = await producer.send_batch(batch, topic, partition=partition)
                await asyncio.wait_for(delivered, self._send_timeout)
            except Exception as exc:
                return sent, (rows[start].id, exc)
            sent.extend(row.id for row in rows[start : start + taken])
            start += taken
        return sent, None

    async def _mark_published(self, ids: list[int]) -> None:
        async with self._db.sessionmaker() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(published_at=utcnow(), attempts=OutboxMessage.attempts + 1)
            )
            await session.commit()

    async def _record_failure(self, row_id: int, exc: BaseException) -> None:
        with contextlib.suppress(Exception):
            async with self._db.sessionmaker() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row_id)
                    .values(attempts=OutboxMessage.attempts + 1, last_error=repr(exc)[:2000])
                )
                await session.commit()

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = make_producer(
                self._bootstrap,
                client_id=f"{self._client_id}-relay",
                max_batch_size=self._max_batch_bytes,
            )
            try:
                await asyncio.wait_for(producer.start(), self._send_timeout)
            except BaseException:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _reset_producer(self) -> None:
        self._log_checked_at = None  # whatever went wrong, look at the broker's log first
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 5)

    async def _hold_leadership(self) -> bool:
        if is_sqlite(self._db.url):
            return True
        if self._lock_conn is not None:
            try:
                await self._lock_conn.execute(text("SELECT 1"))
                return True
            except Exception:
                await self._release_leadership()
        conn = await self._db.engine.connect()
        acquired: Any = await conn.scalar(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": _RELAY_LOCK_KEY}
        )
        await conn.commit()
        if acquired:
            self._lock_conn = conn
            return True
        await conn.close()
        return False

    async def _release_leadership(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _RELAY_LOCK_KEY})
                await conn.commit()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        self._wakeup.clear()

    async def unpublished_count(self) -> int:
        """Rows still waiting to be published."""
        async with self._db.sessionmaker() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.published_at.is_(None))
            )
            return int(count or 0)
