"""Rebuilding statistics and scores from the event log, publishing nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select

from services.scoring.models import CustomerStats
from services.scoring.replay import replay
from services.scoring.settings import ScoringSettings
from shared.contracts.complaints import ComplaintFiledV1
from shared.contracts.topics import COMMERCE_TRANSACTIONS, COMPLAINTS_COMPLAINTS
from shared.db import Database, OutboxMessage
from shared.events import to_envelope
from tests.kafka_helpers import produce
from tests.scoring.conftest import NOW
from tests.scoring.helpers import order_record


async def test_replay_rebuilds_the_same_state_from_the_log_and_publishes_nothing(
    settings_for: Callable[..., ScoringSettings], broker: str, topic_prefix: str, db: Database
) -> None:
    customer = uuid.uuid4()
    orders = [
        order_record(customer, "20.00", d, tid=f"r{i}") for i, d in enumerate((40, 20, 20, 5))
    ]
    complaint = ComplaintFiledV1(
        complaint_id=uuid.uuid4(),
        customer_id=customer,
        category="billing",
        severity="high",
        priority="p1",
        filed_at=NOW,
    )
    await produce(broker, topic_prefix + COMMERCE_TRANSACTIONS, [*orders, orders[0]])
    await produce(
        broker,
        topic_prefix + COMPLAINTS_COMPLAINTS,
        [to_envelope(complaint, source="tests").to_bytes()],
    )
    settings = settings_for()

    first = await replay(settings, reset=False, show_progress=False)
    again = await replay(settings, reset=False, show_progress=False)
    rebuilt = await replay(settings, reset=True, show_progress=False)

    assert (first.records, first.applied, first.duplicates) == (6, 5, 1)
    assert (again.applied, again.duplicates) == (0, 6)
    assert rebuilt.applied == 5
    async with db.sessionmaker() as session:
        stats = await session.get(CustomerStats, str(customer))
        staged = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert stats is not None
    assert (stats.order_count, stats.purchase_days, stats.complaints_open) == (4, 3, 1)
    assert stats.net_spend == Decimal("80.00")
    assert stats.scored_at is not None
    assert staged == 0
