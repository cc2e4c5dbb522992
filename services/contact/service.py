"""Contact service operations: generic call events, non-voice contacts, interaction history."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import calls, customers, repository
from services.contact.callmodel import NormalizedEvent
from services.contact.errors import (
    AmbiguousCustomerError,
    CallEventNotFoundError,
    ContactWithoutCustomerError,
)
from services.contact.identity import normalize_email, normalize_phone
from services.contact.models import Call, CallEvent, Contact, Customer
from services.contact.schemas import CallEventCreate, ContactCreate
from shared.contracts.contact import ContactRecordedV1
from shared.outbox import stage_event

SOURCE = "rapport/contact"


def _as_call_event(data: CallEventCreate, from_number: str, to_number: str) -> NormalizedEvent:
    return NormalizedEvent(
        provider=data.provider,
        call_key=data.call_id,
        dedup_key=f"{data.call_id}:seq:{data.sequence_number}",
        kind=f"status:{data.status}",
        occurred_at=data.timestamp,
        state=data.status,
        sequence=data.sequence_number,
        customer_phone=from_number,
        facts={"from": from_number, "to": to_number},
    )


async def record_call_event(
    session: AsyncSession, data: CallEventCreate, *, default_region: str
) -> tuple[CallEvent, bool, Call]:
    """Store a call event once per `(provider, call_id, sequence_number)`.

    Returns the stored event, whether it was a duplicate, and its call. A new event feeds the
    call model and, once the call has a customer, stages `contact.call_event_recorded` in the
    same transaction. From a number several customers share the event waits, like its call,
    until an agent says whose call it is.
    """
    existing = await repository.find_call_event(
        session,
        provider=data.provider,
        call_id=data.call_id,
        sequence_number=data.sequence_number,
    )
    if existing is not None:
        return existing, True, await calls.call_by_key(session, data.provider, data.call_id)
    from_number = normalize_phone(data.from_, region=default_region, field="from")
    to_number = normalize_phone(data.to, region=default_region, field="to")
    call_event = CallEvent(
        id=uuid.uuid4(),
        provider=data.provider,
        call_id=data.call_id,
        sequence_number=data.sequence_number,
        status=data.status,
        from_number=from_number,
        to_number=to_number,
        occurred_at=data.timestamp,
    )
    try:
        async with session.begin_nested():
            session.add(call_event)
            await session.flush()
    except IntegrityError:
        raced = await repository.find_call_event(
            session,
            provider=data.provider,
            call_id=data.call_id,
            sequence_number=data.sequence_number,
        )
        assert raced is not None
        return raced, True, await calls.call_by_key(session, data.provider, data.call_id)
    ingested = await calls.ingest(
        session,
        _as_call_event(data, from_number, to_number),
        region=default_region,
        # This internal API has always published exactly one event per stored call event.
        publish_recorded=False,
        publish_lifecycle=False,
    )
    return call_event, False, ingested.call


async def get_call_event(session: AsyncSession, call_event_id: uuid.UUID) -> CallEvent:
    """A stored call event; raises `CallEventNotFoundError`."""
    call_event = await repository.get_call_event(session, call_event_id)
    if call_event is None:
        raise CallEventNotFoundError(call_event_id)
    return call_event


async def _contact_customer(session: AsyncSession, data: ContactCreate, region: str) -> Customer:
    if data.customer_id is not None:
        return await customers.get(session, data.customer_id)
    if data.email:
        key = customers.IdentityKey("email", normalize_email(data.email))
    elif data.phone:
        key = customers.IdentityKey(
            "phone", normalize_phone(data.phone, region=region, field="phone")
        )
    else:
        raise ContactWithoutCustomerError()
    found = await customers.callers(session, key, via=data.channel)
    if len(found) > 1:
        raise AmbiguousCustomerError(key.kind, [c.id for c in found])
    return found[0]


async def record_contact(
    session: AsyncSession, data: ContactCreate, *, region: str
) -> tuple[Contact, bool]:
    """Store a non-voice contact once per `(channel, external_id)`."""
    found = await _find_contact(session, data.channel, data.external_id)
    if found is not None:
        return found, True
    customer = await _contact_customer(session, data, region)
    contact = Contact(
        id=uuid.uuid4(),
        customer_id=customer.id,
        **data.model_dump(exclude={"customer_id", "email", "phone"}),
    )
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
    except IntegrityError:
        raced = await _find_contact(session, data.channel, data.external_id)
        if raced is None:
            raise
        return raced, True
    await stage_event(
        session,
        ContactRecordedV1(
            contact_id=contact.id,
            customer_id=customer.id,
            channel=data.channel,
            direction=data.direction,
            occurred_at=data.occurred_at,
        ),
        source=SOURCE,
    )
    return contact, False


async def _find_contact(session: AsyncSession, channel: str, external_id: str) -> Contact | None:
    result = await session.scalars(
        select(Contact).where(Contact.channel == channel, Contact.external_id == external_id)
    )
    return result.first()


async def history(
    session: AsyncSession, customer_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[Call | Contact], str | None]:
    """A customer's calls and contacts, newest first, one page at a time."""
    await customers.get(session, customer_id)
    found_calls = await session.scalars(
        customers.newest_first(
            select(Call).where(Call.customer_id == customer_id),
            Call.started_at,
            Call.id,
            cursor=cursor,
            limit=limit,
        )
    )
    found_contacts = await session.scalars(
        customers.newest_first(
            select(Contact).where(Contact.customer_id == customer_id),
            Contact.occurred_at,
            Contact.id,
            cursor=cursor,
            limit=limit,
        )
    )
    merged: list[Call | Contact] = [*found_calls.all(), *found_contacts.all()]
    merged.sort(key=lambda item: (_when(item), item.id), reverse=True)
    return customers.page_of(merged, limit, lambda item: (_when(item), item.id))


def _when(item: Call | Contact) -> dt.datetime:
    return item.started_at if isinstance(item, Call) else item.occurred_at
