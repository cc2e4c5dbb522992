"""`GET /v1/customers/{customer_id}/export`: what contact keeps about a customer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.contact.privacy import service
from shared.api import Session, allow, problem
from shared.export import ServiceExport

router = APIRouter(prefix="/v1/customers", tags=["data protection"])


@router.get(
    "/{customer_id}/export",
    dependencies=allow("customers:export"),
    response_model=ServiceExport,
    summary="Export what contact keeps about a customer",
    description=(
        "Every row about the customer and the customers merged into it, table by table: "
        "the customer, identities, calls with their raw provider events, the call-event "
        "API's events, contacts, work items and offers. Called by the gateway's "
        "`GET /v1/customers/{customer_id}/export`, which gathers every service's part. "
        "An unknown or erased customer is a 404."
    ),
    responses={404: problem("No such customer, or erased")},
)
async def export_customer(customer_id: uuid.UUID, session: Session) -> ServiceExport:
    return await service.export_customer(session, customer_id)
