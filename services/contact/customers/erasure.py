"""Erasing a customer: identities released, personal data blanked or masked everywhere.

`SCRUBS` is the one place that knows where contact keeps personal data outside the customer's
own record: each sub-domain that stores some adds its scrub here, and every erasure runs them
all in its transaction. The outbox comes last, so events staged by the erasure are covered.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import events
from services.contact.calls import service as calls
from services.contact.contacts import service as contacts
from services.contact.customers import repository
from services.contact.customers.service import get_customer
from services.contact.models import Customer
from services.contact.routing import erasure as routing
from services.contact.surveys import service as surveys
from shared.contracts.contact import CustomerDeletedV1
from shared.db import utcnow
from shared.outbox_scrub import redactor, scrub_outbox

# `(session, customer_id, erased)`: erase what one sub-domain keeps about the customer;
# `erased` holds the numbers, addresses and names it was known by, to mask wherever they show.
Scrub = Callable[[AsyncSession, uuid.UUID, frozenset[str]], Awaitable[None]]

SCRUBS: tuple[Scrub, ...] = (
    calls.erase_personal_data,  # numbers, notes, recordings, raw provider payloads
    contacts.erase_personal_data,  # subjects, bodies and notes of e-mails, chats, forms, SMS
    routing.erase_personal_data,  # work-item subjects, screen pops
    surveys.erase_personal_data,  # comments of survey answers
)

# Fields of contact's events that carry personal data (the screen pop's name and number).
PERSONAL_EVENT_FIELDS = ("name", "from_number", "to_number", "subject", "notes")


async def erase_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """Delete a customer: identities go, personal data is blanked, an event says so.

    Its calls and contacts stay, for the counts and reports that include them, but the numbers
    and addresses it was known by are masked in them and free text is dropped (`SCRUBS`); its
    events in the outbox are deleted once published, redacted while waiting. A later call from
    the same number is an unknown caller again. Held calls no longer count it among their
    candidates.
    """
    customer = await get_customer(session, customer_id)
    held = await repository.identities_of(session, customer.id)
    merged = await repository.merged_into(session, customer.id)
    erased = frozenset(
        [i.value for i in held if i.kind in ("phone", "email")]
        + [c.name for c in (customer, *merged) if c.name]
    )
    for identity in held:
        await session.delete(identity)
    for person in (customer, *merged):
        person.name = person.name_key = None
    customer.man_money = customer.man_authority = customer.man_need = None
    customer.tier = customer.churn_risk = customer.scored_at = customer.derived_state = None
    now = utcnow()
    customer.deleted_at = customer.updated_at = now
    for scrub in SCRUBS:
        await scrub(session, customer.id, erased)
    await session.flush()
    await events.stage(session, CustomerDeletedV1(customer_id=customer.id, deleted_at=now))
    await calls.replace_candidate(session, customer.id, None)
    ids = [str(c.id) for c in (customer, *merged)]
    await scrub_outbox(session, customer_ids=ids, redact=redactor(PERSONAL_EVENT_FIELDS, erased))
    return customer
