"""HTTP routes of the scoring service."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import service
from services.scoring.errors import TooManyTransactionsError, TransactionConflictError
from services.scoring.ledger import Transaction
from services.scoring.schemas import (
    ChurnRateRead,
    CustomerScoreRead,
    DistributionRead,
    EquityRead,
    ModelRead,
    ScoreHistoryRead,
    TransactionBatch,
    TransactionCreate,
    TransactionsRecorded,
)
from services.scoring.settings import ScoringSettings
from shared.db import get_session

Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def _settings(request: Request) -> ScoringSettings:
    settings: ScoringSettings = request.app.state.settings
    return settings


Settings = Annotated[ScoringSettings, Depends(_settings)]

router = APIRouter(prefix="/v1/customers", tags=["scores"])
transactions_router = APIRouter(prefix="/v1/transactions", tags=["transactions"])
model_router = APIRouter(prefix="/v1/model", tags=["model"])
population_router = APIRouter(prefix="/v1/scores", tags=["population"])


@router.get(
    "/{customer_id}/score",
    response_model=CustomerScoreRead,
    summary="A customer's current scores, with their inputs and reasons",
    responses={404: {"description": "No event about this customer has been seen", **_PROBLEM}},
)
async def read_score(
    customer_id: uuid.UUID, session: Session, settings: Settings
) -> CustomerScoreRead:
    return await service.get_score(session, customer_id, settings=settings)


@router.get(
    "/{customer_id}/score/history",
    response_model=ScoreHistoryRead,
    summary="Scores as published for a customer, newest first",
    responses={404: {"description": "No event about this customer has been seen", **_PROBLEM}},
)
async def read_history(
    customer_id: uuid.UUID,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ScoreHistoryRead:
    return await service.get_history(session, customer_id, limit=limit)


@transactions_router.post(
    "",
    response_model=TransactionsRecorded,
    summary="Record orders and refunds (one, or up to 10,000 in `transactions`)",
    description=(
        "Each transaction is applied once per `transaction_id`; repeats are counted as "
        "duplicates and change nothing. Customers not seen before get statistics."
    ),
    responses={
        409: {"description": "A transaction was recorded concurrently", **_PROBLEM},
        413: {"description": "More transactions than one request accepts", **_PROBLEM},
        422: {"description": "Invalid transaction", **_PROBLEM},
    },
)
async def record_transactions(
    body: TransactionCreate | TransactionBatch, session: Session, settings: Settings
) -> TransactionsRecorded:
    items = body.transactions if isinstance(body, TransactionBatch) else [body]
    if len(items) > settings.max_batch_transactions:
        raise TooManyTransactionsError(len(items), settings.max_batch_transactions)
    try:
        return await service.record_transactions(
            session, [Transaction(**t.model_dump()) for t in items], settings=settings
        )
    except IntegrityError as exc:
        raise TransactionConflictError() from exc


@model_router.get(
    "",
    response_model=ModelRead,
    summary="The latest fit: parameters, log-likelihood, fit time, tier cut points",
    responses={404: {"description": "No model fitted yet", **_PROBLEM}},
)
async def read_model(session: Session) -> ModelRead:
    return await service.get_model(session)


@model_router.post(
    "/refit",
    response_model=ModelRead,
    status_code=201,
    summary="Fit BG/NBD and Gamma-Gamma on every buyer now and rebuild the thresholds",
    responses={409: {"description": "Too few customers to fit", **_PROBLEM}},
)
async def refit(
    session: Session,
    settings: Settings,
    request: Request,
    background: BackgroundTasks,
    rescore: Annotated[
        bool, Query(description="Afterwards, rescore everyone and publish what changed.")
    ] = False,
) -> ModelRead:
    fit = await service.refit(session, settings=settings, trigger="api")
    if rescore:
        background.add_task(service.rescore_all, request.app.state.db, settings=settings)
    return fit


@population_router.get(
    "/distribution",
    response_model=DistributionRead,
    summary="Customers per tier, RFM segment and lifecycle stage",
    responses={404: {"description": "No model fitted yet", **_PROBLEM}},
)
async def read_distribution(session: Session, settings: Settings) -> DistributionRead:
    return await service.distribution(session, settings=settings)


@population_router.get(
    "/equity",
    response_model=EquityRead,
    summary="Customer equity: the sum of every customer's CLV",
    responses={404: {"description": "No model fitted yet", **_PROBLEM}},
)
async def read_equity(session: Session, settings: Settings) -> EquityRead:
    return await service.equity(session, settings=settings)


@population_router.get(
    "/churn-rate",
    response_model=ChurnRateRead,
    summary="Population churn rate over the horizon and average lifetime",
    responses={404: {"description": "No model fitted yet", **_PROBLEM}},
)
async def read_churn_rate(session: Session, settings: Settings) -> ChurnRateRead:
    return await service.churn_rate(session, settings=settings)


ROUTERS = (router, transactions_router, model_router, population_router)
