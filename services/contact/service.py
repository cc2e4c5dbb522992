"""Contact service operations: identify callers and record call events exactly once."""

from __future__ import annotations

import uuid

import phonenumbers
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import repository
from services.contact.errors import CallEventNotFoundError, InvalidPhoneNumberError
from services.contact.models import CallEvent, Customer, CustomerIdentity
from services.contact.schemas import CallEventCreate
from shared.contracts.contact import CallEventRecordedV1
from shared.outbox import stage_event

SOURCE = "rapport/contact"


def normalize_phone(raw: str, *, region: str, field: str) -> str:
    """E.164 form of a number written any way; national forms are read in `region`."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumberError(field, raw) from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumberError(field, raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


async def identify_caller(session: AsyncSession, *, phone: str) -> Customer:
    """The customer who owns `phone` (E.164); an unknown number becomes a new prospect."""
    identity = await repository.find_identity(session, kind="phone", value=phone)
    if identity is not None:
        customer = await session.get(Customer, identity.customer_id)
        assert customer is not None
        return customer
    try:
        async with session.begin_nested():
            customer = Customer(id=uuid.uuid4(), state="prospect")
            session.add(customer)
            await session.flush()
            session.add(CustomerIdentity(customer_id=customer.id, kind="phone", value=phone))
            await session.flush()
    except IntegrityError:
        # Another request created the same identity first; use theirs.
        identity = await repository.find_identity(session, kind="phone", value=phone)
        assert identity is not None
        found = await session.get(Customer, identity.customer_id)
        assert found is not None
        return found
    return customer


async def record_call_event(
    session: AsyncSession, data: CallEventCreate, *, default_region: str
) -> tuple[CallEvent, bool]:
    """Store a call event once per `(provider, call_id, sequence_number)`.

    Returns the stored event and whether it was a duplicate. A new event stages
    `contact.call_event_recorded` in the same transaction.
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
    customer = await identify_caller(session, phone=from_number)
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
    return call_event, False


async def get_call_event(session: AsyncSession, call_event_id: uuid.UUID) -> CallEvent:
    """A stored call event; raises `CallEventNotFoundError`."""
    call_event = await repository.get_call_event(session, call_event_id)
    if call_event is None:
        raise CallEventNotFoundError(call_event_id)
    return call_event
