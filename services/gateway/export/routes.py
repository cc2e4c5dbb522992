"""`GET /v1/customers/{customer_id}/export`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.gateway.auth.dependencies import GatewayPermission
from services.gateway.dependencies import Settings
from services.gateway.export.schemas import CustomerExport
from services.gateway.export.service import gather_export
from services.gateway.proxy.service import upstream_urls
from shared.api import problem
from shared.db import utcnow
from shared.identity import Identity
from shared.logging import current_request_id

router = APIRouter(tags=["data protection"])


@router.get(
    "/v1/customers/{customer_id}/export",
    response_model=CustomerExport,
    summary="Everything Rapport keeps about a customer, from every service (right of access)",
    description=(
        "Gathers each service's `GET /v1/customers/{customer_id}/export` in parallel, with the "
        "caller's identity, into one document: contact (profile, identities, calls and their "
        "raw events, contacts, work items, offers), complaints (complaints, audit trails, "
        "surveys) and scoring (statistics, transactions, score history). Never partial: if "
        "a service is down, slow or failing the answer is a 503 naming it in `missing`; "
        "ask again later."
    ),
    responses={
        401: problem("No valid credential"),
        403: problem("The caller may not export customers"),
        404: problem("No such customer, or erased"),
        503: problem("A service could not give its part; the export would be incomplete"),
    },
    openapi_extra={"x-permission": "customers:export"},
)
async def export_customer(
    customer_id: uuid.UUID,
    request: Request,
    settings: Settings,
    caller: Annotated[Identity, Depends(GatewayPermission("customers:export"))],
) -> CustomerExport:
    services = await gather_export(
        request.app.state.http,
        customer_id,
        caller=caller,
        upstreams=upstream_urls(settings),
        secret=settings.internal_token_secret,
        request_id=current_request_id(),
    )
    return CustomerExport(customer_id=customer_id, exported_at=utcnow(), services=services)
