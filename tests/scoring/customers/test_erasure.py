"""Customer erasures from `contact.customers`, and merges and erasures over the broker."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select

from services.scoring.errors import CustomerNotScoredError
from services.scoring.models import CustomerAlias, ErasedCustomer
from services.scoring.scores.service import Scorer, get_score
from services.scoring.settings import ScoringSettings
from shared.contracts.contact import CustomerDeletedV1
from shared.contracts.topics import COMMERCE_TRANSACTIONS, CONTACT_CUSTOMERS
from shared.db import Database
from shared.events import Event, to_envelope
from shared.inbox import Handler
from tests.kafka_helpers import eventually, produce
from tests.scoring import helpers
from tests.scoring.conftest import NOW, running


async def test_an_erasure_deletes_everything_and_later_events_are_ignored(
    db: Database, scorer: Scorer, handlers: dict[str, Handler]
) -> None:
    erased, merged, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await helpers.deliver(
        db,
        handlers,
        helpers.order(erased, "10.00", 30),
        helpers.order(erased, "12.00", 3),
        helpers.order(merged, "8.00", 3),
        helpers.filed(erased),
        helpers.call(erased),
        helpers.order(other, "5.00", 1),
    )
    await helpers.deliver(db, handlers, helpers.merged_event(erased, merged))
    assert (await helpers.rows_of(db, erased))["recorded_transaction"] == 3

    deleted = CustomerDeletedV1(customer_id=erased, deleted_at=NOW)
    await helpers.deliver(db, handlers, deleted)
    await helpers.deliver(db, handlers, deleted)  # redelivered: still fine

    empty = dict.fromkeys((t.__tablename__ for t in helpers.PER_CUSTOMER), 0)
    assert await helpers.rows_of(db, erased, merged) == empty
    later = [
        helpers.order(erased, "99.00", 0),
        helpers.order(merged, "1.00", 0),
        helpers.filed(erased),
    ]
    await helpers.deliver(db, handlers, *later, helpers.call(merged))
    assert await helpers.rows_of(db, erased, merged) == empty
    async with db.sessionmaker() as session:
        aliases = await session.scalar(select(func.count()).select_from(CustomerAlias))
        tombstones = set(await session.scalars(select(ErasedCustomer.customer_id)))
        with pytest.raises(CustomerNotScoredError):
            await get_score(session, erased, **helpers.models_of(scorer))
    assert aliases == 0
    assert tombstones == {str(erased), str(merged)}
    assert (await helpers.purchases_of(db, scorer, other))["orders"] == 1


async def test_merge_and_erasure_over_the_broker(
    settings_for: Callable[..., ScoringSettings], broker: str, topic_prefix: str
) -> None:
    survivor, merged, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def record(event: Event) -> bytes:
        return to_envelope(event, source="tests").to_bytes()

    merge = record(helpers.merged_event(survivor, merged))
    async with running(settings_for()) as client:
        first = [record(helpers.order(c, "20.00", 10)) for c in (survivor, merged, erased)]
        await produce(broker, topic_prefix + COMMERCE_TRANSACTIONS, first)

        async def scored(customer: uuid.UUID, orders: int) -> bool:
            response: httpx.Response = await client.get(f"/v1/customers/{customer}/score")
            return response.status_code == 200 and response.json()["purchases"]["orders"] == orders

        for customer in (survivor, merged, erased):
            await eventually(lambda c=customer: scored(c, 1), timeout=60, what="first orders")
        deleted = record(CustomerDeletedV1(customer_id=erased, deleted_at=NOW))
        await produce(broker, topic_prefix + CONTACT_CUSTOMERS, [merge, merge, deleted])

        async def gone(customer: uuid.UUID) -> bool:
            response = await client.get(f"/v1/customers/{customer}/score")
            return response.status_code == 404

        await eventually(lambda: gone(merged), timeout=60, what="the merged customer gone")
        await eventually(lambda: gone(erased), timeout=60, what="the erased customer gone")
        assert await scored(survivor, 2)
        later = [record(helpers.order(c, "5.00", 1)) for c in (merged, erased)]
        await produce(broker, topic_prefix + COMMERCE_TRANSACTIONS, later)
        await eventually(lambda: scored(survivor, 3), timeout=60, what="the later order counted")
        body = await client.post(
            "/v1/transactions",
            json={
                "transaction_id": "late",
                "customer_id": str(erased),
                "amount": "1.00",
                "occurred_at": NOW.isoformat(),
            },
        )
        assert body.status_code == 200, body.text
        assert (body.json()["accepted"], body.json()["duplicates"]) == (0, 0)
        assert await gone(erased)
