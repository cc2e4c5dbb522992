"""HTTP routes of the complaints service."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints import repository, service
from services.complaints.errors import (
    InvalidCursorError,
    PreconditionFailedError,
    PreconditionRequiredError,
)
from services.complaints.lifecycle import State, allowed_from
from services.complaints.models import Complaint
from services.complaints.reports import complaint_report
from services.complaints.schemas import (
    AuditEntryRead,
    ComplaintCreate,
    ComplaintPage,
    ComplaintRead,
    ComplaintReport,
    ComplaintUpdate,
    EscalationRequest,
    SlaRead,
    SlaTargetRead,
    SurveyCreate,
    SurveyRead,
    TransitionRequest,
)
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla import TARGETS, Priority
from shared.db import get_session
from shared.errors import UnprocessableError

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Actor = Annotated[
    str,
    Header(
        alias="X-Actor",
        min_length=1,
        max_length=100,
        description="Who is acting (agent id); the gateway sets it from the caller's identity.",
    ),
]
IfMatch = Annotated[str | None, Header(alias="If-Match")]

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such complaint", **_PROBLEM},
    409: {"description": "Not allowed in the complaint's state", **_PROBLEM},
    412: {"description": "If-Match does not match the current version", **_PROBLEM},
    422: {"description": "Invalid request", **_PROBLEM},
}


def _settings(request: Request) -> ComplaintsSettings:
    settings: ComplaintsSettings = request.app.state.settings
    return settings


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


Settings = Annotated[ComplaintsSettings, Depends(_settings)]
Now = Annotated[dt.datetime, Depends(_now)]


def etag(complaint: Complaint) -> str:
    """The strong ETag of a complaint's version."""
    return f'"{complaint.version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version an If-Match header names; None for `*` or when absent and optional."""
    if if_match is None:
        if required:
            raise PreconditionRequiredError()
        return None
    value = if_match.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    try:
        return int(value)
    except ValueError:
        # An ETag we never issued matches no version.
        raise PreconditionFailedError(-1) from None


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
                met_at=service.met_at(complaint, target),
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


def _answer(response: Response, complaint: Complaint) -> ComplaintRead:
    response.headers["ETag"] = etag(complaint)
    return to_read(complaint)


