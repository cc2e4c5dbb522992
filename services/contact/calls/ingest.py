"""Storing provider call events once and folding each call anew from its stored events."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.calls import repository
from services.contact.calls.announcements import NewEntry, Publishing, announce
from services.contact.calls.callmodel import LoggedEvent, NormalizedEvent, Projection, project
from services.contact.customers import service as customers
from services.contact.customers.identity_keys import IdentityKey, mask, phone_or_none
from services.contact.errors import InvalidWebhookError
from services.contact.models import Call, CallLogEntry, fit
from services.contact.routing.lines import follow_call
from services.contact.settings import ContactSettings
from shared.db import insert_or_get, utcnow
from shared.logging import get_logger

log = get_logger(__name__)
_PARTIES = ("from_number", "to_number")
_PROJECTED = (
    "state",
    "outcome",
    "direction",
    "from_number",
    "to_number",
    "ringing_at",
    "queued_at",
    "connected_at",
    "ended_at",
    "duration_seconds",
    "queue",
    "agent",
    "recording_url",
    "ivr_path",
    "legs",
)
# Event fields stored in a column, with the word a refusal uses for them.
_IDS = {
    (Call, "provider_call_id", "call_key"): "call id",
    (CallLogEntry, "dedup_key", "dedup_key"): "event key",
    (CallLogEntry, "kind", "kind"): "event kind",
    (CallLogEntry, "leg_id", "leg_id"): "leg id",
}


@dataclass(frozen=True)
class Ingested:
    """What storing one provider event did."""

    call: Call
    duplicate: bool


@dataclass(frozen=True)
class Caller:
    """Whose call it is: one customer, or the candidates sharing the caller's number."""

    customer_id: uuid.UUID | None
    candidates: list[uuid.UUID]
    # No event so far names the caller: the call waits for one that does (`settling.py`).
    pending: bool = False


async def ingest(
    session: AsyncSession,
    event: NormalizedEvent,
    *,
    settings: ContactSettings,
    publishing: Publishing,
) -> Ingested:
    """Store `event` once per `(provider, dedup_key)`, refold its call and publish what is due.

    A provider event publishes nothing itself when `call_settle_seconds` is set: the call
    publishes once its events have settled (`settling.settle_due_calls`), so what it publishes
    does not depend on the order they arrived in. A call held for a shared number publishes
    nothing until it has a customer; then it publishes what it missed. A queued call enters its
    queue's line; one that connects or ends leaves it.
    """
    region = settings.default_region
    _check_ids(event)
    existing = await repository.find_log_entry(session, event.provider, event.dedup_key)
    if existing is not None:
        return await _duplicate(session, existing)
    phone = (
        None if event.customer_phone is None else phone_or_none(event.customer_phone, region=region)
    )
    # Customers (and their identity rows) are resolved before the call row is locked: one lock
    # order for every request, so concurrent events of calls sharing a number cannot deadlock.
    known = await repository.find_call(session, event.provider, event.provider_call_id)
    waits = settings.call_settle_seconds > 0 and publishing.lifecycle
    rehomes = _rehomes(event, known, phone)
    caller = await _caller_for(session, event, phone, waits=waits) if rehomes else None
    call, created = await _open_call(session, event, caller)
    # A call that had its customer before this event has published all its earlier events.
    caught_up = created or call.customer_id is not None
    if (
        not created
        and caller is not None
        and phone is not None
        and not event.facts.get("child_leg")
    ):
        # The root leg's caller id decides whose call it is, whatever arrived first.
        _identify(call, caller)
    entry, stored = await insert_or_get(
        session,
        _log_entry(event, call, region, publishing),
        lambda: repository.find_log_entry(session, event.provider, event.dedup_key),
    )
    if not stored:
        return await _duplicate(session, entry)
    await refold(session, call)
    await follow_call(session, settings, call)
    await _publish_or_wait(session, call, settings, publishing, NewEntry(entry, created), caught_up)
    log.info(
        "call_event_stored",
        provider=event.provider,
        kind=event.kind,
        state=call.state,
        identification=call.identification,
        caller=mask(phone),
    )
    return Ingested(call=call, duplicate=False)


async def _publish_or_wait(
    session: AsyncSession,
    call: Call,
    settings: ContactSettings,
    publishing: Publishing,
    new_entry: NewEntry,
    caught_up: bool,
) -> None:
    """Publish what the call owes now, or, for a provider event with a settle window, once the
    call has been quiet that long: each event arriving meanwhile pushes the time back."""
    if settings.call_settle_seconds > 0 and publishing.lifecycle:
        call.settles_at = utcnow() + dt.timedelta(seconds=settings.call_settle_seconds)
        await session.flush()
    else:
        await announce(session, call, publishing, new_entry=new_entry if caught_up else None)


