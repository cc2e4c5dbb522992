"""Merging two records of one customer: identities, interactions and held calls move over."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import events
from services.contact.calls import repository as call_repository
from services.contact.calls import service as calls
from services.contact.contacts import repository as contact_repository
from services.contact.customers import repository
from services.contact.customers.service import get_customer
from services.contact.errors import CustomerNotFoundError, SelfMergeError
from services.contact.models import Customer
from services.contact.surveys import repository as surveys
from shared.contracts.contact import CustomersMergedV1
from shared.db import utcnow


async def merge_customers(
    session: AsyncSession, target_id: uuid.UUID, source_id: uuid.UUID
) -> Customer:
    """Fold `source` into `target`: identities, calls, contacts and held calls; an event says so.

    Held calls that had both as candidates may be left with one: the survivor's call then.
    """
    if target_id == source_id:
        raise SelfMergeError()
    target = await get_customer(session, target_id)
    source = await get_customer(session, source_id)
    for customer in (target, source):
        if customer.merged_into_id is not None:
            raise CustomerNotFoundError(customer.id)
    moved_identities = await _move_identities(session, source.id, target.id)
    # The call-event API's stored events move with the calls, so nothing points at the old id.
    moved = await call_repository.move_calls(session, source.id, target.id)
    moved += await contact_repository.move_contacts(session, source.id, target.id)
    await surveys.move_surveys(session, source.id, target.id)
    source.merged_into_id = target.id
    source.updated_at = target.updated_at = utcnow()
    if target.name is None and source.name is not None:
        target.name, target.name_key = source.name, source.name_key
    await session.flush()
    await events.stage(
        session,
        CustomersMergedV1(
            customer_id=target.id,
            merged_customer_id=source.id,
            identities_moved=moved_identities,
            interactions_moved=moved,
            merged_at=utcnow(),
        ),
    )
    await calls.replace_candidate(session, source.id, target.id)
    return target


async def _move_identities(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    kept = {(i.kind, i.value) for i in await repository.identities_of(session, target)}
    moved = 0
    for identity in await repository.identities_of(session, source):
        if (identity.kind, identity.value) in kept:
            # The target already has it: one row per customer and value is enough.
            await session.delete(identity)
        else:
            identity.customer_id = target
            moved += 1
    await session.flush()
    return moved
