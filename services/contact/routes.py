"""HTTP routes of the contact service."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import service
from services.contact.schemas import (
    CallEventCreate,
    CallEventRead,
    CallEventRecorded,
    ContactCreate,
    ContactRead,
    ContactRecorded,
)
from services.contact.settings import ContactSettings
from shared.db import get_session

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def _settings(request: Request) -> ContactSettings:
    settings: ContactSettings = request.app.state.settings
    return settings


@router.post(
    "/events",
    response_model=CallEventRecorded,
    status_code=201,
    summary="Record a generic call event",
    description=(
        "Stores a call-progress event once per `(provider, call_id, sequence_number)`, ties it "
        "to the caller (an unknown number becomes a prospect) and publishes "
        "`contact.call_event_recorded`. When several customers share the caller's number the "
        "call is held: `customer_id` is null, `candidate_customer_ids` lists them, and the "
        "event is published once an agent picks one (`PUT /v1/calls/{id}/customer`). A "
        "repeated event answers 200 with `duplicate: true` and changes nothing."
    ),
    responses={
        200: {"description": "Already stored; nothing changed", "model": CallEventRecorded},
        422: {"description": "Invalid event", **_PROBLEM},
    },
)
async def record_call_event(
    data: CallEventCreate,
    session: Session,
    response: Response,
    settings: Annotated[ContactSettings, Depends(_settings)],
) -> CallEventRecorded:
    call_event, duplicate, call = await service.record_call_event(
        session, data, default_region=settings.default_region
    )
    if duplicate:
        response.status_code = 200
    response.headers["Location"] = f"/v1/contacts/events/{call_event.id}"
    return CallEventRecorded(
        **CallEventRead.model_validate(call_event).model_dump(),
        duplicate=duplicate,
        call_record_id=call.id,
        identification=call.identification,
        candidate_customer_ids=call.candidate_customer_ids,
    )


@router.get(
    "/events/{call_event_id}",
    response_model=CallEventRead,
    summary="Read a stored call event",
    responses={404: {"description": "No such call event", **_PROBLEM}},
)
async def read_call_event(call_event_id: uuid.UUID, session: Session) -> CallEventRead:
    return CallEventRead.model_validate(await service.get_call_event(session, call_event_id))


@router.post(
    "",
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
        404: {"description": "No such customer", **_PROBLEM},
        409: {
            "description": "Several customers share that phone; the problem lists them as "
            "`candidates`; send `customer_id`",
            **_PROBLEM,
        },
        422: {"description": "Invalid contact", **_PROBLEM},
    },
)
async def record_contact(
    data: ContactCreate,
    session: Session,
    response: Response,
    settings: Annotated[ContactSettings, Depends(_settings)],
) -> ContactRecorded:
    contact, duplicate = await service.record_contact(session, data, region=settings.default_region)
    if duplicate:
        response.status_code = 200
    return ContactRecorded(**ContactRead.model_validate(contact).model_dump(), duplicate=duplicate)
