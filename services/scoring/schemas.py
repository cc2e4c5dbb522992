"""HTTP shapes of the scoring service."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field


class ContactActivity(BaseModel):
    """How often and when the customer has been in contact."""

    count: int = Field(description="Distinct calls and contacts seen for the customer.")
    call_events: int = Field(description="Call-progress events seen, all calls together.")
    first_contact_at: dt.datetime | None
    last_contact_at: dt.datetime | None


class CustomerScoreRead(BaseModel):
    """A customer's current scores with the statistics they come from."""

    customer_id: uuid.UUID
    contacts: ContactActivity
    computed_at: dt.datetime
