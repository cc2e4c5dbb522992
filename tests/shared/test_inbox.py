"""The consumer runner: exactly-once effects, offsets after commits, retries, dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.consumers import on_call_event_recorded
from services.scoring.models import CustomerStats
from shared.contracts import registry
from shared.contracts.contact import CallEventRecordedV1
from shared.contracts.topics import CONTACT_CALLS, dead_letter_topic
from shared.db import Database
from shared.events import CloudEvent, to_envelope
from shared.inbox import BatchHandler, ConsumerRunner, Handler
from tests.kafka_helpers import eventually, produce, read_topic


def _envelope(customer_id: uuid.UUID, n: int = 0) -> CloudEvent:
    return to_envelope(
        CallEventRecordedV1(
            call_event_id=uuid.uuid4(),
            customer_id=customer_id,
            provider="asterisk",
            call_id=f"call-{n}",
            sequence_number=0,
            status="ringing",
            occurred_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
            first_event_of_call=True,
        ),
        source="tests",
    )


@pytest.fixture
async def db(make_database: Callable[[str], str]) -> AsyncIterator[Database]:
    database = Database(make_database("scoring"))
    yield database
    await database.dispose()


@contextlib.asynccontextmanager
async def consuming(
    db: Database,
    broker: str,
    prefix: str,
    *,
    group: str = "scoring.test",
    handler: Handler = on_call_event_recorded,
    max_attempts: int = 3,
) -> AsyncIterator[ConsumerRunner]:
    runner = ConsumerRunner(
        db,
        group_id=prefix + group,
        topics=[CONTACT_CALLS],
        handlers={CallEventRecordedV1.type: handler},
        registry=registry,
        bootstrap_servers=broker,
        topic_prefix=prefix,
        max_attempts=max_attempts,
        session_timeout_ms=2000,
        base_backoff=0.01,
        max_backoff=0.05,
    )
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _contacts(db: Database, customer_id: uuid.UUID) -> int:
    async with db.sessionmaker() as session:
        stats = await session.get(CustomerStats, str(customer_id))
        return 0 if stats is None else stats.contact_count


async def test_an_event_delivered_twice_is_applied_once(
    db: Database, broker: str, topic_prefix: str
) -> None:
    customer = uuid.uuid4()
    envelope = _envelope(customer)
    topic = topic_prefix + CONTACT_CALLS
    await produce(broker, topic, [envelope.to_bytes(), envelope.to_bytes()])

    async with consuming(db, broker, topic_prefix) as runner:
        await eventually(lambda: runner.processed + runner.duplicates == 2, what="both copies")
        assert (runner.processed, runner.duplicates) == (1, 1)

        # The same records delivered to this group once more, as after a crash before the
        # offset commit: each is skipped by its event id.
        for record in await read_topic(broker, topic, expect=2):
            await runner.handle_record(record)
        assert (runner.processed, runner.duplicates) == (1, 3)
    assert await _contacts(db, customer) == 1


async def test_offsets_are_committed_after_processing(
    db: Database, broker: str, topic_prefix: str
) -> None:
    topic = topic_prefix + CONTACT_CALLS
    first, second = uuid.uuid4(), uuid.uuid4()
    await produce(broker, topic, [_envelope(first).to_bytes()])
    async with consuming(db, broker, topic_prefix) as runner:
        await eventually(lambda: runner.processed == 1, what="first event")

    await produce(broker, topic, [_envelope(second).to_bytes()])
    async with consuming(db, broker, topic_prefix) as again:
        await eventually(lambda: again.processed == 1, what="second event")
        # The first event's offset was committed: it is not delivered to the group again.
        assert again.duplicates == 0
    assert await _contacts(db, first) == 1
    assert await _contacts(db, second) == 1


@pytest.mark.parametrize(
    "poison",
    [
        b"this is not json",
        b'{"specversion": "1.0", "id": "x"}',
        _envelope(uuid.uuid4()).model_copy(update={"data": {"customer_id": "nope"}}).to_bytes(),
        _envelope(uuid.uuid4()).model_copy(update={"dataversion": 99}).to_bytes(),
    ],
    ids=["not-json", "not-a-cloudevent", "data-invalid", "unknown-version"],
)
async def test_a_poison_message_goes_to_the_dead_letter_topic_and_later_ones_still_apply(
    db: Database, broker: str, topic_prefix: str, poison: bytes
) -> None:
    customer = uuid.uuid4()
    topic = topic_prefix + CONTACT_CALLS
    await produce(broker, topic, [poison, _envelope(customer).to_bytes()])

    async with consuming(db, broker, topic_prefix) as runner:
        await eventually(lambda: runner.processed == 1, what="the good event")
        assert runner.dead_lettered == 1

    dlq = await read_topic(broker, dead_letter_topic(topic_prefix + "scoring.test"), expect=1)
    assert len(dlq) == 1
    assert dlq[0].value == poison
    headers = {k: v.decode() for k, v in dlq[0].headers}
    assert headers["dlq-original-topic"] == topic
    assert headers["dlq-original-offset"] == "0"
    assert headers["dlq-error"]
    assert await _contacts(db, customer) == 1


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_its_attempts(
    db: Database, broker: str, topic_prefix: str
) -> None:
    calls: list[str] = []
    bad, good = _envelope(uuid.uuid4()), _envelope(uuid.uuid4())

    async def handler(session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        calls.append(envelope.id)
        if envelope.id == bad.id:
            raise ValueError("this customer breaks the rules")
        await on_call_event_recorded(session, event, envelope)

    await produce(broker, topic_prefix + CONTACT_CALLS, [bad.to_bytes(), good.to_bytes()])
    async with consuming(db, broker, topic_prefix, handler=handler, max_attempts=3) as runner:
        await eventually(lambda: runner.processed == 1, what="the good event")
        assert runner.dead_lettered == 1

    assert calls.count(bad.id) == 3
    dlq = await read_topic(broker, dead_letter_topic(topic_prefix + "scoring.test"), expect=1)
    headers = {k: v.decode() for k, v in dlq[0].headers}
    assert "this customer breaks the rules" in headers["dlq-error"]
    assert headers["dlq-attempts"] == "3"
    # Nothing the failing handler did was kept.
    async with db.sessionmaker() as session:
        assert await session.get(CustomerStats, bad.subject) is None


async def test_transient_errors_are_retried_beyond_the_attempt_limit_and_applied_once(
    db: Database, broker: str, topic_prefix: str
) -> None:
    customer = uuid.uuid4()
    failures = {"left": 5}

    async def flaky(session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        await on_call_event_recorded(session, event, envelope)
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("UPDATE", {}, ConnectionError("database went away"))

    await produce(broker, topic_prefix + CONTACT_CALLS, [_envelope(customer).to_bytes()])
    async with consuming(db, broker, topic_prefix, handler=flaky, max_attempts=2) as runner:
        await eventually(lambda: runner.processed == 1, what="applied after retries")
        assert runner.dead_lettered == 0
    assert await _contacts(db, customer) == 1


async def test_a_batch_handler_takes_a_poll_at_once_and_a_poison_event_alone_is_dead_lettered(
    db: Database, broker: str, topic_prefix: str
) -> None:
    customers = [uuid.uuid4() for _ in range(20)]
    good = [_envelope(c, n) for n, c in enumerate(customers)]
    bad = _envelope(uuid.uuid4(), 99)
    sizes: list[int] = []

    async def apply_all(session: AsyncSession, items: list[tuple[Any, CloudEvent]]) -> None:
        sizes.append(len(items))
        for event, envelope in items:
            if envelope.id == bad.id:
                raise ValueError("this customer breaks the rules")
            await on_call_event_recorded(session, event, envelope)

    # The poison in the middle, and the first event delivered twice.
    values = [e.to_bytes() for e in good[:10]] + [bad.to_bytes()]
    values += [e.to_bytes() for e in good[10:]] + [good[0].to_bytes()]
    await produce(broker, topic_prefix + CONTACT_CALLS, values)
    handler = BatchHandler(apply_all)
    async with consuming(db, broker, topic_prefix, handler=handler, max_attempts=3) as runner:
        await eventually(
            lambda: runner.processed == 20 and runner.dead_lettered == 1, what="all but the poison"
        )
        # The copy of the first event is the last record: it may be handled a moment later.
        await eventually(lambda: runner.duplicates == 1, timeout=10, what="the copy skipped")
        await asyncio.sleep(0.3)
        assert (runner.processed, runner.duplicates) == (20, 1)

    assert max(sizes) > 1, "the run was handed over together"
    assert sizes.count(1) >= 20, "after the failed run, one event per transaction"
    for customer in customers:
        assert await _contacts(db, customer) == 1
    dlq = await read_topic(broker, dead_letter_topic(topic_prefix + "scoring.test"), expect=1)
    assert [r.value for r in dlq] == [bad.to_bytes()]
    assert {k: v.decode() for k, v in dlq[0].headers}["dlq-attempts"] == "3"


async def test_a_batch_handler_applies_a_clean_poll_in_one_transaction(
    db: Database, broker: str, topic_prefix: str
) -> None:
    customer = uuid.uuid4()
    events = [_envelope(customer, n) for n in range(30)]
    sizes: list[int] = []

    async def apply_all(session: AsyncSession, items: list[tuple[Any, CloudEvent]]) -> None:
        sizes.append(len(items))
        for event, envelope in items:
            await on_call_event_recorded(session, event, envelope)

    await produce(broker, topic_prefix + CONTACT_CALLS, [e.to_bytes() for e in events])
    handler = BatchHandler(apply_all)
    async with consuming(db, broker, topic_prefix, handler=handler) as runner:
        await eventually(lambda: runner.processed == 30, what="30 events")
        # Delivered again, as after a crash before the offset commit: all skipped.
        records = await read_topic(broker, topic_prefix + CONTACT_CALLS, expect=30)
        await runner.handle_records(records)
        assert (runner.processed, runner.duplicates) == (30, 30)
    assert sum(sizes) == 30 and len(sizes) < 30
    assert await _contacts(db, customer) == 30
