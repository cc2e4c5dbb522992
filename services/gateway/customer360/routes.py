"""`GET /v1/customers/{customer_id}/360`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.gateway.auth.dependencies import GatewayPermission
from services.gateway.customer360.schemas import Customer360
from services.gateway.customer360.service import active_contacts, gather_360, open_complaints
from services.gateway.dependencies import Settings
from services.gateway.proxy.service import upstream_urls
from shared.api import problem
from shared.identity import Identity
from shared.logging import current_request_id

router = APIRouter(tags=["customer 360"])


@router.get(
    "/v1/customers/{customer_id}/360",
    response_model=Customer360,
    summary="A customer's whole picture: profile, scores, open complaints, contacts",
    description=(
        "Gathered from the contact, scoring and complaints services in parallel, with the "
        "caller's own permissions at each. Within `GATEWAY_CUSTOMER360_DEADLINE_SECONDS` it "
        "answers with what it has: a part whose service is down, slow or refuses the caller is "
        "null and named in `partial`, with the reason in `missing`."
    ),
    responses={
        401: problem("No valid credential"),
        403: problem("The caller may not read customers"),
        404: problem("No such customer"),
    },
    openapi_extra={"x-permission": "customers:read"},
)
async def customer_360(
    customer_id: uuid.UUID,
    request: Request,
    settings: Settings,
    caller: Annotated[Identity, Depends(GatewayPermission("customers:read"))],
) -> Customer360:
    gathered = await gather_360(
        request.app.state.http,
        customer_id,
        caller=caller,
        upstreams=upstream_urls(settings),
        secret=settings.internal_token_secret,
        deadline=settings.customer360_deadline_seconds,
        request_id=current_request_id(),
    )
    found = gathered.found
    history = found.get("contacts")
    return Customer360(
        customer=found.get("customer"),
        score=found.get("score"),
        open_complaints=open_complaints(found.get("complaints")),
        last_contacts=history.get("items") if history else None,
        active_contacts=active_contacts(history),
        partial=sorted(gathered.missing),
        missing=gathered.missing,
    )
