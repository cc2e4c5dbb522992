"""`GET /v1/customers/{customer_id}/export`: what complaints keeps about a customer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.complaints.privacy import service
from shared.api import Session, allow
from shared.export import ServiceExport

router = APIRouter(prefix="/v1/customers", tags=["data protection"])


@router.get(
    "/{customer_id}/export",
    dependencies=allow("customers:export"),
    response_model=ServiceExport,
    summary="Export what complaints keeps about a customer",
    description=(
        "Every row about the customer and the ids merged into it: complaints, their audit "
        "trails and satisfaction surveys, the profile scoring sent, contacts seen, aliases. "
        "Complaints does not own customers: an id it never heard of has empty records. "
        "Called by the gateway's `GET /v1/customers/{customer_id}/export`."
    ),
)
async def export_customer(customer_id: uuid.UUID, session: Session) -> ServiceExport:
    return await service.export_customer(session, customer_id)
