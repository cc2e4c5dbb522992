"""HTTP routes of the complaint record: file, list, read, change."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.complaints.complaints import service
from services.complaints.complaints.etag import etag
from services.complaints.complaints.schemas import (
    ComplaintCreate,
    ComplaintFilters,
    ComplaintPage,
    ComplaintRead,
    ComplaintUpdate,
    SlaRead,
    SlaTargetRead,
)
from services.complaints.dependencies import (
    ERRORS,
    INVALID,
    NOT_FOUND,
    Actor,
    Now,
    RequiredVersion,
    Settings,
)
from services.complaints.lifecycle.lifecycle import allowed_from
from services.complaints.models import Complaint
from services.complaints.sla.deadlines import met_at
from services.complaints.sla.policy import TARGETS
from shared.api import Session, allow, problem

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])


def to_read(complaint: Complaint) -> ComplaintRead:
    """The HTTP shape of a complaint, with its SLA block and allowed next states."""
    sla = SlaRead(
        paused=complaint.paused_at is not None,
        paused_seconds=complaint.sla_paused_seconds,
        next_due_at=complaint.next_due_at,
        **{
            target: SlaTargetRead(
                due_at=getattr(complaint, f"{target}_due_at"),
                warn_at=getattr(complaint, f"{target}_warn_at"),
                met_at=met_at(complaint, target),
                warned=getattr(complaint, f"{target}_warned"),
                breached_at=getattr(complaint, f"{target}_breached_at"),
            )
            for target in TARGETS
        },
    )
    fields = {
        name: getattr(complaint, name)
        for name in ComplaintRead.model_fields
        if name not in ("sla", "allowed_transitions")
    }
    fields.update(sla=sla, allowed_transitions=list(allowed_from(complaint.state)))  # type: ignore[arg-type]
    return ComplaintRead.model_validate(fields)


def answer(response: Response, complaint: Complaint) -> ComplaintRead:
    """A complaint as answered after a read or a change: its ETag header and body."""
    response.headers["ETag"] = etag(complaint)
    return to_read(complaint)


@router.post(
    "",
    dependencies=allow("complaints:file"),
    response_model=ComplaintRead,
    status_code=201,
    summary="File a complaint",
    description=(
        "Receives a complaint, computes its priority from severity, the customer's tier and "
        "churn risk, starts its SLA clock and publishes `complaints.complaint_filed`. A filing "
        "whose `Idempotency-Key` header or one of whose `source_contacts` is already on file "
        "files nothing: the answer is that complaint as it is now, with status 200."
    ),
    responses={200: {"description": "Already filed: the complaint as it is now"}, **INVALID},
)
async def file_complaint(
    data: ComplaintCreate,
    session: Session,
    response: Response,
    settings: Settings,
    now: Now,
    actor: Actor,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=160,
            description="The same key on a retry answers the complaint filed the first time.",
        ),
    ] = None,
) -> ComplaintRead:
    """File a complaint."""
    complaint, created = await service.file_complaint(
        session, data, actor=actor, now=now, settings=settings, idempotency_key=idempotency_key
    )
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/complaints/{complaint.id}"
    return answer(response, complaint)


@router.get(
    "",
    dependencies=allow("complaints:read"),
    response_model=ComplaintPage,
    summary="List complaints, newest first",
    responses={400: problem("Bad cursor"), **INVALID},
)
async def list_complaints(
    session: Session,
    filters: Annotated[ComplaintFilters, Query()],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> ComplaintPage:
    """List complaints, newest first."""
    page, next_cursor = await service.list_complaints(session, filters, cursor=cursor, limit=limit)
    return ComplaintPage(items=[to_read(c) for c in page], next_cursor=next_cursor)


@router.get(
    "/{complaint_id}",
    dependencies=allow("complaints:read"),
    response_model=ComplaintRead,
    summary="Read a complaint",
    description="The ETag header carries its version, for If-Match on changes.",
    responses=NOT_FOUND,
)
async def read_complaint(
    complaint_id: uuid.UUID, session: Session, response: Response
) -> ComplaintRead:
    """Read a complaint."""
    return answer(response, await service.get_complaint(session, complaint_id))


@router.patch(
    "/{complaint_id}",
    dependencies=allow("complaints:update"),
    response_model=ComplaintRead,
    summary="Change a complaint's fields",
    description=(
        "Requires `If-Match` with the ETag last read (428 without it, 412 when stale). A new "
        "severity or category re-targets the SLAs."
    ),
    responses={**ERRORS, 428: problem("If-Match missing")},
)
async def update_complaint(
    complaint_id: uuid.UUID,
    data: ComplaintUpdate,
    session: Session,
    response: Response,
    settings: Settings,
    now: Now,
    version: RequiredVersion,
    actor: Actor,
) -> ComplaintRead:
    """Change a complaint's fields."""
    complaint = await service.update_complaint(
        session,
        complaint_id,
        data,
        expected_version=version,
        actor=actor,
        now=now,
        settings=settings,
    )
    return answer(response, complaint)
