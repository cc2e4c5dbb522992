"""Shared helpers of the scoring tests: event builders, delivery as the runner does it, reads."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from services.scoring.models import (
    ComplaintState,
    CustomerStats,
    PurchaseDay,
    RecordedTransaction,
    ScoreHistory,
    StateChange,
)
from services.scoring.scores.service import Scorer, get_score
from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.complaints import ComplaintFiledV1
from shared.contracts.contact import CallEventRecordedV1, CustomersMergedV1
from shared.db import Database, OutboxMessage
from shared.events import Event, to_envelope
from shared.inbox import Handler
from tests.scoring.conftest import NOW, population

PER_CUSTOMER = (
    CustomerStats,
    PurchaseDay,
    RecordedTransaction,
    ComplaintState,
    ScoreHistory,
    StateChange,
)
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


def models_of(scorer: Scorer) -> dict[str, Any]:
    """The settings and model cache arguments of reads and refits, from the scorer."""
    return {"settings": scorer.settings, "models": scorer.models}


async def deliver(db: Database, handlers: dict[str, Handler], *events: Event) -> None:
    """Apply events through their handlers in one committed transaction, as the runner does."""
    async with db.sessionmaker() as session:
        for event in events:
            await handlers[event.type](session, event, to_envelope(event, source="tests"))
        await session.commit()


def order(
    customer: uuid.UUID,
    amount: str,
    days_ago: float,
    *,
    tid: str | None = None,
    kind: str = "order",
    refers_to: str | None = None,
) -> TransactionRecordedV1:
    """An order (or refund) event of the customer, `days_ago` days back."""
    return TransactionRecordedV1(
        transaction_id=tid or uuid.uuid4().hex,
        customer_id=customer,
        kind=kind,
        amount=Decimal(amount),
        occurred_at=NOW - dt.timedelta(days=days_ago),
        refers_to=refers_to,
    )


def order_record(
    customer: uuid.UUID, amount: str, days_ago: float, tid: str | None = None
) -> bytes:
    """An order of the customer as a record on the transactions topic."""
    return to_envelope(order(customer, amount, days_ago, tid=tid), source="tests").to_bytes()


def same_for(customer: uuid.UUID, events: list[TransactionRecordedV1]) -> list[Event]:
    """The same purchases made by another customer (fresh transaction ids)."""
    return [
        e.model_copy(update={"customer_id": customer, "transaction_id": uuid.uuid4().hex})
        for e in events
    ]


def merged_event(survivor: uuid.UUID, merged: uuid.UUID) -> CustomersMergedV1:
    """`merged` merged into `survivor`, now."""
    return CustomersMergedV1(
        customer_id=survivor,
        merged_customer_id=merged,
        identities_moved=1,
        interactions_moved=2,
        merged_at=NOW,
    )


def filed(customer: uuid.UUID, complaint: uuid.UUID | None = None) -> ComplaintFiledV1:
    """A complaint of the customer filed now."""
    return ComplaintFiledV1(
        complaint_id=complaint or uuid.uuid4(),
        customer_id=customer,
        category="billing",
        severity="high",
        priority="p1",
        filed_at=NOW,
    )


def call(customer: uuid.UUID) -> CallEventRecordedV1:
    """The first event of a new call from the customer."""
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


async def purchases_of(db: Database, scorer: Scorer, customer: uuid.UUID) -> dict[str, Any]:
    """The customer's purchase statistics and model inputs, as the score shows them."""
    async with db.sessionmaker() as session:
        score = await get_score(session, customer, settings=scorer.settings, models=scorer.models)
    return {key: getattr(score.purchases, key) for key in PURCHASE_KEYS}


async def rows_of(db: Database, *customers: uuid.UUID) -> dict[str, int]:
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


async def stats_of(db: Database, customer: uuid.UUID) -> CustomerStats | None:
    """The customer's statistics row, if any."""
    async with db.sessionmaker() as session:
        return await session.get(CustomerStats, str(customer))


async def staged(db: Database, event_type: str) -> list[dict[str, Any]]:
    """The outbox envelopes of that event type, oldest first."""
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.event_type == event_type)
            .order_by(OutboxMessage.id)
        )
        return [json.loads(p) for p in rows]


async def fitted(client: httpx.AsyncClient, n: int = 150) -> dict[str, Any]:
    """Record `n` synthetic customers' purchases and refit; the fit as the API shows it."""
    response = await client.post("/v1/transactions", json={"transactions": population(n)})
    assert response.status_code == 200, response.text
    refit = await client.post("/v1/model/refit")
    assert refit.status_code == 201, refit.text
    return refit.json()  # type: ignore[no-any-return]