def _encode_cursor(complaint: Complaint) -> str:
    raw = json.dumps([complaint.received_at.isoformat(), str(complaint.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        instant = dt.datetime.fromisoformat(at)
        if instant.tzinfo is None:
            raise ValueError("naive")
        return instant, uuid.UUID(last_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursorError() from None


@router.post(
    "",
    response_model=ComplaintRead,
    status_code=201,
    summary="File a complaint",
    description=(
        "Receives a complaint, computes its priority from severity, the customer's tier and "
        "churn risk, starts its SLA clock and publishes `complaints.complaint_filed`."
    ),
    responses={422: _ERRORS[422]},
)
async def file_complaint(
    data: ComplaintCreate,
    session: Session,
    response: Response,
    settings: Settings,
    now: Now,
    actor: Actor = "api",
) -> ComplaintRead:
    complaint = await service.file_complaint(session, data, actor=actor, now=now, settings=settings)
    response.headers["Location"] = f"/v1/complaints/{complaint.id}"
    return _answer(response, complaint)


@router.get(
    "",
    response_model=ComplaintPage,
    summary="List complaints, newest first",
    responses={400: {"description": "Bad cursor", **_PROBLEM}, 422: _ERRORS[422]},
)
async def list_complaints(
    session: Session,
    customer_id: uuid.UUID | None = None,
    state: State | None = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    priority: Priority | None = None,
    sla: Annotated[
        Literal["at_risk", "breached"] | None,
        Query(description="`at_risk`: open, warned, not yet breached; `breached`: any target."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> ComplaintPage:
    rows = await repository.page_of_complaints(
        session,
        limit=limit + 1,
        after=_decode_cursor(cursor) if cursor else None,
        customer_id=customer_id,
        state=state,
        category=category,
        priority=priority,
        sla=sla,
    )
    page = list(rows[:limit])
    more = len(rows) > limit
    return ComplaintPage(
        items=[to_read(c) for c in page],
        next_cursor=_encode_cursor(page[-1]) if more and page else None,
    )


@router.get(
    "/reports/summary",
    response_model=ComplaintReport,
    summary="Complaint handling figures for a period",
    description=(
        "For complaints received in `[start, end)` (default: the 30 days up to now): volume "
        "by category and root cause, time to acknowledge and resolve (p50/p90), SLA "
        "compliance, escalation, reopen and acceptance rates, repeat complainants, "
        "complaints per 1,000 contacts and average CSAT."
    ),
    responses={422: _ERRORS[422]},
)
async def report(
    session: Session,
    now: Now,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> ComplaintReport:
    end = _aware(end, "end") or now
    start = _aware(start, "start") or end - dt.timedelta(days=30)
    if start >= end:
        raise UnprocessableError("`start` must be before `end`.")
    return await complaint_report(session, start=start, end=end)


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise UnprocessableError(f"`{name}` needs a time zone.", extra={"field": name})
    return value


@router.get(
    "/{complaint_id}",
    response_model=ComplaintRead,
    summary="Read a complaint",
    description="The ETag header carries its version, for If-Match on changes.",
    responses={404: _ERRORS[404]},
)
async def read_complaint(
    complaint_id: uuid.UUID, session: Session, response: Response
) -> ComplaintRead:
    return _answer(response, await service.get_complaint(session, complaint_id))


@router.patch(
    "/{complaint_id}",
    response_model=ComplaintRead,
    summary="Change a complaint's fields",
    description=(
        "Requires `If-Match` with the ETag last read (428 without it, 412 when stale). A new "
        "severity or category re-targets the SLAs."
    ),
    responses={**_ERRORS, 428: {"description": "If-Match missing", **_PROBLEM}},
)
async def update_complaint(
    complaint_id: uuid.UUID,
    data: ComplaintUpdate,
    session: Session,
    response: Response,
    settings: Settings,
    now: Now,
    if_match: IfMatch = None,
    actor: Actor = "api",
) -> ComplaintRead:
    complaint = await service.update_complaint(
        session,
        complaint_id,
        data,
        expected_version=expected_version(if_match, required=True),
        actor=actor,
        now=now,
        settings=settings,
    )
    return _answer(response, complaint)


@router.post(
    "/{complaint_id}/transitions",
    response_model=ComplaintRead,
    summary="Move a complaint along its lifecycle",
    description=(
        "A forbidden step is a 409 problem whose `allowed` lists the states reachable from "
        "the current one. `If-Match` is checked when sent."
    ),
    responses=_ERRORS,
)
async def transition(
    complaint_id: uuid.UUID,
    data: TransitionRequest,
    session: Session,
    response: Response,
    settings: Settings,
    now: Now,
    if_match: IfMatch = None,
    actor: Actor = "api",
) -> ComplaintRead:
    complaint = await service.transition_complaint(
        session,
        complaint_id,
        data,
        expected_version=expected_version(if_match, required=False),
        actor=actor,
        now=now,
        settings=settings,
    )
    return _answer(response, complaint)


@router.post(
    "/{complaint_id}/escalations",
    response_model=ComplaintRead,
    summary="Escalate a complaint one level",
    description="Level 1 notifies the team, 2 reassigns to the supervisor queue, 3+ raises.",
    responses=_ERRORS,
)
async def escalate(
    complaint_id: uuid.UUID,
    data: EscalationRequest,
    session: Session,
    response: Response,
    settings: Settings,
    now: Now,
    if_match: IfMatch = None,
    actor: Actor = "api",
) -> ComplaintRead:
    complaint = await service.escalate_complaint(
        session,
        complaint_id,
        reason=data.reason,
        actor=actor,
        now=now,
        settings=settings,
        expected_version=expected_version(if_match, required=False),
    )
    return _answer(response, complaint)


@router.get(
    "/{complaint_id}/audit",
    response_model=list[AuditEntryRead],
    summary="A complaint's audit trail, oldest first",
    responses={404: _ERRORS[404]},
)
async def audit(complaint_id: uuid.UUID, session: Session) -> list[AuditEntryRead]:
    await service.get_complaint(session, complaint_id)
    entries = await repository.audit_trail(session, complaint_id)
    return [AuditEntryRead.model_validate(e) for e in entries]


@router.post(
    "/{complaint_id}/survey",
    response_model=SurveyRead,
    status_code=201,
    summary="Record the complainant's satisfaction after closure",
    description="Publishes `complaints.satisfaction_surveyed`; one answer per closure.",
    responses={404: _ERRORS[404], 409: _ERRORS[409], 422: _ERRORS[422]},
)
async def survey(
    complaint_id: uuid.UUID, data: SurveyCreate, session: Session, now: Now
) -> SurveyRead:
    return SurveyRead.model_validate(
        await service.record_survey(session, complaint_id, data, now=now)
    )
