"""Data protection in complaints: a customer's export."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.customers.repository import ids_merged_into
from services.complaints.privacy import repository
from shared.export import ServiceExport


async def export_customer(session: AsyncSession, customer_id: uuid.UUID) -> ServiceExport:
    """Everything complaints keeps about a customer and the ids merged into it (maybe nothing)."""
    ids = [customer_id, *await ids_merged_into(session, customer_id)]
    rows = await repository.customer_rows(session, ids)
    return ServiceExport.of("complaints", customer_id, rows)
