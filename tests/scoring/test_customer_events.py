"""Customer merges and erasures from `contact.customers`, on both backends."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.scoring import repository, service
from services.scoring.consumers import consumer_specs
from services.scoring.errors import CustomerNotScoredError
from services.scoring.ledger import Transaction
from services.scoring.models import (
    ComplaintState,
    CustomerAlias,
    CustomerStats,
    ErasedCustomer,
    PurchaseDay,
    RecordedTransaction,
    ScoreHistory,
)
from services.scoring.schemas import TransactionCreate
from services.scoring.settings import ScoringSettings
from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.complaints import ComplaintFiledV1
from shared.contracts.contact import CallEventRecordedV1, CustomerDeletedV1, CustomersMergedV1
from shared.contracts.topics import COMMERCE_TRANSACTIONS, CONTACT_CUSTOMERS
from shared.db import Database, OutboxMessage
from shared.events import Event, to_envelope
from shared.inbox import Handler
from tests.kafka_helpers import eventually, produce
from tests.scoring.conftest import NOW, population, running

PER_CUSTOMER = (CustomerStats, PurchaseDay, RecordedTransaction, ComplaintState, ScoreHistory)
PURCHASE_KEYS = (
    "orders",
    "refunds",
    "gross_spend",
    "refunded",
    "net_spend",
    "purchase_days",
    "x",
    "t_x_weeks",
    "T_weeks",
    "mean_repeat_spend",
)


@pytest.fixture
def settings(settings_for: Callable[..., ScoringSettings]) -> ScoringSettings:
    """Test settings over the test's database (the same one the `db` fixture reads)."""
    return settings_for()


@pytest.fixture
def handlers(settings: ScoringSettings) -> dict[str, Handler]:
    """Every handler of every scoring consumer group, as the runner would call them."""
    out: dict[str, Handler] = {}
    for spec in consumer_specs(settings):
        out.update(spec.handlers)
    return out


async def _deliver(db: Database, handlers: dict[str, Handler], *events: Event) -> None:
    """Apply events through their handlers in one committed transaction, as the runner does."""
    async with db.sessionmaker() as session:
        for event in events:
            await handlers[event.type](session, event, to_envelope(event, source="tests"))
        await session.commit()


def _order(
    customer: uuid.UUID,
    amount: str,
    days_ago: float,
    *,
    tid: str | None = None,
    kind: str = "order",
    refers_to: str | None = None,
) -> TransactionRecordedV1:
    return TransactionRecordedV1(
        transaction_id=tid or uuid.uuid4().hex,
        customer_id=customer,
        kind=kind,
        amount=Decimal(amount),
        occurred_at=NOW - dt.timedelta(days=days_ago),
        refers_to=refers_to,
    )


def _same_for(customer: uuid.UUID, events: list[TransactionRecordedV1]) -> list[Event]:
    """The same purchases made by another customer (fresh transaction ids)."""
    return [
        e.model_copy(update={"customer_id": customer, "transaction_id": uuid.uuid4().hex})
        for e in events
    ]


def _merged(survivor: uuid.UUID, merged: uuid.UUID) -> CustomersMergedV1:
    return CustomersMergedV1(
        customer_id=survivor,
        merged_customer_id=merged,
        identities_moved=1,
        interactions_moved=2,
        merged_at=NOW,
    )


def _filed(customer: uuid.UUID, complaint: uuid.UUID | None = None) -> ComplaintFiledV1:
    return ComplaintFiledV1(
        complaint_id=complaint or uuid.uuid4(),
        customer_id=customer,
        category="billing",
        severity="high",
        priority="p1",
        filed_at=NOW,
    )


def _call(customer: uuid.UUID) -> CallEventRecordedV1:
    return CallEventRecordedV1(
        call_event_id=uuid.uuid4(),
        customer_id=customer,
        provider="twilio",
        call_id=uuid.uuid4().hex,
        sequence_number=0,
        status="ringing",
        occurred_at=NOW,
        first_event_of_call=True,
    )


async def _purchases(db: Database, settings: ScoringSettings, customer: uuid.UUID) -> Any:
    async with db.sessionmaker() as session:
        score = await service.get_score(session, customer, settings=settings)
    return score.purchases.model_dump(include=set(PURCHASE_KEYS))


async def _rows(db: Database, *customers: uuid.UUID) -> dict[str, int]:
    """Rows per per-customer table whose customer id is one of `customers`."""
    ids = [str(c) for c in customers]
    out: dict[str, int] = {}
    async with db.sessionmaker() as session:
        for table in PER_CUSTOMER:
            out[table.__tablename__] = (
                await session.scalar(
                    select(func.count()).select_from(table).where(table.customer_id.in_(ids))
                )
                or 0
            )
    return out


async def _stats(db: Database, customer: uuid.UUID) -> CustomerStats | None:
    async with db.sessionmaker() as session:
        return await session.get(CustomerStats, str(customer))


