"""Queries of what is kept about customers: profiles, contacts seen, aliases of merged ids."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.models import ContactSeen, CustomerAlias, CustomerProfile


async def get_profile(session: AsyncSession, customer_id: uuid.UUID) -> CustomerProfile | None:
    """What scoring last said about the customer, if anything."""
    return await session.get(CustomerProfile, customer_id)


async def get_alias(session: AsyncSession, merged_id: uuid.UUID) -> CustomerAlias | None:
    """Where a merged customer id now points, if it was merged."""
    return await session.get(CustomerAlias, merged_id)


async def ids_merged_into(session: AsyncSession, customer_id: uuid.UUID) -> list[uuid.UUID]:
    """The customer ids that were merged into `customer_id`."""
    result = await session.scalars(
        select(CustomerAlias.merged_id).where(CustomerAlias.customer_id == customer_id)
    )
    return list(result.all())


async def repoint_aliases(
    session: AsyncSession, *, merged_id: uuid.UUID, survivor_id: uuid.UUID
) -> None:
    """Aliases pointing at `merged_id` point at the survivor instead."""
    await session.execute(
        update(CustomerAlias)
        .where(CustomerAlias.customer_id == merged_id)
        .values(customer_id=survivor_id)
        .execution_options(synchronize_session="fetch")
    )


async def move_contacts(
    session: AsyncSession, *, merged_id: uuid.UUID, survivor_id: uuid.UUID
) -> None:
    """Contacts seen from `merged_id` count for the survivor."""
    await session.execute(
        update(ContactSeen)
        .where(ContactSeen.customer_id == merged_id)
        .values(customer_id=survivor_id)
        .execution_options(synchronize_session=False)
    )


async def delete_customer_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """Delete profiles, contacts and aliases of these customers (aliases to and from them)."""
    for model, column in (
        (CustomerProfile, CustomerProfile.customer_id),
        (ContactSeen, ContactSeen.customer_id),
        (CustomerAlias, CustomerAlias.customer_id),
        (CustomerAlias, CustomerAlias.merged_id),
    ):
        await session.execute(
            delete(model).where(column.in_(ids)).execution_options(synchronize_session="fetch")
        )
