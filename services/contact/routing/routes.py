"""Answering offers, routing chats, e-mails and call-backs, and finishing contacts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.contact.dependencies import Settings
from services.contact.routing import answers, lines
from services.contact.routing.schemas import OfferRead, WorkItemCreate, WorkItemRead
from shared.api import Session, allow, problem
from shared.db import utcnow
from shared.identity import Identity, Requires

router = APIRouter(tags=["routing"])
Answering = Annotated[Identity, Depends(Requires("offers:answer"))]
_OFFER_ERRORS: dict[int | str, dict[str, Any]] = {
    403: problem("Not your offer"),
    404: problem("No such offer"),
    409: problem("The offer is no longer pending"),
}


@router.post(
    "/v1/offers/{offer_id}/accept",
    response_model=OfferRead,
    summary="Accept an offer: the contact is yours; a call is connected to you",
    responses=_OFFER_ERRORS,
)
async def accept_offer(
    offer_id: uuid.UUID, session: Session, settings: Settings, caller: Answering
) -> OfferRead:
    offer = await answers.accept_offer(session, settings, offer_id, caller=caller, now=utcnow())
    return OfferRead.model_validate(offer)


@router.post(
    "/v1/offers/{offer_id}/reject",
    response_model=OfferRead,
    summary="Reject an offer: the contact goes back to the line, to someone else",
    responses=_OFFER_ERRORS,
)
async def reject_offer(offer_id: uuid.UUID, session: Session, caller: Answering) -> OfferRead:
    offer = await answers.reject_offer(session, offer_id, caller=caller, now=utcnow())
    return OfferRead.model_validate(offer)


@router.post(
    "/v1/work-items",
    dependencies=allow("work-items:create"),
    response_model=WorkItemRead,
    status_code=201,
    summary="Put a chat, e-mail or call-back task in a queue's line",
    description=(
        "It waits with the same priority rules as calls (queue, the customer's tier and churn "
        "risk, then age) and is offered to an agent with the queue's skills and a free slot "
        "on its channel. Calls enter their line by themselves when the phone system queues them."
    ),
    responses={422: problem("Invalid work item")},
)
async def create_work_item(
    data: WorkItemCreate, session: Session, settings: Settings
) -> WorkItemRead:
    item = await lines.enter_line(
        session,
        settings,
        queue_name=data.queue,
        channel=data.channel,
        entered_at=utcnow(),
        customer_id=data.customer_id,
        contact_id=data.contact_id,
        subject=data.subject,
    )
    return WorkItemRead.model_validate(item)


@router.get(
    "/v1/work-items/{item_id}",
    response_model=WorkItemRead,
    summary="Read a routed contact: its place, priority with reasons, and fate",
    description=(
        "An agent reads the contacts in their hands or offered to them; a supervisor those of "
        "their teams' agents and those still waiting; admins and systems any."
    ),
    responses={403: problem("Not your contact"), 404: problem("No such work item")},
)
async def read_work_item(
    item_id: uuid.UUID,
    session: Session,
    caller: Annotated[Identity, Depends(Requires("queues:read"))],
) -> WorkItemRead:
    return WorkItemRead.model_validate(await answers.read_work_item(session, item_id, caller))


@router.post(
    "/v1/work-items/{item_id}/complete",
    response_model=WorkItemRead,
    summary="Finish a contact in hand (a chat, an e-mail, a call-back); wrap-up starts",
    description="Calls finish by themselves when the phone system reports their end.",
    responses={
        403: problem("Not your contact"),
        404: problem("No such work item"),
        409: problem("Not in an agent's hands"),
    },
)
async def complete_work_item(
    item_id: uuid.UUID, session: Session, settings: Settings, caller: Answering
) -> WorkItemRead:
    item = await answers.complete_work_item(session, settings, item_id, caller=caller, now=utcnow())
    return WorkItemRead.model_validate(item)