async def test_a_merge_folds_the_merged_customer_into_the_survivor(
    db: Database, settings: ScoringSettings, handlers: dict[str, Handler]
) -> None:
    survivor, merged, control = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    own = [_order(survivor, "10.00", 40), _order(survivor, "25.00", 20)]
    theirs = [_order(merged, "30.00", 60), _order(merged, "12.50", 5)]
    complaint = uuid.uuid4()
    await _deliver(db, handlers, *own, *theirs, _filed(merged, complaint), _call(merged))
    await _deliver(db, handlers, _call(survivor), *_same_for(control, own + theirs))
    assert await _rows(db, merged) == {
        "customer_stats": 1,
        "purchase_day": 2,
        "recorded_transaction": 2,
        "complaint_state": 1,
        "score_history": 1,  # the open complaint gave the merged customer a first risk
    }

    await _deliver(db, handlers, _merged(survivor, merged))

    assert await _rows(db, merged) == dict.fromkeys((t.__tablename__ for t in PER_CUSTOMER), 0)
    assert await _purchases(db, settings, survivor) == await _purchases(db, settings, control)
    purchases = await _purchases(db, settings, survivor)
    assert (purchases["orders"], purchases["purchase_days"], purchases["x"]) == (4, 4, 3)
    assert purchases["net_spend"] == Decimal("77.50")
    stats = await _stats(db, survivor)
    assert stats is not None
    assert (stats.contact_count, stats.complaints_total, stats.complaints_open) == (2, 1, 1)
    assert stats.first_day_spend == Decimal("30.00")
    async with db.sessionmaker() as session:
        state = await session.get(ComplaintState, str(complaint))
        history = await repository.history(session, str(survivor), limit=10)
        everyone = [r.customer_id for r in await repository.all_stats(session)]
        with pytest.raises(CustomerNotScoredError):
            await service.get_score(session, merged, settings=settings)
    assert state is not None and state.customer_id == str(survivor)
    assert [h.cause for h in history][-1] == "event"  # the merged customer's history moved
    assert str(merged) not in everyone and str(survivor) in everyone


async def test_purchases_on_the_same_day_are_combined(
    db: Database, settings: ScoringSettings, handlers: dict[str, Handler]
) -> None:
    survivor, merged, control = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    own = [_order(survivor, "10.00", 30), _order(survivor, "7.00", 3)]
    theirs = [_order(merged, "5.00", 30), _order(merged, "20.00", 12), _order(merged, "1.00", 3)]
    await _deliver(db, handlers, *own, *theirs, *_same_for(control, own + theirs))

    await _deliver(db, handlers, _merged(survivor, merged))

    assert await _purchases(db, settings, survivor) == await _purchases(db, settings, control)
    async with db.sessionmaker() as session:
        days = await session.scalars(
            select(PurchaseDay.spend)
            .where(PurchaseDay.customer_id == str(survivor))
            .order_by(PurchaseDay.day)
        )
        assert list(days) == [Decimal("15.00"), Decimal("20.00"), Decimal("8.00")]
    stats = await _stats(db, survivor)
    assert stats is not None
    assert (stats.order_count, stats.purchase_days) == (5, 3)
    assert stats.first_day_spend == Decimal("15.00")


async def test_later_events_for_the_merged_id_count_for_the_survivor(
    db: Database, settings: ScoringSettings, handlers: dict[str, Handler]
) -> None:
    survivor, merged, first = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    early = _order(merged, "40.00", 20, tid="early")
    await _deliver(db, handlers, _order(survivor, "10.00", 30), early)
    await _deliver(db, handlers, _merged(survivor, merged))
    # An id merged into one that is merged later still reaches the final survivor.
    await _deliver(db, handlers, _order(first, "3.00", 25), _merged(merged, first))

    refund = _order(merged, "15.00", 1, kind="refund", refers_to="early")
    await _deliver(db, handlers, _order(merged, "9.00", 2), refund, early, _filed(merged))
    async with db.sessionmaker() as session:
        await service.record_transactions(
            session,
            [Transaction(**_order(first, "1.00", 1).model_dump())],
            settings=settings,
        )
        await session.commit()

    for gone in (merged, first):
        assert await _stats(db, gone) is None
    stats = await _stats(db, survivor)
    assert stats is not None
    assert (stats.order_count, stats.refund_count, stats.complaints_open) == (5, 1, 1)
    assert stats.net_spend == Decimal("48.00")
    async with db.sessionmaker() as session:
        refunded_day = await session.get(PurchaseDay, (str(survivor), early.occurred_at.date()))
        aliases = dict(
            (
                await session.execute(select(CustomerAlias.merged_id, CustomerAlias.customer_id))
            ).all()
        )
    assert refunded_day is not None and refunded_day.spend == Decimal("25.00")
    assert aliases == {str(merged): str(survivor), str(first): str(survivor)}


