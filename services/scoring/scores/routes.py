"""HTTP routes of a customer's scores."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.scoring.dependencies import Models, Settings
from services.scoring.scores import service
from services.scoring.scores.card import CustomerScore
from services.scoring.scores.schemas import CustomerScoreRead, HistoryEntry, ScoreHistoryRead
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
