"""HTTP routes for calls and for the call-event API."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.contact.calls import service
from services.contact.calls.schemas import (
    CallAssignment,
    CallDetail,
    CallEventCreate,
    CallEventRead,
    CallEventRecorded,
    CallIdentification,
    CallLogRead,
    CallPage,
    CallRead,
    CallWrapUp,
    WaitingCall,
)
from services.contact.dependencies import Settings
from services.contact.models import Call
from shared.api import Session, allow, problem
from shared.db import utcnow

router = APIRouter(tags=["calls"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("Not found")}


async def call_detail(session: Session, call: Call) -> CallDetail:
    """A call and its event log."""
    entries = await service.call_log(session, call.id)
    return CallDetail(
        **CallRead.model_validate(call).model_dump(),
        events=[CallLogRead.model_validate(e) for e in entries],
    )


@router.post(
    "/v1/contacts/events",
    dependencies=allow("call-events:record"),
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
        422: problem("Invalid event"),
    },
)
async def record_call_event(
    data: CallEventCreate, session: Session, response: Response, settings: Settings
) -> CallEventRecorded:
    call_event, duplicate, call = await service.record_call_event(session, data, settings=settings)
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
    "/v1/contacts/events/{call_event_id}",
    dependencies=allow("call-events:read"),
    response_model=CallEventRead,
    summary="Read a stored call event",
    responses={404: problem("No such call event")},
)
async def read_call_event(call_event_id: uuid.UUID, session: Session) -> CallEventRead:
    return CallEventRead.model_validate(await service.get_call_event(session, call_event_id))


@router.get(
    "/v1/calls",
    dependencies=allow("calls:read"),
    response_model=CallPage,
    summary="List calls newest first; `identification=held` is the queue of calls to identify",
)
async def list_calls(
    session: Session,
    identification: Annotated[
        CallIdentification | None,
        Query(description="Only calls identified this way; `held` waits for an agent."),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CallPage:
    page, next_cursor = await service.list_calls(
        session, identification=identification, cursor=cursor, limit=limit
    )
    return CallPage(items=[CallRead.model_validate(c) for c in page], next_cursor=next_cursor)


@router.get(
    "/v1/calls/waiting",
    dependencies=allow("calls:read"),
    response_model=list[WaitingCall],
    summary="Callers waiting in the queues, the one to take next first",
    description=(
        "Queued calls ordered by the caller's value tier (gold, silver, bronze, iron, then "
        "callers not yet scored), then callers at risk of churning (churn risk at or above "
        "`CONTACT_AT_RISK_CHURN_THRESHOLD`), then the longest wait. Tier and risk are read "
        "when asked, so a change published by scoring re-orders callers already waiting. A "
        "held call ranks by the best of its candidates."
    ),
)
async def waiting_calls(
    session: Session,
    settings: Settings,
    queue: Annotated[str | None, Query(max_length=200, description="One queue only.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WaitingCall]:
    found = await service.waiting_calls(
        session, queue=queue, at_risk_threshold=settings.at_risk_churn_threshold, limit=limit
    )
    now = utcnow()
    return [
        WaitingCall(
            position=n,
            tier=w.tier,
            churn_risk=w.churn_risk,
            at_risk=w.at_risk,
            waited_seconds=max(
                0, int((now - (w.call.queued_at or w.call.started_at)).total_seconds())
            ),
            call=CallRead.model_validate(w.call),
        )
        for n, w in enumerate(found, start=1)
    ]


@router.put(
    "/v1/calls/{call_id}/customer",
    dependencies=allow("calls:identify"),
    response_model=CallDetail,
    summary="Say whose call it is (a held call from a shared number)",
    description=(
        "Sets the customer of a call held because several customers share the caller's "
        "number; the call then publishes the events it held back (`contact.call_started`, "
        "... and one `contact.call_event_recorded` per stored event). Any live customer may be "
        "picked, not only a candidate. Repeating the same choice changes nothing; a call that "
        "already belongs to another customer answers 409 (merge the customers if they are "
        "the same person)."
    ),
    responses={
        **_NOT_FOUND,
        409: problem("The call has another customer, or the customer was merged"),
    },
)
async def assign_call(call_id: uuid.UUID, data: CallAssignment, session: Session) -> CallDetail:
    return await call_detail(
        session, await service.assign_customer(session, call_id, data.customer_id)
    )


@router.get(
    "/v1/calls/{call_id}",
    dependencies=allow("calls:read"),
    response_model=CallDetail,
    summary="Read a call with its event log",
    responses=_NOT_FOUND,
)
async def read_call(call_id: uuid.UUID, session: Session) -> CallDetail:
    return await call_detail(session, await service.get_call(session, call_id))


@router.put(
    "/v1/calls/{call_id}/wrap-up",
    dependencies=allow("calls:wrap-up"),
    response_model=CallDetail,
    summary="Record the agent's wrap-up code, disposition and notes",
    responses=_NOT_FOUND,
)
async def wrap_up_call(call_id: uuid.UUID, data: CallWrapUp, session: Session) -> CallDetail:
    return await call_detail(session, await service.wrap_up_call(session, call_id, data))