async def test_a_redelivered_or_empty_merge_is_harmless(
    db: Database, settings: ScoringSettings, handlers: dict[str, Handler]
) -> None:
    survivor, merged = uuid.uuid4(), uuid.uuid4()
    await _deliver(db, handlers, _order(survivor, "10.00", 30), _order(merged, "20.00", 10))
    merge = _merged(survivor, merged)
    await _deliver(db, handlers, merge)
    before = await _purchases(db, settings, survivor)
    async with db.sessionmaker() as session:
        staged = await session.scalar(select(func.count()).select_from(OutboxMessage))

    # The same merge again under a new event id (the runner's dedup cannot catch it).
    await _deliver(db, handlers, merge, merge)
    assert await _purchases(db, settings, survivor) == before
    assert await _stats(db, merged) is None
    # Neither customer known to scoring: only the alias is recorded, no statistics created.
    strangers = uuid.uuid4(), uuid.uuid4()
    await _deliver(db, handlers, _merged(*strangers), _merged(survivor, survivor))
    async with db.sessionmaker() as session:
        again = await session.scalar(select(func.count()).select_from(OutboxMessage))
        aliases = await session.scalar(select(func.count()).select_from(CustomerAlias))
    assert again == staged
    assert aliases == 2
    for stranger in strangers:
        assert await _stats(db, stranger) is None


async def test_an_erasure_deletes_everything_and_later_events_are_ignored(
    db: Database, settings: ScoringSettings, handlers: dict[str, Handler]
) -> None:
    erased, merged, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await _deliver(
        db,
        handlers,
        _order(erased, "10.00", 30),
        _order(erased, "12.00", 3),
        _order(merged, "8.00", 3),
        _filed(erased),
        _call(erased),
        _order(other, "5.00", 1),
    )
    await _deliver(db, handlers, _merged(erased, merged))
    assert (await _rows(db, erased))["recorded_transaction"] == 3

    deleted = CustomerDeletedV1(customer_id=erased, deleted_at=NOW)
    await _deliver(db, handlers, deleted)
    await _deliver(db, handlers, deleted)  # redelivered: still fine

    empty = dict.fromkeys((t.__tablename__ for t in PER_CUSTOMER), 0)
    assert await _rows(db, erased, merged) == empty
    later = [_order(erased, "99.00", 0), _order(merged, "1.00", 0), _filed(erased)]
    await _deliver(db, handlers, *later, _call(merged))
    assert await _rows(db, erased, merged) == empty
    async with db.sessionmaker() as session:
        aliases = await session.scalar(select(func.count()).select_from(CustomerAlias))
        tombstones = set(await session.scalars(select(ErasedCustomer.customer_id)))
        with pytest.raises(CustomerNotScoredError):
            await service.get_score(session, erased, settings=settings)
    assert aliases == 0
    assert tombstones == {str(erased), str(merged)}
    assert (await _purchases(db, settings, other))["orders"] == 1


async def test_a_merge_publishes_the_survivors_new_tier(
    db: Database, settings: ScoringSettings, handlers: dict[str, Handler]
) -> None:
    survivor, merged = uuid.uuid4(), uuid.uuid4()
    async with db.sessionmaker() as session:
        seed = [Transaction(**TransactionCreate(**t).model_dump()) for t in population(150)]
        await service.record_transactions(session, seed, settings=settings)
        await service.refit(session, settings=settings)
        await session.commit()
    # Apart: a one-time small buyer and a big spender; together the burst that makes gold.
    big = [_order(merged, "500.00", d) for d in (90, 70, 50, 30, 10)]
    await _deliver(db, handlers, _order(survivor, "10.00", 120), *big)
    async with db.sessionmaker() as session:
        before = await service.get_score(session, survivor, settings=settings)
        customers = (await service.distribution(session, settings=settings)).customers
    assert before.value is not None and before.value.tier != "gold"

    await _deliver(db, handlers, _merged(survivor, merged))

    async with db.sessionmaker() as session:
        after = await service.get_score(session, survivor, settings=settings)
        distribution = await service.distribution(session, settings=settings)
        rows = await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.event_type == "scoring.tier_changed",
                OutboxMessage.key == str(survivor),
            )
        )
        changes = [json.loads(p)["data"] for p in rows]
    assert after.value is not None and after.value.tier == "gold"
    assert after.purchases.net_spend == Decimal("2510.00")
    assert changes[-1]["tier"] == "gold"
    assert changes[-1]["previous_tier"] == before.value.tier
    assert distribution.customers == customers - 1


async def test_merge_and_erasure_over_the_broker(
    settings_for: Callable[..., ScoringSettings], broker: str, topic_prefix: str
) -> None:
    survivor, merged, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def record(event: Event) -> bytes:
        return to_envelope(event, source="tests").to_bytes()

    merge = record(_merged(survivor, merged))
    async with running(settings_for()) as client:
        first = [record(_order(c, "20.00", 10)) for c in (survivor, merged, erased)]
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
        later = [record(_order(c, "5.00", 1)) for c in (merged, erased)]
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
