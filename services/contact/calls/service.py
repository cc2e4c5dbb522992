"""Call use cases: the call-event API, reading calls, wrap-up, held calls, waiting, routing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.calls import repository, routing, waiting
from services.contact.calls.announcements import (
    API_EVENTS,
    EVERYTHING,
    announce,
)
from services.contact.calls.callmodel import NormalizedEvent
from services.contact.calls.ingest import ingest
from services.contact.calls.schemas import CallEventCreate, CallWrapUp
from services.contact.customers import service as customers
from services.contact.customers.identity_keys import mask, normalize_phone
from services.contact.errors import (
    CallAlreadyIdentifiedError,
    CallEventNotFoundError,
    CallNotFoundError,
)
from services.contact.models import Call, CallEvent, CallLogEntry
from services.contact.settings import ContactSettings
from shared.db import utcnow
from shared.inserts import insert_or_get
from shared.logging import get_logger
from shared.pagination import page_of

log = get_logger(__name__)


async def record_call_event(
    session: AsyncSession, data: CallEventCreate, *, settings: ContactSettings
) -> tuple[CallEvent, bool, Call]:
    """Store a call event of the API once per `(provider, call_id, sequence_number)`.

    Returns the stored event, whether it was a duplicate, and its call. A new event feeds the
    call model and, once the call has a customer, stages `contact.call_event_recorded` in the
    same transaction. From a number several customers share the event waits, like its call,
    until an agent says whose call it is.
    """

    async def stored() -> CallEvent | None:
        return await repository.find_call_event(
            session,
            provider=data.provider,
            provider_call_id=data.call_id,
            sequence_number=data.sequence_number,
        )

    existing = await stored()
    if existing is not None:
        return existing, True, await _call_of(session, data.provider, data.call_id)
    region = settings.default_region
    from_number = normalize_phone(data.from_, region=region, field="from")
    to_number = normalize_phone(data.to, region=region, field="to")
    row = CallEvent(
        id=uuid.uuid4(),
        provider=data.provider,
        provider_call_id=data.call_id,
        sequence_number=data.sequence_number,
        status=data.status,
        from_number=from_number,
        to_number=to_number,
        occurred_at=data.timestamp,
    )
    call_event, created = await insert_or_get(session, row, stored)
    if not created:
        return call_event, True, await _call_of(session, data.provider, data.call_id)
    event = _as_call_event(data, from_number, to_number)
    ingested = await ingest(session, event, settings=settings, publishing=API_EVENTS)
    return call_event, False, ingested.call


def _as_call_event(data: CallEventCreate, from_number: str, to_number: str) -> NormalizedEvent:
    return NormalizedEvent(
        provider=data.provider,
        provider_call_id=data.call_id,
        dedup_key=f"{data.call_id}:seq:{data.sequence_number}",
        kind=f"status:{data.status}",
        occurred_at=data.timestamp,
        state=data.status,
        sequence=data.sequence_number,
        customer_phone=from_number,
        facts={"from": from_number, "to": to_number},
    )


async def _call_of(session: AsyncSession, provider: str, provider_call_id: str) -> Call:
    """The call of a stored event; it exists once any event of it is stored."""
    call = await repository.find_call(session, provider, provider_call_id)
    if call is None:
        raise CallNotFoundError(f"{provider}:{provider_call_id}")
    return call


async def get_call_event(session: AsyncSession, call_event_id: uuid.UUID) -> CallEvent:
    """A stored API event; raises `CallEventNotFoundError`."""
    call_event = await repository.find_call_event_by_id(session, call_event_id)
    if call_event is None:
        raise CallEventNotFoundError(call_event_id)
    return call_event


async def get_call(session: AsyncSession, call_id: uuid.UUID) -> Call:
    """A call by id; raises `CallNotFoundError`."""
    call = await repository.find_call_by_id(session, call_id)
    if call is None:
        raise CallNotFoundError(call_id)
    return call


async def call_log(session: AsyncSession, call_id: uuid.UUID) -> list[CallLogEntry]:
    """A call's stored events, oldest first."""
    return await repository.log_entries(session, call_id)


async def list_calls(
    session: AsyncSession, *, identification: str | None, cursor: str | None, limit: int
) -> tuple[list[Call], str | None]:
    """Calls newest first, optionally only those identified one way (e.g. `held`)."""
    rows = await repository.calls_page(
        session, identification=identification, cursor=cursor, limit=limit
    )
    return page_of(rows, limit, lambda c: (c.started_at, c.id))


