"""The events of the stream, read from Kafka, kept for a while so a reconnect can resume.

Every gateway replica reads every partition of the streamed topics itself (no consumer group),
so the same event has the same position — topic, partition, offset — on every replica. An SSE
event's id is the reader's position after it, written as `topic:partition:offset` pairs; a
client reconnecting with `Last-Event-ID` to any replica gets every later event it is allowed to
see, and none twice. The window keeps the last `GATEWAY_STREAM_REPLAY_EVENTS` events: a client
away for longer gets an `event: reset` first (reload the screen: something may be missed).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.gateway.stream.audience import STREAMED
from shared.logging import get_logger
from shared.outbox_scrub import redactor

log = get_logger(__name__)
Position = dict[str, int]  # "topic:partition" → offset of the last event seen
ERASED_EVENT = "contact.customer_deleted"
# What a streamed event may say of the person (a screen pop's name and number, a reason typed
# about them): blanked in the window once the customer is erased, and in later reads of it.
_without_person = redactor(("name", "from_number", "reason"), ())


@dataclass(frozen=True)
class Streamed:
    """One event as the stream keeps it."""

    where: str  # "topic:partition"
    offset: int
    envelope: dict[str, Any]


def encode_position(position: Position) -> str:
    """The SSE event id for a position."""
    return base64.urlsafe_b64encode(json.dumps(position, sort_keys=True).encode()).decode()


def decode_position(text: str | None) -> Position | None:
    """The position a `Last-Event-ID` stands for; None when absent or unreadable."""
    if not text:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or not all(isinstance(v, int) for v in value.values()):
        return None
    return {str(k): v for k, v in value.items()}


class Feed:
    """Reads the streamed topics and fans each event out to the open streams."""

    def __init__(self, bootstrap: str, topics: list[str], window: int) -> None:
        self._bootstrap = bootstrap
        self._topics = topics
        self.window: deque[Streamed] = deque(maxlen=window)
        self.handled: dict[str, set[str]] = {}
        self.erased: set[str] = set()
        # The last offset per partition that fell out of the window.
        self.dropped: Position = {}
        self._listeners: set[asyncio.Queue[Streamed]] = set()
        self.connected = False

    async def run(self) -> None:
        """Read forever from the start of every partition; cancel the task to stop."""
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                enable_auto_commit=False,
                client_id="gateway-stream",
            )
            try:
                await consumer.start()
                await consumer.topics()  # fresh metadata
                missing = [t for t in self._topics if not consumer.partitions_for_topic(t)]
                if missing:
                    raise LookupError(f"topics not created yet: {', '.join(missing)}")
                parts = [
                    TopicPartition(t, p)
                    for t in self._topics
                    for p in sorted(consumer.partitions_for_topic(t) or ())
                ]
                consumer.assign(parts)
                await consumer.seek_to_beginning(*parts)
                self.connected = True
                async for record in consumer:
                    self._take(record.topic, record.partition, record.offset, record.value)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected = False
                log.warning("stream_feed_retry", error=repr(exc))
                await asyncio.sleep(1.0)
            finally:
                await consumer.stop()

    def _take(self, topic: str, partition: int, offset: int, value: bytes | None) -> None:
        try:
            envelope = json.loads(value or b"")
        except ValueError:
            return
        if not isinstance(envelope, dict):
            return
        kind = envelope.get("type")
        data = envelope.get("data") or {}
        if kind == ERASED_EVENT:
            self._forget(str(data.get("customer_id")))
            return
        erased = str(data.get("customer_id")) in self.erased
        if erased:
            envelope = {**envelope, "data": _without_person(data)}
        if kind == "contact.offer_accepted" and data.get("customer_id") and not erased:
            # Who handles whom: the accepting agent is named in the offer that preceded it.
            login = self._offered_to(str(data.get("offer_id")))
            if login:
                self.handled.setdefault(login, set()).add(str(data["customer_id"]))
        if kind not in STREAMED:
            return
        item = Streamed(f"{topic}:{partition}", offset, envelope)
        if self.window.maxlen is not None and len(self.window) == self.window.maxlen:
            evicted = self.window[0]
            self.dropped[evicted.where] = evicted.offset
        self.window.append(item)
        for queue in list(self._listeners):
            queue.put_nowait(item)

    def _forget(self, customer_id: str) -> None:
        """An erased customer: the window's events about them lose what names them."""
        self.erased.add(customer_id)
        for customers in self.handled.values():
            customers.discard(customer_id)
        for index, item in enumerate(self.window):
            data = item.envelope.get("data") or {}
            if str(data.get("customer_id")) == customer_id:
                envelope = {**item.envelope, "data": _without_person(data)}
                self.window[index] = Streamed(item.where, item.offset, envelope)

    def _offered_to(self, offer_id: str) -> str | None:
        for item in reversed(self.window):
            data = item.envelope.get("data") or {}
            if (
                item.envelope.get("type") == "contact.contact_offered"
                and str(data.get("offer_id")) == offer_id
            ):
                return str(data.get("agent_login"))
        return None

    async def events_after(
        self, position: Position | None
    ) -> AsyncIterator[tuple[Streamed | None, Position]]:
        """Every event after `position` (the window first, then live ones) with the position
        after it. A `None` event first means the window no longer reaches back to `position`:
        the client may have missed events and should reload what it shows.
        """
        queue: asyncio.Queue[Streamed] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            seen: Position = dict(position or {})
            if position is not None:
                if any(seen.get(w, -1) < dropped for w, dropped in self.dropped.items()):
                    yield None, dict(seen)
                for item in list(self.window):
                    if item.offset > seen.get(item.where, -1):
                        seen[item.where] = item.offset
                        yield item, dict(seen)
            while True:
                item = await queue.get()
                if item.offset > seen.get(item.where, -1):
                    seen[item.where] = item.offset
                    yield item, dict(seen)
        finally:
            self._listeners.discard(queue)
