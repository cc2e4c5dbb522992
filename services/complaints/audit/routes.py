"""HTTP routes of the audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.complaints.audit import service
from services.complaints.audit.schemas import AuditEntryRead
from services.complaints.dependencies import NOT_FOUND
from shared.api import Session, allow

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])


@router.get(
    "/{complaint_id}/audit",
    dependencies=allow("complaints:read"),
    response_model=list[AuditEntryRead],
    summary="A complaint's audit trail, oldest first",
    responses=NOT_FOUND,
)
async def audit(complaint_id: uuid.UUID, session: Session) -> list[AuditEntryRead]:
    """A complaint's audit trail, oldest first."""
    entries = await service.get_audit_trail(session, complaint_id)
    return [AuditEntryRead.model_validate(e) for e in entries]
