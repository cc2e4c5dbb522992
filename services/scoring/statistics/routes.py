"""HTTP routes that record orders and refunds."""

from __future__ import annotations

from fastapi import APIRouter

from services.scoring.dependencies import Scoring
from services.scoring.statistics import service
from services.scoring.statistics.ledger import Transaction
from services.scoring.statistics.schemas import (
    TransactionBatch,
    TransactionCreate,
    TransactionsRecordedRead,
)
from shared.api import Session, allow, problem

router = APIRouter(prefix="/v1/transactions", tags=["transactions"])


@router.post(
    "",
    dependencies=allow("transactions:record"),
    response_model=TransactionsRecordedRead,
    summary="Record orders and refunds (one, or up to 10,000 in `transactions`)",
    description=(
        "Each transaction is applied once per `transaction_id`; repeats are counted as "
        "duplicates and change nothing. Customers not seen before get statistics. A refund's "
        "`refers_to` must be the `transaction_id` of an order already recorded or in the same "
        "request (else 422 `unknown-order`)."
    ),
    responses={
        409: problem("A transaction was recorded concurrently"),
        413: problem("More transactions than one request accepts"),
        422: problem("Invalid transaction, or a refund of an order never recorded"),
    },
)
async def record_transactions(
    body: TransactionCreate | TransactionBatch, session: Session, scorer: Scoring
) -> service.TransactionsRecorded:
    """Record orders and refunds and rescore the customers they touch."""
    items = body.transactions if isinstance(body, TransactionBatch) else [body]
    return await service.record_transactions(
        session,
        [Transaction(**t.model_dump()) for t in items],
        scorer=scorer,
    )
