"""HTTP shapes of the audit trail."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    """One entry of the audit trail."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    details: dict[str, object]
