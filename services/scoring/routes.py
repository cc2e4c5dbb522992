"""HTTP routes of the scoring service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import service
from services.scoring.schemas import CustomerScoreRead
from shared.db import get_session

router = APIRouter(prefix="/v1/customers", tags=["scores"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


@router.get(
    "/{customer_id}/score",
    response_model=CustomerScoreRead,
    summary="A customer's current scores",
    responses={404: {"description": "No event about this customer has been seen"}},
)
async def read_score(customer_id: uuid.UUID, session: Session) -> CustomerScoreRead:
    return await service.get_score(session, customer_id)
