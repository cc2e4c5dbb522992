"""Non-voice contact use cases: recording a contact, a customer's history across channels."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import events
from services.contact.contacts import repository
from services.contact.contacts.schemas import ContactCreate
from services.contact.customers import service as customers
from services.contact.customers.identity_keys import IdentityKey, normalize_email, normalize_phone
from services.contact.errors import AmbiguousCustomerError, ContactWithoutCustomerError
from services.contact.models import Call, Contact, Customer
from shared.contracts.contact import ContactRecordedV1
from shared.inserts import insert_or_get
from shared.pagination import page_of


async def _contact_customer(session: AsyncSession, data: ContactCreate, region: str) -> Customer:
    if data.customer_id is not None:
        return await customers.get_customer(session, data.customer_id)
    if data.email:
        key = IdentityKey("email", normalize_email(data.email))
    elif data.phone:
        key = IdentityKey("phone", normalize_phone(data.phone, region=region, field="phone"))
    else:
        raise ContactWithoutCustomerError()
    found = await customers.owners_or_new_prospect(session, key, via=data.channel)
    if len(found) > 1:
        raise AmbiguousCustomerError(key.kind, [c.id for c in found])
    return found[0]


async def record_contact(
    session: AsyncSession, data: ContactCreate, *, region: str
) -> tuple[Contact, bool]:
    """Store a non-voice contact once per `(channel, external_id)`; True when stored before."""
    found = await repository.find_contact(session, data.channel, data.external_id)
    if found is not None:
        return found, True
    customer = await _contact_customer(session, data, region)
    row = Contact(
        id=uuid.uuid4(),
        customer_id=customer.id,
        **data.model_dump(exclude={"customer_id", "email", "phone"}),
    )
    contact, created = await insert_or_get(
        session, row, lambda: repository.find_contact(session, data.channel, data.external_id)
    )
    if not created:
        return contact, True
    await stage_contact_recorded(session, contact)
    return contact, False


async def stage_contact_recorded(session: AsyncSession, contact: Contact) -> None:
    """Publish `contact.contact_recorded` for a contact that has its customer."""
    assert contact.customer_id is not None
    await events.stage(
        session,
        ContactRecordedV1(
            contact_id=contact.id,
            customer_id=contact.customer_id,
            channel=contact.channel,
            direction=contact.direction,
            occurred_at=contact.occurred_at,
        ),
    )


async def history(
    session: AsyncSession, customer_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[Call | Contact], str | None]:
    """A customer's calls and contacts, newest first, one page at a time."""
    await customers.get_customer(session, customer_id)
    calls, contacts = await repository.history_rows(
        session, customer_id, cursor=cursor, limit=limit
    )
    merged: list[Call | Contact] = [*calls, *contacts]
    merged.sort(key=lambda item: (_when(item), item.id), reverse=True)
    return page_of(merged, limit, lambda item: (_when(item), item.id))


def _when(item: Call | Contact) -> dt.datetime:
    return item.started_at if isinstance(item, Call) else item.occurred_at


async def erase_personal_data(
    session: AsyncSession, customer_id: uuid.UUID, erased: frozenset[str]
) -> None:
    """Drop the subject, body and notes of the customer's contacts; the contacts stay."""
    await repository.blank_contacts(session, customer_id)
