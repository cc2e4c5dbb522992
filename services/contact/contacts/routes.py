"""HTTP routes for non-voice contacts and a customer's history across channels."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.contact.calls.routes import call_detail
from services.contact.contacts import service
from services.contact.contacts.schemas import (
    ContactCreate,
    ContactRead,
    ContactRecorded,
    Interaction,
    InteractionPage,
)
from services.contact.dependencies import Settings
from services.contact.models import Call, Contact
from shared.api import Session, allow, problem

router = APIRouter()


@router.post(
    "/v1/contacts",
    dependencies=allow("contacts:record"),
    response_model=ContactRecorded,
    status_code=201,
    summary="Record an e-mail, chat, web form or SMS contact",
    description=(
        "Stored once per `(channel, external_id)`; the customer is found by `customer_id`, "
        "`email` or `phone` (an unknown one becomes a prospect). Publishes "
        "`contact.contact_recorded`. A repeat answers 200 with `duplicate: true`."
    ),
    responses={
        200: {"description": "Already stored", "model": ContactRecorded},
        404: problem("No such customer"),
        409: problem(
            "Several customers share that phone; the problem lists them as `candidates`; "
            "send `customer_id`"
        ),
        422: problem("Invalid contact"),
    },
    tags=["contacts"],
)
async def record_contact(
    data: ContactCreate, session: Session, response: Response, settings: Settings
) -> ContactRecorded:
    contact, duplicate = await service.record_contact(session, data, region=settings.default_region)
    if duplicate:
        response.status_code = 200
    return ContactRecorded(**ContactRead.model_validate(contact).model_dump(), duplicate=duplicate)


async def _interaction(session: Session, item: Call | Contact) -> Interaction:
    if isinstance(item, Call):
        return Interaction(
            channel="voice",
            interaction_id=item.id,
            occurred_at=item.started_at,
            call=await call_detail(session, item),
        )
    return Interaction(
        channel=item.channel,
        interaction_id=item.id,
        occurred_at=item.occurred_at,
        contact=ContactRead.model_validate(item),
    )


@router.get(
    "/v1/customers/{customer_id}/interactions",
    dependencies=allow("customers:read"),
    response_model=InteractionPage,
    summary="Every contact of a customer across channels, newest first",
    responses={404: problem("Not found")},
    tags=["customers"],
)
async def customer_history(
    customer_id: uuid.UUID,
    session: Session,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> InteractionPage:
    page, next_cursor = await service.history(session, customer_id, cursor=cursor, limit=limit)
    return InteractionPage(
        items=[await _interaction(session, item) for item in page], next_cursor=next_cursor
    )
