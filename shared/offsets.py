"""Where a consumer group reads from: offsets that belong to the log the broker holds now."""

from __future__ import annotations

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
        consumer = self._consumer
        assigned = consumer.assignment() if consumer is not None else set()
        if consumer is not None and assigned:
            await consumer.seek_to_beginning(*assigned)
            self.rewound += len(assigned)
        else:
            self._from_start = True
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
            self._from_start = False
            await consumer.seek_to_beginning(*assigned)
            self.rewound += len(assigned)
            return
        ends = await consumer.end_offsets(list(assigned))
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
                await consumer.seek_to_beginning(tp)
                self.rewound += 1
