"""HTTP shapes of the provider webhooks."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class WebhookAccepted(BaseModel):
    """Answer to a provider webhook."""

    duplicate: bool
    ignored: bool = False
    call_id: uuid.UUID | None = None