def _check_ids(event: NormalizedEvent) -> None:
    """Ids longer than their columns are not ids any provider sends: a 422, not a cut."""
    for (model, name, column), label in _IDS.items():
        value = getattr(event, name)
        if isinstance(value, str) and fit(model, column, value) != value:
            raise InvalidWebhookError(f"The event's {label} is too long.")


async def _duplicate(session: AsyncSession, entry: CallLogEntry) -> Ingested:
    call = await repository.find_call_by_id(session, entry.call_id)
    assert call is not None
    return Ingested(call=call, duplicate=True)


def _rehomes(event: NormalizedEvent, call: Call | None, phone: str | None) -> bool:
    """True when this event decides the call's customer anew (root leg, new caller id)."""
    if call is None:
        return True
    if call.identification == "agent" or phone is None or event.facts.get("child_leg"):
        # What an agent decided stands; only the root leg's caller id can change the owner.
        return False
    return phone not in (call.from_number, call.to_number)


async def _caller_for(
    session: AsyncSession, event: NormalizedEvent, phone: str | None, *, waits: bool
) -> Caller:
    if phone is None and waits:
        # Amazon Connect names the caller in INITIATED only, which may come later: no guess yet.
        return Caller(None, [], pending=True)
    if phone is not None:
        key = IdentityKey("phone", phone)
    else:
        key = own_prospect_key(event.provider, event.provider_call_id)
    found = await customers.owners_or_new_prospect(session, key, via=event.provider)
    if len(found) == 1:
        return Caller(found[0].id, [])
    # A shared number: no guess. The call waits with its candidates until an agent picks one.
    return Caller(None, [c.id for c in found])


def own_prospect_key(provider: str, provider_call_id: str) -> IdentityKey:
    """A withheld or missing caller id still gets a record: one prospect per such call."""
    return IdentityKey("external", f"{provider}:call:{provider_call_id}")


def _identify(call: Call, caller: Caller) -> None:
    call.customer_id = caller.customer_id
    call.candidate_customer_ids = [str(c) for c in caller.candidates]
    if caller.customer_id is not None:
        call.identification = "caller_id"
    else:
        call.identification = "pending" if caller.pending else "held"


async def _open_call(
    session: AsyncSession, event: NormalizedEvent, caller: Caller | None
) -> tuple[Call, bool]:
    """The event's call, row-locked; a new one when it is the call's first event."""
    call = await repository.lock_call(session, event.provider, event.provider_call_id)
    if call is not None:
        return call, False
    assert caller is not None, "a new call needs its caller"
    call = Call(
        id=uuid.uuid4(),
        provider=event.provider,
        provider_call_id=event.provider_call_id,
        state="initiated",
        started_at=event.occurred_at,
        ivr_path=[],
        legs=[],
        announced=[],
    )
    _identify(call, caller)
    return await insert_or_get(
        session,
        call,
        lambda: repository.lock_call(session, event.provider, event.provider_call_id),
    )


def _log_entry(
    event: NormalizedEvent, call: Call, region: str, publishing: Publishing
) -> CallLogEntry:
    return CallLogEntry(
        id=uuid.uuid4(),
        call_id=call.id,
        provider=event.provider,
        dedup_key=event.dedup_key,
        kind=event.kind,
        leg_id=event.leg_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        facts=_normalise_parties(event, region),
        # An event of the call-event API is published as its API row, never as its log entry.
        announced=publishing.api_events,
    )


def _normalise_parties(event: NormalizedEvent, region: str) -> dict[str, Any]:
    facts = dict(event.facts)
    for name in ("from", "to"):
        raw = facts.get(name)
        if isinstance(raw, str):
            facts[name] = phone_or_none(raw, region=region) or raw
    if event.state is not None:
        facts["state"] = event.state
    return facts


async def refold(session: AsyncSession, call: Call) -> Projection:
    """Recompute the call from every stored event of it."""
    entries = await repository.log_entries(session, call.id)
    projection = project(
        LoggedEvent(
            dedup_key=e.dedup_key,
            kind=e.kind,
            occurred_at=e.occurred_at,
            sequence=e.sequence,
            leg_id=e.leg_id,
            facts=dict(e.facts or {}),
        )
        for e in entries
    )
    for name in _PROJECTED:
        if name in _PARTIES and getattr(projection, name) is None:
            continue  # raw events past retention no longer say who called: the record does
        setattr(call, name, fit(Call, name, getattr(projection, name)))
    # Wrap-up entered through the API is kept unless a provider event reports one.
    for name in ("wrap_up_code", "disposition", "notes"):
        if getattr(projection, name) is not None:
            setattr(call, name, fit(Call, name, getattr(projection, name)))
    if projection.started_at is not None:
        call.started_at = projection.started_at
    call.updated_at = utcnow()
    await session.flush()
    return projection
