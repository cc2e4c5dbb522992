"""API-key requests and answers."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.inputs import InputModel


class ApiKeyCreate(InputModel):
    """A key to issue."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Who uses it, e.g. `twilio-prod`.")
    roles: list[str] = Field(min_length=1, max_length=5, description="`service` or `cti`, …")
    expires_at: dt.datetime | None = Field(default=None, description="When it stops working.")


class ApiKeyRotate(InputModel):
    """How long the old key keeps working after a rotation."""

    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(default=0, ge=0, le=7 * 24 * 3600)


class ApiKeyRead(BaseModel):
    """A key without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    roles: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    replaced_by: uuid.UUID | None


class ApiKeyIssued(ApiKeyRead):
    """A new key with its secret: shown this once, never again."""

    key: str = Field(description="The secret key; store it now, it cannot be shown again.")
