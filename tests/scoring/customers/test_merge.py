"""Customer merges from `contact.customers`: the merged customer folds into the survivor."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services.scoring.errors import CustomerNotScoredError
from services.scoring.model.service import refit
from services.scoring.models import ComplaintState, CustomerAlias, PurchaseDay
from services.scoring.population import reports
from services.scoring.population import repository as population_repository
from services.scoring.population.service import score_everyone
from services.scoring.scores import repository as score_repository
from services.scoring.scores.service import Scorer, get_score
from services.scoring.statistics.ledger import Transaction
from services.scoring.statistics.schemas import TransactionCreate
from services.scoring.statistics.service import record_transactions
from shared.db import Database, OutboxMessage
from shared.inbox import Handler
from tests.scoring.conftest import population
from tests.scoring.helpers import (
    PER_CUSTOMER,
    call,
    deliver,
    filed,
    merged_event,
    models_of,
    order,
    purchases_of,
    rows_of,
    same_for,
    stats_of,
)


async def test_a_merge_folds_the_merged_customer_into_the_survivor(
    db: Database, scorer: Scorer, handlers: dict[str, Handler]
) -> None:
    survivor, merged, control = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    own = [order(survivor, "10.00", 40), order(survivor, "25.00", 20)]
    theirs = [order(merged, "30.00", 60), order(merged, "12.50", 5)]
    complaint = uuid.uuid4()
    await deliver(db, handlers, *own, *theirs, filed(merged, complaint), call(merged))
    await deliver(db, handlers, call(survivor), *same_for(control, own + theirs))
    assert await rows_of(db, merged) == {
        "customer_stats": 1,
        "purchase_day": 2,
        "recorded_transaction": 2,
        "complaint_state": 1,
        "score_history": 1,  # the open complaint gave the merged customer a first risk
        "state_change": 1,  # current from the first purchase
    }

    await deliver(db, handlers, merged_event(survivor, merged))

    assert await rows_of(db, merged) == dict.fromkeys((t.__tablename__ for t in PER_CUSTOMER), 0)
    assert await purchases_of(db, scorer, survivor) == await purchases_of(db, scorer, control)
    purchases = await purchases_of(db, scorer, survivor)
    assert (purchases["orders"], purchases["purchase_days"], purchases["x"]) == (4, 4, 3)
    assert purchases["net_spend"] == Decimal("77.50")
    stats = await stats_of(db, survivor)
    assert stats is not None
    assert (stats.contact_count, stats.complaints_total, stats.complaints_open) == (2, 1, 1)
    assert stats.first_day_spend == Decimal("30.00")
    async with db.sessionmaker() as session:
        state = await session.get(ComplaintState, str(complaint))
        history = await score_repository.history(session, str(survivor), limit=10)
        everyone = [r.customer_id for r in await population_repository.all_stats(session)]
        with pytest.raises(CustomerNotScoredError):
            await get_score(session, merged, **models_of(scorer))
    assert state is not None and state.customer_id == str(survivor)
    assert [h.cause for h in history][-1] == "event"  # the merged customer's history moved
    assert str(merged) not in everyone and str(survivor) in everyone


async def test_purchases_on_the_same_day_are_combined(
    db: Database, scorer: Scorer, handlers: dict[str, Handler]
) -> None:
    survivor, merged, control = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    own = [order(survivor, "10.00", 30), order(survivor, "7.00", 3)]
    theirs = [order(merged, "5.00", 30), order(merged, "20.00", 12), order(merged, "1.00", 3)]
    await deliver(db, handlers, *own, *theirs, *same_for(control, own + theirs))

    await deliver(db, handlers, merged_event(survivor, merged))

    assert await purchases_of(db, scorer, survivor) == await purchases_of(db, scorer, control)
    async with db.sessionmaker() as session:
        days = await session.scalars(
            select(PurchaseDay.spend)
            .where(PurchaseDay.customer_id == str(survivor))
            .order_by(PurchaseDay.day)
        )
        assert list(days) == [Decimal("15.00"), Decimal("20.00"), Decimal("8.00")]
    stats = await stats_of(db, survivor)
    assert stats is not None
    assert (stats.order_count, stats.purchase_days) == (5, 3)
    assert stats.first_day_spend == Decimal("15.00")


async def test_later_events_for_the_merged_id_count_for_the_survivor(
    db: Database, scorer: Scorer, handlers: dict[str, Handler]
) -> None:
    survivor, merged, first = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    early = order(merged, "40.00", 20, tid="early")
    await deliver(db, handlers, order(survivor, "10.00", 30), early)
    await deliver(db, handlers, merged_event(survivor, merged))
    # An id merged into one that is merged later still reaches the final survivor.
    await deliver(db, handlers, order(first, "3.00", 25), merged_event(merged, first))

    refund = order(merged, "15.00", 1, kind="refund", refers_to="early")
    await deliver(db, handlers, order(merged, "9.00", 2), refund, early, filed(merged))
    async with db.sessionmaker() as session:
        await record_transactions(
            session, [Transaction(**order(first, "1.00", 1).model_dump())], scorer=scorer
        )
        await session.commit()

    for gone in (merged, first):
        assert await stats_of(db, gone) is None
    stats = await stats_of(db, survivor)
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
    db: Database, scorer: Scorer, handlers: dict[str, Handler]
) -> None:
    survivor, merged = uuid.uuid4(), uuid.uuid4()
    await deliver(db, handlers, order(survivor, "10.00", 30), order(merged, "20.00", 10))
    merge = merged_event(survivor, merged)
    await deliver(db, handlers, merge)
    before = await purchases_of(db, scorer, survivor)
    async with db.sessionmaker() as session:
        staged = await session.scalar(select(func.count()).select_from(OutboxMessage))

    # The same merge again under a new event id (the runner's dedup cannot catch it).
    await deliver(db, handlers, merge, merge)
    assert await purchases_of(db, scorer, survivor) == before
    assert await stats_of(db, merged) is None
    # Neither customer known to scoring: only the alias is recorded, no statistics created.
    strangers = uuid.uuid4(), uuid.uuid4()
    await deliver(db, handlers, merged_event(*strangers), merged_event(survivor, survivor))
    async with db.sessionmaker() as session:
        again = await session.scalar(select(func.count()).select_from(OutboxMessage))
        aliases = await session.scalar(select(func.count()).select_from(CustomerAlias))
    assert again == staged
    assert aliases == 2
    for stranger in strangers:
        assert await stats_of(db, stranger) is None


async def test_a_merge_publishes_the_survivors_new_tier(
    db: Database, scorer: Scorer, handlers: dict[str, Handler]
) -> None:
    survivor, merged = uuid.uuid4(), uuid.uuid4()
    async with db.sessionmaker() as session:
        seed = [Transaction(**TransactionCreate(**t).model_dump()) for t in population(150)]
        await record_transactions(session, seed, scorer=scorer)
        await refit(session, **models_of(scorer))
        await session.commit()
    # Apart: a one-time small buyer and a big spender; together the burst that makes gold.
    big = [order(merged, "500.00", d) for d in (90, 70, 50, 30, 10)]
    await deliver(db, handlers, order(survivor, "10.00", 120), *big)
    async with db.sessionmaker() as session:
        before = await get_score(session, survivor, **models_of(scorer))
        customers = (await score_everyone(session, **models_of(scorer))).customers
    assert before.value is not None and before.value.tier != "gold"

    await deliver(db, handlers, merged_event(survivor, merged))

    async with db.sessionmaker() as session:
        after = await get_score(session, survivor, **models_of(scorer))
        distribution = reports.distribution(await score_everyone(session, **models_of(scorer)))
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
