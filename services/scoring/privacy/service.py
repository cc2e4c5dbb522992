"""Data protection in scoring: a customer's export."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.customers.repository import merged_into
from services.scoring.privacy import repository
from shared.export import ServiceExport


async def export_customer(session: AsyncSession, customer_id: uuid.UUID) -> ServiceExport:
    """Everything scoring keeps about a customer and the ids merged into it (maybe nothing)."""
    ids = [str(customer_id), *await merged_into(session, str(customer_id))]
    rows = await repository.customer_rows(session, ids)
    return ServiceExport.of("scoring", customer_id, rows)
