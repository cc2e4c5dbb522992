"""`GET /v1/customers/{customer_id}/export`: what scoring keeps about a customer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.scoring.privacy import service
from shared.api import Session, allow
from shared.export import ServiceExport

router = APIRouter(prefix="/v1/customers", tags=["data protection"])


@router.get(
    "/{customer_id}/export",
    dependencies=allow("customers:export"),
    response_model=ServiceExport,
    summary="Export what scoring keeps about a customer",
    description=(
        "Every row about the customer and the ids merged into it: statistics, purchase days, "
        "transactions, complaint states, score history, state changes, retention-programme "
        "memberships, aliases. An id scoring never saw (or "
        "erased) has empty records. Called by the gateway's "
        "`GET /v1/customers/{customer_id}/export`."
    ),
)
async def export_customer(customer_id: uuid.UUID, session: Session) -> ServiceExport:
    return await service.export_customer(session, customer_id)
