"""HTTP routes of a customer's state."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.scoring.states import service
from services.scoring.states.schemas import CustomerStateRead, StateChangeRead
from shared.api import Session, allow, problem

router = APIRouter(
    prefix="/v1/customers",
    tags=["states"],
    responses={404: problem("No event about this customer has been seen")},
)


@router.get(
    "/{customer_id}/state",
    dependencies=allow("scores:read"),
    response_model=CustomerStateRead,
    summary="A customer's state (prospect, current, lost) derived from events, with its history",
)
async def read_state(
    customer_id: uuid.UUID,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CustomerStateRead:
    """The customer's state and the moves that led to it, newest first."""
    stats, changes = await service.get_state(session, customer_id, limit=limit)
    return CustomerStateRead(
        customer_id=customer_id,
        state=stats.state,
        since=stats.state_since,
        history=[StateChangeRead.model_validate(c) for c in changes],
    )
