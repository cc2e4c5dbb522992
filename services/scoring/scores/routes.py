"""HTTP routes of a customer's scores."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.scoring.dependencies import Models, Settings
from services.scoring.scores import service
from services.scoring.scores.card import CustomerScore
from services.scoring.scores.loyalty import Loyalty
from services.scoring.scores.schemas import (
    CustomerLoyaltyRead,
    CustomerScoreRead,
    HistoryEntry,
    ScoreHistoryRead,
    WalletDeclare,
)
from shared.api import Session, allow, problem

router = APIRouter(
    prefix="/v1/customers",
    tags=["scores"],
    responses={404: problem("No event about this customer has been seen")},
)


@router.get(
    "/{customer_id}/score",
    dependencies=allow("scores:read"),
    response_model=CustomerScoreRead,
    summary="A customer's current scores, with their inputs and reasons",
)
async def read_score(
    customer_id: uuid.UUID, session: Session, settings: Settings, models: Models
) -> CustomerScore:
    """A customer's current scores, computed now."""
    return await service.get_score(session, customer_id, settings=settings, models=models)


@router.get(
    "/{customer_id}/score/history",
    dependencies=allow("scores:read"),
    response_model=ScoreHistoryRead,
    summary="Scores as published for a customer, newest first",
)
async def read_history(
    customer_id: uuid.UUID,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ScoreHistoryRead:
    """The scores published for a customer, newest first."""
    rows = await service.get_history(session, customer_id, limit=limit)
    return ScoreHistoryRead(
        customer_id=customer_id, entries=[HistoryEntry.model_validate(r) for r in rows]
    )


@router.get(
    "/{customer_id}/loyalty",
    dependencies=allow("scores:read"),
    response_model=CustomerLoyaltyRead,
    summary="A customer's loyalty: repeat purchase, share of wallet, price tolerance, NPS",
)
async def read_loyalty(customer_id: uuid.UUID, session: Session) -> Loyalty:
    """The customer's loyalty measures, computed now."""
    return await service.get_loyalty(session, customer_id)


@router.put(
    "/{customer_id}/wallet",
    dependencies=allow("wallets:declare"),
    response_model=CustomerLoyaltyRead,
    summary="Declare a customer's annual wallet (for share of wallet)",
    responses={422: problem("Invalid amount")},
)
async def declare_wallet(customer_id: uuid.UUID, body: WalletDeclare, session: Session) -> Loyalty:
    """Keep what the customer spends a year on what we sell anywhere; the loyalty it gives."""
    return await service.declare_wallet(session, customer_id, annual_wallet=body.annual_wallet)