async def wrap_up_call(session: AsyncSession, call_id: uuid.UUID, data: CallWrapUp) -> Call:
    """Record the agent's wrap-up code, disposition and notes."""
    call = await get_call(session, call_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(call, name, value)
    call.updated_at = utcnow()
    await session.flush()
    return call


async def queue_for_call(session: AsyncSession, call: Call, queues: routing.QueueRouting) -> str:
    """The queue the call's caller goes into, by the latest tier scoring reported.

    A call held for a shared number goes to the priority queue if any of its candidates would.
    """
    people = await repository.customers_by_id(session, waiting.caller_ids(call))
    return routing.queue_for((c.tier for c in people.values()), queues)


async def assign_customer(
    session: AsyncSession, call_id: uuid.UUID, customer_id: uuid.UUID
) -> Call:
    """An agent says whose call a held call is; the call then publishes what it held back.

    Any live customer may be picked, not only a candidate (the caller may be someone else in
    the household). A call that already has this customer is left as it is; one that has
    another customer is refused: merge the customers if they are the same person.
    """
    call = await repository.lock_call_by_id(session, call_id)
    if call is None:
        raise CallNotFoundError(call_id)
    customer = await customers.get_live_customer(session, customer_id)
    if call.customer_id == customer.id:
        return call
    if call.customer_id is not None:
        raise CallAlreadyIdentifiedError(call.id, call.customer_id)
    call.customer_id = customer.id
    call.identification = "agent"
    call.updated_at = utcnow()
    await announce(session, call, EVERYTHING)
    log.info("call_assigned", call_id=str(call.id), candidates=len(call.candidate_customer_ids))
    return call


async def replace_candidate(session: AsyncSession, old: uuid.UUID, new: uuid.UUID | None) -> None:
    """After a merge (`new`) or an erasure (None), fix the candidates of held calls.

    A held call left with a single candidate is that customer's call, as if the number had
    always had one owner; it publishes what it held back.
    """
    for call in await repository.lock_held_calls(session):
        ids = list(call.candidate_customer_ids or [])
        if str(old) not in ids:
            continue
        kept = [str(new) if c == str(old) else c for c in ids if new is not None or c != str(old)]
        kept = list(dict.fromkeys(kept))
        call.candidate_customer_ids = kept
        call.updated_at = utcnow()
        if len(kept) == 1:
            call.customer_id = uuid.UUID(kept[0])
            call.identification = "caller_id"
            await announce(session, call, EVERYTHING)
    await session.flush()


# What a stored provider event may say about the person on the line besides their number:
# dropped from the raw payloads of an erased customer's calls (and of old calls, by retention).
PERSONAL_FACTS = ("notes", "recording_url", "ivr_input", "caller_name")


async def erase_personal_data(
    session: AsyncSession, customer_id: uuid.UUID, erased: frozenset[str]
) -> None:
    """Erase what the customer's calls say of them; the calls stay, for counts and reports.

    The numbers and addresses in `erased`, and the customer's side of each call (the caller
    of an inbound call, the callee of an outbound one: a number it may no longer hold), are
    masked on the calls, their raw provider events and the API's stored events; notes,
    recording links and keyed-in digits are dropped.
    """
    calls = await repository.calls_of_customer(session, customer_id)
    erased = erased | {n for c in calls if (n := _customer_side(c)) is not None}
    for call in calls:
        call.from_number = _scrub(call.from_number, erased)
        call.to_number = _scrub(call.to_number, erased)
        call.notes = call.recording_url = None
        call.ivr_path = []
        for entry in await repository.log_entries(session, call.id):
            entry.facts = scrub_facts(entry.facts or {}, erased)
    for event in await repository.call_events_of_customer(session, customer_id):
        event.from_number = _scrub(event.from_number, erased) or ""
        event.to_number = _scrub(event.to_number, erased) or ""


def scrub_facts(facts: dict[str, Any], erased: frozenset[str]) -> dict[str, Any]:
    """A raw event's facts without personal ones, the numbers in `erased` masked."""
    kept = {k: v for k, v in facts.items() if k not in PERSONAL_FACTS}
    for name in ("from", "to"):
        kept[name] = _scrub(kept.get(name), erased)
    return {k: v for k, v in kept.items() if v is not None}


def _customer_side(call: Call) -> str | None:
    return call.to_number if call.direction == "outbound" else call.from_number


def _scrub(value: str | None, erased: frozenset[str]) -> str | None:
    return mask(value) if value is not None and value in erased else value


async def waiting_calls(
    session: AsyncSession, *, queue: str | None, at_risk_threshold: float, limit: int
) -> list[waiting.Waiting]:
    """Queued calls, most valuable caller first, then callers at risk, then longest waiting.

    Read at the time of asking, so a tier or churn-risk change from scoring re-orders the
    callers already waiting. A held call ranks by the best of its candidates.
    """
    found = await repository.queued_calls(session, queue=queue)
    people = await repository.customers_by_id(
        session, (i for call in found for i in waiting.caller_ids(call))
    )
    ranked = [waiting.waiting(call, people, threshold=at_risk_threshold) for call in found]
    return waiting.in_order(ranked)[:limit]
