"""Chat and e-mail contacts from Amazon Connect: one contact record per contact, any order.

Connect reports a contact as several events (INITIATED, CONNECTED_TO_AGENT, DISCONNECTED,
COMPLETED, …), best effort and unordered. The first one seen creates the record; the others
only add what they know, never remove it. With a settle window (`CONTACT_CALL_SETTLE_SECONDS`)
the record publishes `contact.contact_recorded` once no event of it has arrived for that long,
under the customer its events name, whichever of them came first (only `INITIATED` carries the
endpoint); a contact whose events named nobody by then gets a prospect of its own. Without a
window the first event seen publishes it, under a prospect of its own if it names nobody.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.contacts import repository
from services.contact.contacts.service import stage_contact_recorded
from services.contact.customers import service as customers
from services.contact.customers.identity_keys import (
    IdentityKey,
    mask,
    normalize_email,
    phone_or_none,
)
from services.contact.errors import InvalidEmailError
from services.contact.models import Contact, Customer, fit
from services.contact.webhooks.providers.connect import PROVIDER, ChannelContact
from shared.db import utcnow
from shared.inserts import insert_or_get
from shared.logging import get_logger

log = get_logger(__name__)
_FILLED = ("queue", "agent", "disposition")


@dataclass(frozen=True)
class Recorded:
    """The contact an event belongs to; whether the event created it or changed anything."""

    contact: Contact
    created: bool
    changed: bool


def customer_key(event: ChannelContact, *, region: str) -> IdentityKey | None:
    """The identity the event's customer endpoint names; None when it names nobody usable."""
    address = event.endpoint_address
    if address is None:
        return None
    kind = (event.endpoint_type or "").upper()
    if kind == "EMAIL_ADDRESS" or (not kind and "@" in address):
        try:
            return IdentityKey("email", normalize_email(address))
        except InvalidEmailError:
            return None
    if kind in ("TELEPHONE_NUMBER", ""):
        phone = phone_or_none(address, region=region)
        return IdentityKey("phone", phone) if phone is not None else None
    return None


def fallback_key(event: ChannelContact) -> IdentityKey:
    """The identity of a contact that names no customer: a prospect of its own, never a drop."""
    return _own_key(event.external_id)


def _own_key(external_id: str) -> IdentityKey:
    return IdentityKey("external", f"{PROVIDER}:contact:{external_id}")


async def record_connect_contact(
    session: AsyncSession, event: ChannelContact, *, region: str, settle_seconds: float = 0
) -> Recorded:
    """Create the contact of `event` once, or add to it what the event knows."""
    key = customer_key(event, region=region)
    # Customers are resolved before the contact row is locked: one lock order for every request.
    named = await _named(session, key) if key is not None else None
    customer: Customer | None = named
    if named is None and not settle_seconds and await _find(session, event) is None:
        customer = await customers.find_or_create_prospect(
            session, fallback_key(event), via=PROVIDER
        )
    settles_at = utcnow() + dt.timedelta(seconds=settle_seconds) if settle_seconds else None
    contact = await _lock(session, event)
    if contact is None:
        row = _new_contact(event, customer)
        row.settles_at = settles_at
        stored, created = await insert_or_get(session, row, lambda: _lock(session, event))
        if created:
            if settles_at is None:
                await _announce(session, stored, event)
            return Recorded(contact=stored, created=True, changed=True)
        contact = stored
    changed = _update(contact, event, named)
    if changed and contact.settles_at is not None and settles_at is not None:
        # Not published yet: it waits until its events have been quiet for the window.
        contact.settles_at = settles_at
    if changed:
        await session.flush()
    return Recorded(contact=contact, created=False, changed=changed)


async def settle_due_contacts(session: AsyncSession, now: dt.datetime, *, limit: int = 100) -> int:
    """Publish the contacts quiet since their settle time; how many were published."""
    due = await repository.lock_contacts_settled_by(session, now, limit=limit)
    for contact in due:
        if contact.customer_id is None:
            key = _own_key(contact.external_id)
            customer = await customers.find_or_create_prospect(session, key, via=PROVIDER)
            contact.customer_id = customer.id
        contact.settles_at = None
        await stage_contact_recorded(session, contact)
    await session.flush()
    return len(due)


async def _named(session: AsyncSession, key: IdentityKey) -> Customer | None:
    """The one customer `key` names (an unknown one becomes a prospect); None when shared.

    A number several customers share does not say who wrote, so such a contact is kept on a
    prospect of its own rather than guessed onto one of them.
    """
    found = await customers.owners_or_new_prospect(session, key, via=PROVIDER)
    return found[0] if len(found) == 1 else None


async def _find(session: AsyncSession, event: ChannelContact) -> Contact | None:
    return await repository.find_contact(session, event.channel, event.external_id)


async def _lock(session: AsyncSession, event: ChannelContact) -> Contact | None:
    return await repository.lock_contact(session, event.channel, event.external_id)


def _new_contact(event: ChannelContact, customer: Customer | None) -> Contact:
    return Contact(
        id=uuid.uuid4(),
        customer_id=None if customer is None else customer.id,
        channel=event.channel,
        external_id=event.external_id,
        direction=event.direction or "inbound",
        queue=fit(Contact, "queue", event.queue),
        agent=fit(Contact, "agent", event.agent),
        disposition=fit(Contact, "disposition", event.disposition),
        occurred_at=_occurred_at(event),
    )


async def _announce(session: AsyncSession, contact: Contact, event: ChannelContact) -> None:
    await stage_contact_recorded(session, contact)
    log.info(
        "connect_contact_recorded",
        channel=event.channel,
        kind=event.event_type,
        customer=mask(event.endpoint_address),
    )


def _occurred_at(event: ChannelContact) -> dt.datetime:
    return event.initiated_at or event.sent_at


def _update(contact: Contact, event: ChannelContact, named: Customer | None) -> bool:
    """Add what `event` knows to `contact`; True when anything changed.

    Known values are never replaced by unknown ones. The earliest initiation time wins (a
    transferred segment starts later than the root; an envelope time is later than both), the
    root segment's initiation method decides the direction, and the customer an endpoint names
    replaces the placeholder prospect of an event that named nobody.
    """
    before = _snapshot(contact)
    for name in _FILLED:
        value = getattr(event, name)
        if value is not None:
            setattr(contact, name, fit(Contact, name, value))
    if event.initiated_at is not None and event.initiated_at < contact.occurred_at:
        contact.occurred_at = event.initiated_at
    if event.root_segment and event.direction is not None:
        contact.direction = event.direction
    if named is not None:
        contact.customer_id = named.id
    return _snapshot(contact) != before


def _snapshot(contact: Contact) -> dict[str, Any]:
    return {
        name: getattr(contact, name)
        for name in ("customer_id", "direction", "occurred_at", *_FILLED)
    }
