"""Contact service operations: generic call events, non-voice contacts, interaction history."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import calls, customers, repository
from services.contact.callmodel import NormalizedEvent
from services.contact.errors import CallEventNotFoundError, ContactWithoutCustomerError
from services.contact.identity import normalize_email, normalize_phone
from services.contact.models import Call, CallEvent, Contact, Customer
from services.contact.schemas import CallEventCreate, ContactCreate
from shared.contracts.contact import CallEventRecordedV1, ContactRecordedV1
from shared.outbox import stage_event

SOURCE = "rapport/contact"


async def identify_caller(session: AsyncSession, *, phone: str, via: str = "api") -> Customer:
    """The customer who owns `phone` (E.164); an unknown number becomes a new prospect."""
    return await customers.find_or_create_prospect(
        session, customers.IdentityKey("phone", phone), via=via
    )


def _as_call_event(data: CallEventCreate, from_number: str, to_number: str) -> NormalizedEvent:
    return NormalizedEvent(
        provider=data.provider,
        call_key=data.call_id,
        dedup_key=f"seq:{data.sequence_number}",
        kind=f"status:{data.status}",
        occurred_at=data.timestamp,
        state=data.status,
        sequence=data.sequence_number,
        customer_phone=from_number,
        facts={"from": from_number, "to": to_number},
    )


async def record_call_event(
    session: AsyncSession, data: CallEventCreate, *, default_region: str
) -> tuple[CallEvent, bool]:
    """Store a call event once per `(provider, call_id, sequence_number)`.

    Returns the stored event and whether it was a duplicate. A new event stages
    `contact.call_event_recorded` in the same transaction and feeds the call model.
    """
    existing = await repository.find_call_event(
        session,
        provider=data.provider,
        call_id=data.call_id,
        sequence_number=data.sequence_number,
    )
    if existing is not None:
        return existing, True
    from_number = normalize_phone(data.from_, region=default_region, field="from")
    to_number = normalize_phone(data.to, region=default_region, field="to")
    customer = await identify_caller(session, phone=from_number, via=data.provider)
    first_of_call = not await repository.call_has_events(
        session, provider=data.provider, call_id=data.call_id
    )
    call_event = CallEvent(
        id=uuid.uuid4(),
        provider=data.provider,
        call_id=data.call_id,
        sequence_number=data.sequence_number,
        status=data.status,
        from_number=from_number,
        to_number=to_number,
        occurred_at=data.timestamp,
        customer_id=customer.id,
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
        return raced, True
    await stage_event(
        session,
        CallEventRecordedV1(
            call_event_id=call_event.id,
            customer_id=customer.id,
            provider=call_event.provider,
            call_id=call_event.call_id,
            sequence_number=call_event.sequence_number,
            status=call_event.status,
            occurred_at=call_event.occurred_at,
            first_event_of_call=first_of_call,
        ),
        source=SOURCE,
    )
    await calls.ingest(
        session,
        _as_call_event(data, from_number, to_number),
        region=default_region,
        # This internal API has always published exactly one event per stored call event.
        publish_recorded=False,
        publish_lifecycle=False,
    )
    return call_event, False


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
    return await customers.find_or_create_prospect(session, key, via=data.channel)


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
    after = customers.decode_cursor(cursor) if cursor else None
    call_query = select(Call).where(Call.customer_id == customer_id)
    contact_query = select(Contact).where(Contact.customer_id == customer_id)
    if after is not None:
        at, row_id = after
        call_query = call_query.where(
            or_(Call.started_at < at, and_(Call.started_at == at, Call.id < row_id))
        )
        contact_query = contact_query.where(
            or_(Contact.occurred_at < at, and_(Contact.occurred_at == at, Contact.id < row_id))
        )
    found_calls = await session.scalars(
        call_query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit + 1)
    )
    found_contacts = await session.scalars(
        contact_query.order_by(Contact.occurred_at.desc(), Contact.id.desc()).limit(limit + 1)
    )
    merged: list[Call | Contact] = [*found_calls.all(), *found_contacts.all()]
    merged.sort(key=lambda item: (_when(item), item.id), reverse=True)
    page = merged[:limit]
    more = len(merged) > limit
    next_cursor = customers.encode_cursor(_when(page[-1]), page[-1].id) if more and page else None
    return page, next_cursor


def _when(item: Call | Contact) -> dt.datetime:
    return item.started_at if isinstance(item, Call) else item.occurred_at
