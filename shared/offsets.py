"""Where a consumer group reads from: offsets that belong to the log the broker holds now."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from shared.incarnation import BrokerIncarnation, LogState
from shared.logging import get_logger

log = get_logger(__name__)


class OffsetGuard(ConsumerRebalanceListener):  # type: ignore[misc]
    """Sends a group's consumer back to the start of each partition when its offsets are stale.

    Offsets belong to one broker log. `starting()` (before the consumer starts) and
    `replaced()` (after a poll, before what it fetched is applied, once `check_interval`
    seconds have passed since the last check) check that the broker still holds the log the
    group read; on a new log (an in-memory broker restarted, topics recreated) every assigned
    partition is read again from the start, because positions and committed offsets point into
    the old one. As the rebalance listener it also sends back to the start a partition whose
    committed offset lies past the end of its log. Reading again is safe: consumers skip the
    events they applied by their processed-event rows.

    A partition sent back to the start has its start offset committed too. The group's
    committed offsets on the new log may come from the old one: a batch fetched before the
    loss is applied and its offset committed after it (the broker takes the commit), and the
    position that seek set lasts only until the next rebalance or restart, which would resume
    from that offset and skip whatever the new log holds below it. Until the start offsets
    are committed, every assignment is read from the start.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        group_id: str,
        topic_prefix: str = "",
        check_interval: float = 1.0,
    ) -> None:
        self.group_id = group_id
        self._incarnation = BrokerIncarnation(
            bootstrap_servers, key=f"group:{group_id}", topic_prefix=topic_prefix
        )
        self._check_interval = check_interval
        self._checked_at = 0.0
        self._from_start = False
        self._consumer: AIOKafkaConsumer | None = None
        self.rewound = 0

    async def starting(self, consumer: AIOKafkaConsumer) -> None:
        """Check the log before `consumer` joins; read from the start if it is new to the group."""
        self._consumer = consumer
        state = await self._incarnation.check()
        self._checked_at = time.monotonic()
        if state is not LogState.SAME:
            # Committed offsets here, if any, were not written while reading this log.
            self._from_start = True
            log.warning("consumer_new_broker_log", group=self.group_id, broker_log=state.value)

    async def replaced(self) -> bool:
        """True (and every partition rewound) when the broker lost the log since the last check."""
        if time.monotonic() - self._checked_at < self._check_interval:
            return False
        state = await self._incarnation.check()
        self._checked_at = time.monotonic()
        if state is LogState.SAME:
            return False
        log.warning("consumer_new_broker_log", group=self.group_id, broker_log=state.value)
        self._from_start = True  # until the start offsets are committed
        consumer = self._consumer
        if consumer is not None:
            await self._rewind(consumer, set(consumer.assignment()), every=True)
        return True

    async def close(self) -> None:
        """Close the guard's own connection to the broker."""
        self._consumer = None
        await self._incarnation.close()

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self._consumer
        if consumer is None or not assigned:
            return
        if self._from_start:
            await self._rewind(consumer, assigned, every=True)
            return
        ends = await consumer.end_offsets(list(assigned))
        past_end: set[TopicPartition] = set()
        for tp in assigned:
            committed = await consumer.committed(tp)
            if committed is not None and committed > ends[tp]:
                log.warning(
                    "committed_offset_past_end",
                    group=self.group_id,
                    topic=tp.topic,
                    partition=tp.partition,
                    committed=committed,
                    end=ends[tp],
                )
                past_end.add(tp)
        await self._rewind(consumer, past_end, every=False)

    async def _rewind(
        self, consumer: AIOKafkaConsumer, partitions: set[TopicPartition], *, every: bool
    ) -> None:
        """Read `partitions` from the start and commit their start offsets.

        `every`: these are all the partitions the member holds after a new log was found;
        once their start offsets are committed, later assignments trust the committed offsets
        again. A commit that fails (the group is rebalancing) leaves that to the next one.
        """
        if not partitions:
            return
        await consumer.seek_to_beginning(*partitions)
        try:
            # Bounded: this runs inside the group's rebalance, which a broker that stalls must
            # not hold up for ever; what is not committed now is read from the start next time.
            starts = await asyncio.wait_for(consumer.beginning_offsets(list(partitions)), 10)
            await asyncio.wait_for(consumer.commit(starts), 10)
        except Exception as exc:
            log.warning("start_offsets_commit_failed", group=self.group_id, error=repr(exc))
        else:
            log.info("start_offsets_committed", group=self.group_id, partitions=len(starts))
            self._from_start = self._from_start and not every
        self.rewound += len(partitions)
