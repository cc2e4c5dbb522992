"""Queries of customers and their identities."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.customers.identity_keys import IdentityKey
from services.contact.models import Customer, CustomerIdentity
from shared.pagination import newest_first


async def find_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    """A customer by id, merged and erased ones too."""
    return await session.get(Customer, customer_id)


async def owners(session: AsyncSession, key: IdentityKey) -> list[Customer]:
    """Customers that have this identity, first owner first; merged and erased ones never count."""
    result = await session.scalars(
        select(Customer)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
        .where(
            CustomerIdentity.kind == key.kind,
            CustomerIdentity.value == key.value,
            Customer.merged_into_id.is_(None),
            Customer.deleted_at.is_(None),
        )
        .order_by(CustomerIdentity.ordinal)
    )
    return list(result.all())


async def holders(session: AsyncSession, key: IdentityKey) -> list[CustomerIdentity]:
    """Every identity row with this value, whoever holds it."""
    result = await session.scalars(
        select(CustomerIdentity).where(
            CustomerIdentity.kind == key.kind, CustomerIdentity.value == key.value
        )
    )
    return list(result.all())


async def identities_of(session: AsyncSession, customer_id: uuid.UUID) -> list[CustomerIdentity]:
    """A customer's identities in a stable order."""
    result = await session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id == customer_id)
        .order_by(CustomerIdentity.kind, CustomerIdentity.value)
    )
    return list(result.all())


async def identities_of_many(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> list[CustomerIdentity]:
    """The identities of several customers in one query, in the order of `identities_of`."""
    if not customer_ids:
        return []
    result = await session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id.in_(customer_ids))
        .order_by(CustomerIdentity.kind, CustomerIdentity.value)
    )
    return list(result.all())


async def merged_into(session: AsyncSession, customer_id: uuid.UUID) -> list[Customer]:
    """The customers merged into this one, directly or through a merge of a merge."""
    found: list[Customer] = []
    frontier = [customer_id]
    while frontier:
        rows = await session.scalars(select(Customer).where(Customer.merged_into_id.in_(frontier)))
        batch = [c for c in rows.all() if c not in found]
        found += batch
        frontier = [c.id for c in batch]
    return found


async def find_identity(session: AsyncSession, identity_id: uuid.UUID) -> CustomerIdentity | None:
    """An identity row by id."""
    return await session.get(CustomerIdentity, identity_id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession,
    *,
    keys: list[IdentityKey],
    name_prefix: str | None,
    cursor: str | None,
    limit: int,
) -> list[Customer]:
    """Live customers matching every filter, newest first after `cursor`, one row past `limit`."""
    query: Select[Customer] = select(Customer).where(
        Customer.merged_into_id.is_(None), Customer.deleted_at.is_(None)
    )
    for key in keys:
        holding = select(CustomerIdentity.customer_id).where(
            CustomerIdentity.kind == key.kind, CustomerIdentity.value == key.value
        )
        query = query.where(Customer.id.in_(holding))
    if name_prefix:
        query = query.where(Customer.name_key.like(_escape_like(name_prefix) + "%", escape="\\"))
    query = newest_first(query, Customer.created_at, Customer.id, cursor=cursor, limit=limit)
    return list((await session.scalars(query)).all())
