"""The customer export as answered."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from shared.export import ServiceExport


class CustomerExport(BaseModel):
    """Everything Rapport keeps about a customer, from every service (the right of access)."""

    customer_id: uuid.UUID
    exported_at: dt.datetime
    services: dict[str, ServiceExport] = Field(
        description="Each service's part (`contact`, `complaints`, `scoring`): its rows by kind."
    )
