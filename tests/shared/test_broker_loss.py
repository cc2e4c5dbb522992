"""A broker that loses its log (the in-memory one restarted): nothing published is lost."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import registry
from shared.contracts.contact import CallEventRecordedV1
from shared.contracts.topics import CONTACT_CALLS
from shared.db import Database
from shared.events import CloudEvent, to_envelope
from shared.inbox import ConsumerRunner
from shared.incarnation import BrokerIncarnation, LogState
from shared.outbox import OutboxRelay
from tests.kafka_helpers import eventually, produce, read_topic
from tests.shared.outbox_helpers import recorded_call_event, running, stage_each
from tools.stack import Broker, free_port


@pytest.fixture
async def db(make_database: Callable[[str], str]) -> AsyncIterator[Database]:
    database = Database(make_database("scoring"))
    yield database
    await database.dispose()


@pytest.fixture
def own_broker() -> Any:
    broker = Broker(free_port()).start()
    yield broker
    broker.stop()


def _relay(db: Database, broker: Broker, prefix: str) -> OutboxRelay:
    return OutboxRelay(
        db,
        bootstrap_servers=broker.bootstrap,
        client_id="contact",
        topic_prefix=prefix,
        poll_interval=0.1,
        max_backoff=0.3,
        send_timeout=2.0,
        topics=[prefix + CONTACT_CALLS],
        check_interval=0.3,
    )


async def _sequence_numbers(broker: Broker, topic: str, expect: int) -> list[int]:
    records = await read_topic(broker.bootstrap, topic, expect=expect, timeout=30)
    first: dict[str, int] = {}
    for record in records:
        envelope = json.loads(record.value)
        first.setdefault(envelope["id"], envelope["data"]["sequence_number"])
    return list(first.values())


async def test_the_relay_sends_again_what_a_restarted_broker_lost(
    db: Database, own_broker: Broker, topic_prefix: str
) -> None:
    """Running relay: the broker restarts empty; a fresh relay: it starts on an empty broker.

    Both times every event published within the window reaches the new log again, in order,
    before the events staged after the loss.
    """
    topic = topic_prefix + CONTACT_CALLS
    customer = uuid.uuid4()
    relay = _relay(db, own_broker, topic_prefix)
    async with running(relay):
        await stage_each(db, [recorded_call_event(customer, n) for n in range(4)])
        await eventually(lambda: relay.published == 4, what="four rows published")
        own_broker.restart()  # in memory: the four records are gone
        await stage_each(db, [recorded_call_event(customer, n) for n in range(4, 6)])
        assert await _sequence_numbers(own_broker, topic, 6) == [0, 1, 2, 3, 4, 5]
        assert relay.republished >= 4

    # The service is down while the broker restarts (a second `make run` on the same data).
    own_broker.restart()
    fresh = _relay(db, own_broker, topic_prefix)
    async with running(fresh):
        await stage_each(db, [recorded_call_event(customer, 6)])
        assert await _sequence_numbers(own_broker, topic, 7) == [0, 1, 2, 3, 4, 5, 6]

    # Stopped and started again on the same broker: nothing to send again.
    again = _relay(db, own_broker, topic_prefix)
    async with running(again):
        await eventually(lambda: again.log_checks > 0, what="the broker's log checked")
        assert again.republished == 0


async def test_a_mark_tells_the_same_log_from_a_new_one(
    own_broker: Broker, topic_prefix: str
) -> None:
    first = BrokerIncarnation(own_broker.bootstrap, key="relay:a", topic_prefix=topic_prefix)
    other = BrokerIncarnation(own_broker.bootstrap, key="relay:b", topic_prefix=topic_prefix)
    try:
        assert await first.check() is LogState.UNKNOWN  # never marked this log
        assert await first.check() is LogState.SAME
        assert await other.check() is LogState.UNKNOWN
        # A process of the same key starting afresh finds the mark.
        later = BrokerIncarnation(own_broker.bootstrap, key="relay:a", topic_prefix=topic_prefix)
        assert await later.check() is LogState.SAME
        await later.close()

        own_broker.restart()
        # The other key marks the new log first: its record now sits where first's was.
        assert await other.check() is LogState.REPLACED
        assert await first.check() is LogState.REPLACED
        assert await first.check() is LogState.SAME
    finally:
        await first.close()
        await other.close()


async def _commit(bootstrap: str, group: str, topic: str, offset: int) -> None:
    """Commit `offset` for `group` on partition 0, as a consumer of the old log had.

    The broker refuses while a member that just left is still in the group: try again.
    """
    for _ in range(50):
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            await consumer.commit({tp: offset})
            return
        except CommitFailedError:
            await asyncio.sleep(0.2)
        finally:
            await consumer.stop()
    raise AssertionError(f"could not commit {offset} for {group}")


def _notices_a_new_log_only_when_set(runner: ConsumerRunner) -> asyncio.Event:
    """An event, set to begin with, that `runner` waits for before it checks the broker's log.

    Cleared across a restart, it holds the consumer's notice of the new log back until the
    test's commit of the old batch went through: the order is fixed, not left to timing.
    """
    gate = asyncio.Event()
    gate.set()
    notice = runner.offsets.replaced

    async def replaced_once_open() -> bool:
        await gate.wait()
        return await notice()

    runner.offsets.replaced = replaced_once_open  # type: ignore[method-assign]
    return gate


async def _commit_as_member(runner: ConsumerRunner, topic: str, offset: int) -> None:
    """Commit `offset` on partition 0 through `runner`'s own consumer, once it rejoined."""
    tp = TopicPartition(topic, 0)
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        consumer = runner._consumer
        try:
            if consumer is not None and tp in consumer.assignment():
                await consumer.commit({tp: offset})
                return
        except (CommitFailedError, KafkaError):
            pass  # the group is rebalancing
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"could not commit {offset} on {topic}")
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_consumer_reads_a_new_log_from_its_start(
    db: Database, own_broker: Broker, topic_prefix: str
) -> None:
    """The group's committed offset belongs to the log the broker lost.

    Offset 10 was committed on the old log. The new log holds four of those events sent
    again and six new ones: offset 10 is its end, and a consumer starting there would never
    apply the six new events. Each of them is applied, once. Then a group whose committed
    offset lies past the end of the log reads it from the start.
    """
    topic = topic_prefix + CONTACT_CALLS
    group = topic_prefix + "scoring.calls"
    applied: list[str] = []

    async def record(session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        applied.append(envelope.id)

    def runner(group_id: str = group) -> ConsumerRunner:
        return ConsumerRunner(
            db,
            group_id=group_id,
            topics=[CONTACT_CALLS],
            handlers={CallEventRecordedV1.type: record},
            registry=registry,
            bootstrap_servers=own_broker.bootstrap,
            topic_prefix=topic_prefix,
            session_timeout_ms=2000,
            base_backoff=0.05,
            max_backoff=0.3,
        )

    customer = uuid.uuid4()
    before = [to_envelope(recorded_call_event(customer, n), source="tests") for n in range(10)]
    after = [to_envelope(recorded_call_event(customer, n), source="tests") for n in range(10, 16)]
    await produce(own_broker.bootstrap, topic, [e.to_bytes() for e in before])
    async with running(runner()):
        await eventually(lambda: len(applied) == 10, what="ten events applied")

    own_broker.restart()
    await produce(own_broker.bootstrap, topic, [e.to_bytes() for e in before[6:] + after])
    await _commit(own_broker.bootstrap, group, topic, 10)
    async with running(runner()):
        await eventually(lambda: len(applied) == 16, timeout=20, what="the six new events")
        await asyncio.sleep(0.5)
    assert sorted(applied) == sorted(e.id for e in before + after)

    # Same log; a group that had read it, with a committed offset past its end (the topic was
    # recreated under it): it reads the partition from the start.
    other = topic_prefix + "complaints.calls"
    marked = BrokerIncarnation(
        own_broker.bootstrap, key=f"group:{other}", topic_prefix=topic_prefix
    )
    assert await marked.check() is LogState.UNKNOWN  # as its earlier run left it
    await _commit(own_broker.bootstrap, other, topic, 100)
    third = runner(other)
    async with running(third):
        await eventually(lambda: len(applied) == 26, timeout=20, what="the log read again")
    assert third.offsets.rewound == 1


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_an_offset_committed_from_the_lost_log_does_not_come_back(
    db: Database, own_broker: Broker, topic_prefix: str
) -> None:
    """A consumer commits, on the new log, the offset of a batch it read from the lost one.

    The embedded broker takes the commit from a member it has never seen. The consumer then
    notices the new log and reads it from the start; the partition is still empty, so it
    commits nothing more there. Its process is restarted before the new log fills up: the
    new process finds the mark its predecessor left (same log), and the group's committed
    offset, 10, now lies inside the twelve new events. Each of the twelve is applied.
    """
    topic = topic_prefix + CONTACT_CALLS
    group = topic_prefix + "scoring.calls"
    applied: list[str] = []

    async def record(session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        applied.append(envelope.id)

    def runner() -> ConsumerRunner:
        return ConsumerRunner(
            db,
            group_id=group,
            topics=[CONTACT_CALLS],
            handlers={CallEventRecordedV1.type: record},
            registry=registry,
            bootstrap_servers=own_broker.bootstrap,
            topic_prefix=topic_prefix,
            session_timeout_ms=2000,
            base_backoff=0.05,
            max_backoff=0.3,
        )

    customer = uuid.uuid4()
    before = [to_envelope(recorded_call_event(customer, n), source="tests") for n in range(10)]
    after = [to_envelope(recorded_call_event(customer, n), source="tests") for n in range(10, 22)]
    await produce(own_broker.bootstrap, topic, [e.to_bytes() for e in before])
    first = runner()
    committed = _notices_a_new_log_only_when_set(first)
    async with running(first):
        await eventually(lambda: len(applied) == 10, what="ten events applied")
        rewound = first.offsets.rewound
        committed.clear()
        own_broker.restart()
        await produce(own_broker.bootstrap, topic, [])  # the topic, empty, on the new log
        await _commit_as_member(first, topic, 10)  # the batch read before the loss
        committed.set()
        await eventually(
            lambda: first.offsets.rewound > rewound, timeout=20, what="the new log noticed"
        )
        await asyncio.sleep(0.5)

    await produce(own_broker.bootstrap, topic, [e.to_bytes() for e in after])
    async with running(runner()):
        await eventually(lambda: len(applied) == 22, timeout=20, what="the twelve new events")
        await asyncio.sleep(0.5)
    assert sorted(applied) == sorted(e.id for e in before + after)
