"""Erasing a customer: identities released, personal data blanked or masked everywhere."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import events
from services.contact.calls import service as calls
from services.contact.contacts import repository as contact_repository
from services.contact.customers import repository
from services.contact.customers.service import get_customer
from services.contact.models import Customer
from services.contact.surveys import repository as surveys
from shared.contracts.contact import CustomerDeletedV1
from shared.db import utcnow


async def erase_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """Delete a customer: identities go, personal data is blanked, an event says so.

    Its calls and contacts stay, for the counts and reports that include them, but the numbers
    and addresses it was known by are masked in them and message bodies are dropped. A later
    call from the same number is an unknown caller again. Held calls no longer count it among
    their candidates.
    """
    customer = await get_customer(session, customer_id)
    held = await repository.identities_of(session, customer.id)
    erased = {i.value for i in held if i.kind in ("phone", "email")}
    for identity in held:
        await session.delete(identity)
    customer.name = customer.name_key = None
    customer.man_money = customer.man_authority = customer.man_need = None
    customer.tier = customer.churn_risk = customer.scored_at = customer.derived_state = None
    now = utcnow()
    customer.deleted_at = customer.updated_at = now
    await calls.mask_numbers(session, customer.id, erased)
    await contact_repository.blank_contacts(session, customer.id)
    await surveys.blank_comments(session, customer.id)
    await session.flush()
    await events.stage(session, CustomerDeletedV1(customer_id=customer.id, deleted_at=now))
    await calls.replace_candidate(session, customer.id, None)
    return customer
