"""Storing provider call events once and keeping each call's projection up to date."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import customers
from services.contact.callmodel import LoggedEvent, NormalizedEvent, Projection, project
from services.contact.errors import (
    CallAlreadyIdentifiedError,
    CallNotFoundError,
    InvalidWebhookError,
)
from services.contact.identity import mask, phone_or_none
from services.contact.models import Call, CallEvent, CallLogEntry, Customer, fit
from services.contact.schemas import CallWrapUp
from shared.contracts.contact import (
    CallAbandonedV1,
    CallConnectedV1,
    CallEndedV1,
    CallEventRecordedV1,
    CallStartedV1,
)
from shared.db import utcnow
from shared.logging import get_logger
from shared.outbox import stage_event

SOURCE = "rapport/contact"
log = get_logger(__name__)
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


@dataclass(frozen=True)
class Ingested:
    """What storing one provider event did."""

    call: Call
    duplicate: bool


async def _entry(session: AsyncSession, provider: str, dedup_key: str) -> CallLogEntry | None:
    result = await session.scalars(
        select(CallLogEntry).where(
            CallLogEntry.provider == provider, CallLogEntry.dedup_key == dedup_key
        )
    )
    return result.first()


async def _locked_call(session: AsyncSession, provider: str, call_key: str) -> Call | None:
    # The row lock serialises events of one call on PostgreSQL, so no projection is lost.
    result = await session.scalars(
        select(Call)
        .where(Call.provider == provider, Call.call_key == call_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.first()


def _normalise_parties(event: NormalizedEvent, region: str) -> dict[str, Any]:
    facts = dict(event.facts)
    for name in ("from", "to"):
        raw = facts.get(name)
        if isinstance(raw, str):
            facts[name] = phone_or_none(raw, region=region) or raw
    if event.state is not None:
        facts["state"] = event.state
    return facts


@dataclass(frozen=True)
class Caller:
    """Whose call it is: one customer, or the candidates sharing the caller's number."""

    customer_id: uuid.UUID | None
    candidates: list[uuid.UUID]


async def _caller_for(session: AsyncSession, event: NormalizedEvent, phone: str | None) -> Caller:
    if phone is not None:
        key = customers.IdentityKey("phone", phone)
    else:
        # A withheld or missing caller id still gets a record: one prospect per such call.
        key = customers.IdentityKey("external", f"{event.provider}:call:{event.call_key}")
    found = await customers.callers(session, key, via=event.provider)
    if len(found) == 1:
        return Caller(found[0].id, [])
    # A shared number: no guess. The call waits with its candidates until an agent picks one.
    return Caller(None, [c.id for c in found])


def _identify(call: Call, caller: Caller) -> None:
    call.customer_id = caller.customer_id
    call.candidate_customer_ids = [str(c) for c in caller.candidates]
    call.identification = "caller_id" if caller.customer_id is not None else "held"


async def _open_call(
    session: AsyncSession, event: NormalizedEvent, caller: Caller | None
) -> tuple[Call, bool]:
    call = await _locked_call(session, event.provider, event.call_key)
    if call is not None:
        return call, False
    assert caller is not None, "a new call needs its caller"
    call = Call(
        id=uuid.uuid4(),
        provider=event.provider,
        call_key=event.call_key,
        state="initiated",
        started_at=event.occurred_at,
        ivr_path=[],
        legs=[],
        announced=[],
    )
    _identify(call, caller)
    try:
        async with session.begin_nested():
            session.add(call)
            await session.flush()
    except IntegrityError:
        raced = await _locked_call(session, event.provider, event.call_key)
        if raced is None:
            raise
        return raced, False
    return call, True


async def _peek_call(session: AsyncSession, provider: str, call_key: str) -> Call | None:
    result = await session.scalars(
        select(Call).where(Call.provider == provider, Call.call_key == call_key)
    )
    return result.first()


def _rehomes(event: NormalizedEvent, call: Call | None, phone: str | None) -> bool:
    """True when this event decides the call's customer anew (root leg, new caller id)."""
    if call is None:
        return True
    if call.identification == "agent" or phone is None or event.facts.get("child_leg"):
        # What an agent decided stands; only the root leg's caller id can change the owner.
        return False
    return phone not in (call.from_number, call.to_number)


async def ingest(
    session: AsyncSession,
    event: NormalizedEvent,
    *,
    region: str,
    publish_recorded: bool = True,
    publish_lifecycle: bool = True,
) -> Ingested:
    """Store `event` once per `(provider, dedup_key)` and refold its call.

    `publish_recorded` stages `contact.call_event_recorded`; `publish_lifecycle` stages the
    call's started/connected/ended/abandoned events as it gets there. A call held for a shared
    number stages nothing until it has a customer; then it stages what it missed.
    """
    _check_ids(event)
    existing = await _entry(session, event.provider, event.dedup_key)
    if existing is not None:
        return await _duplicate(session, existing)
    phone = (
        None if event.customer_phone is None else phone_or_none(event.customer_phone, region=region)
    )
    # Customers (and their identity rows) are resolved before the call row is locked: one lock
    # order for every request, so concurrent events of calls sharing a number cannot deadlock.
    rehome = _rehomes(event, await _peek_call(session, event.provider, event.call_key), phone)
    caller = await _caller_for(session, event, phone) if rehome else None
    call, created = await _open_call(session, event, caller)
    # A call that had its customer before this event has published all its earlier events.
    caught_up = created or call.customer_id is not None
    root = not event.facts.get("child_leg")
    if not created and caller is not None and phone is not None and root:
        # The root leg's caller id decides whose call it is, whatever arrived first.
        _identify(call, caller)
    entry = CallLogEntry(
        id=uuid.uuid4(),
        call_id=call.id,
        provider=event.provider,
        dedup_key=event.dedup_key,
        kind=event.kind,
        leg_id=event.leg_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        facts=_normalise_parties(event, region),
        # Events of the internal API are announced by their own `call_event` rows.
        announced=not publish_recorded,
    )
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        raced = await _entry(session, event.provider, event.dedup_key)
        if raced is None:
            raise
        return await _duplicate(session, raced)
    await refold(session, call)
    await announce(
        session,
        call,
        lifecycle=publish_lifecycle,
        raw=not publish_recorded,
        only=(entry, created) if caught_up else None,
    )
    log.info(
        "call_event_stored",
        provider=event.provider,
        kind=event.kind,
        state=call.state,
        identification=call.identification,
        caller=mask(phone),
    )
    return Ingested(call=call, duplicate=False)


_IDS = {"call_key": "call id", "dedup_key": "event key", "kind": "event kind", "leg_id": "leg id"}


def _check_ids(event: NormalizedEvent) -> None:
    """Ids longer than their columns are not ids any provider sends: a 422, not a cut."""
    for name, label in _IDS.items():
        value = getattr(event, name)
        model = Call if name == "call_key" else CallLogEntry
        if isinstance(value, str) and fit(model, name, value) != value:
            raise InvalidWebhookError(f"The event's {label} is too long.")


async def _duplicate(session: AsyncSession, entry: CallLogEntry) -> Ingested:
    call = await session.get(Call, entry.call_id)
    assert call is not None
    return Ingested(call=call, duplicate=True)


async def log_entries(session: AsyncSession, call_id: uuid.UUID) -> list[CallLogEntry]:
    """A call's stored events, oldest first."""
    result = await session.scalars(
        select(CallLogEntry)
        .where(CallLogEntry.call_id == call_id)
        .order_by(CallLogEntry.occurred_at, CallLogEntry.sequence, CallLogEntry.dedup_key)
    )
    return list(result.all())


async def refold(session: AsyncSession, call: Call) -> Projection:
    """Recompute the call from every stored event of it."""
    entries = await log_entries(session, call.id)
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


def _reached(call: Call) -> list[str]:
    """The lifecycle events the call's state calls for, in the order they happen."""
    reached = ["started"]
    if call.connected_at is not None:
        reached.append("connected")
    if call.state == "ended":
        reached.append("ended")
        if call.outcome == "abandoned":
            # A late queue event can turn an ended call into an abandoned one; said once.
            reached.append("abandoned")
    return reached


async def announce(
    session: AsyncSession,
    call: Call,
    *,
    lifecycle: bool = True,
    raw: bool = True,
    only: tuple[CallLogEntry, bool] | None = None,
) -> None:
    """Stage every event the call owes and has not published, once; nothing while held.

    With `lifecycle` false the lifecycle events are only marked as done, never staged (the
    internal call-event API publishes one event per stored event and nothing else). `raw`
    also looks for that API's stored events still waiting for the call's customer. `only`
    (an entry, and whether it is the call's first) says that entry is the one event not yet
    published, which spares looking for others on the hot path.
    """
    due = [m for m in _reached(call) if m not in (call.announced or [])]
    if due and not lifecycle:
        call.announced = [*(call.announced or []), *due]
        due = []
    if call.customer_id is None:
        return
    for milestone in due:
        await _stage_lifecycle(session, call, milestone)
    if due:
        call.announced = [*(call.announced or []), *due]
    if only is not None:
        entry, first = only
        if not entry.announced:
            await _stage_recorded(session, call, entry, first=first)
            entry.announced = True
        entries = []
    else:
        pending = await session.scalars(
            select(CallLogEntry)
            .where(CallLogEntry.call_id == call.id, CallLogEntry.announced.is_(False))
            .order_by(CallLogEntry.occurred_at, CallLogEntry.sequence, CallLogEntry.dedup_key)
        )
        entries = list(pending.all())
    if entries:
        first = not await _any_announced(session, call.id)
        for entry in entries:
            await _stage_recorded(session, call, entry, first=first)
            entry.announced = True
            first = False
    if raw:
        await _announce_raw(session, call)
    await session.flush()


async def _announce_raw(session: AsyncSession, call: Call) -> None:
    """Give the internal API's stored events of this call their customer, and publish them."""
    raw = await session.scalars(
        select(CallEvent).where(
            CallEvent.provider == call.provider, CallEvent.call_id == call.call_key
        )
    )
    events = list(raw.all())
    waiting = sorted(
        (e for e in events if e.customer_id is None),
        key=lambda e: (e.occurred_at, e.sequence_number),
    )
    first = all(e.customer_id is None for e in events)
    for event in waiting:
        event.customer_id = call.customer_id
        await stage_event(
            session,
            CallEventRecordedV1(
                call_event_id=event.id,
                customer_id=call.customer_id,
                provider=event.provider,
                call_id=event.call_id,
                sequence_number=event.sequence_number,
                status=event.status,
                occurred_at=event.occurred_at,
                first_event_of_call=first,
            ),
            source=SOURCE,
        )
        first = False


async def _any_announced(session: AsyncSession, call_id: uuid.UUID) -> bool:
    found = await session.scalars(
        select(CallLogEntry.id)
        .where(CallLogEntry.call_id == call_id, CallLogEntry.announced.is_(True))
        .limit(1)
    )
    return found.first() is not None


async def _stage_lifecycle(session: AsyncSession, call: Call, milestone: str) -> None:
    assert call.customer_id is not None
    common = {
        "customer_id": call.customer_id,
        "call_id": call.id,
        "provider": call.provider,
        "provider_call_id": call.call_key,
    }
    event: CallStartedV1 | CallConnectedV1 | CallEndedV1 | CallAbandonedV1
    if milestone == "started":
        event = CallStartedV1(**common, direction=call.direction, started_at=call.started_at)
    elif milestone == "connected":
        assert call.connected_at is not None
        event = CallConnectedV1(
            **common, queue=call.queue, agent=call.agent, connected_at=call.connected_at
        )
    elif milestone == "ended":
        event = CallEndedV1(
            **common,
            outcome=call.outcome,
            direction=call.direction,
            queue=call.queue,
            agent=call.agent,
            duration_seconds=call.duration_seconds,
            ended_at=call.ended_at or utcnow(),
        )
    else:
        event = CallAbandonedV1(
            **common,
            queue=call.queue,
            queued_at=call.queued_at,
            abandoned_at=call.ended_at or utcnow(),
        )
    await stage_event(session, event, source=SOURCE)


async def _stage_recorded(
    session: AsyncSession, call: Call, entry: CallLogEntry, *, first: bool
) -> None:
    assert call.customer_id is not None
    state = (entry.facts or {}).get("state")
    await stage_event(
        session,
        CallEventRecordedV1(
            call_event_id=entry.id,
            customer_id=call.customer_id,
            provider=call.provider,
            call_id=call.call_key,
            sequence_number=entry.sequence or 0,
            status=state if isinstance(state, str) else entry.kind,
            occurred_at=entry.occurred_at,
            first_event_of_call=first,
        ),
        source=SOURCE,
    )


async def call_by_key(session: AsyncSession, provider: str, call_key: str) -> Call:
    """The call a provider knows by `call_key`; it exists once any event of it is stored."""
    call = await _peek_call(session, provider, call_key)
    if call is None:
        raise CallNotFoundError(f"{provider}:{call_key}")
    return call


async def get_call(session: AsyncSession, call_id: uuid.UUID) -> Call:
    """A call by id; raises `CallNotFoundError`."""
    call = await session.get(Call, call_id)
    if call is None:
        raise CallNotFoundError(call_id)
    return call


async def wrap_up(session: AsyncSession, call_id: uuid.UUID, data: CallWrapUp) -> Call:
    """Record the agent's wrap-up code, disposition and notes."""
    call = await get_call(session, call_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(call, name, value)
    call.updated_at = utcnow()
    await session.flush()
    return call


async def assign_customer(
    session: AsyncSession, call_id: uuid.UUID, customer_id: uuid.UUID
) -> Call:
    """An agent says whose call a held call is; the call then publishes what it held back.

    Any live customer may be picked, not only a candidate (the caller may be someone else in
    the household). A call that already has this customer is left as it is; one that has
    another customer is refused: merge the customers if they are the same person.
    """
    call = await _locked(session, call_id)
    customer = await customers.live(session, customer_id)
    if call.customer_id == customer.id:
        return call
    if call.customer_id is not None:
        raise CallAlreadyIdentifiedError(call.id, call.customer_id)
    call.customer_id = customer.id
    call.identification = "agent"
    call.updated_at = utcnow()
    await announce(session, call)
    log.info("call_assigned", call_id=str(call.id), candidates=len(call.candidate_customer_ids))
    return call


async def _locked(session: AsyncSession, call_id: uuid.UUID) -> Call:
    result = await session.scalars(
        select(Call)
        .where(Call.id == call_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    call = result.first()
    if call is None:
        raise CallNotFoundError(call_id)
    return call


async def list_calls(
    session: AsyncSession, *, identification: str | None, cursor: str | None, limit: int
) -> tuple[list[Call], str | None]:
    """Calls newest first, optionally only those identified one way (e.g. `held`)."""
    query = select(Call)
    if identification is not None:
        query = query.where(Call.identification == identification)
    query = customers.newest_first(query, Call.started_at, Call.id, cursor=cursor, limit=limit)
    rows = list((await session.scalars(query)).all())
    return customers.page_of(rows, limit, lambda c: (c.started_at, c.id))


async def replace_candidate(session: AsyncSession, old: uuid.UUID, new: uuid.UUID | None) -> None:
    """After a merge (`new`) or an erasure (None), fix the candidates of held calls.

    A held call left with a single candidate is that customer's call, as if the number had
    always had one owner; it publishes what it held back.
    """
    held = await session.scalars(
        select(Call)
        .where(Call.identification == "held")
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for call in held.all():
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
            await announce(session, call)
    await session.flush()


# Value tiers, most valuable first; a caller scoring has not placed yet comes after them all.
TIER_RANK = {"gold": 0, "silver": 1, "bronze": 2, "iron": 3}
_WAITING_SCAN = 1000


@dataclass(frozen=True)
class Waiting:
    """A queued call and what puts it where it is in the waiting list."""

    call: Call
    tier: str | None
    churn_risk: float | None
    at_risk: bool


async def waiting_calls(
    session: AsyncSession, *, queue: str | None, at_risk_threshold: float, limit: int
) -> list[Waiting]:
    """Queued calls, most valuable caller first, then callers at risk, then longest waiting.

    Read at the time of asking, so a tier or churn-risk change from scoring re-orders the
    callers already waiting. A held call ranks by the best of its candidates.
    """
    query = select(Call).where(Call.state == "queued")
    if queue is not None:
        query = query.where(Call.queue == queue)
    found = list((await session.scalars(query.limit(_WAITING_SCAN))).all())
    ids = {
        uuid.UUID(str(c))
        for call in found
        for c in ([call.customer_id] if call.customer_id else call.candidate_customer_ids)
    }
    people = {
        c.id: c for c in (await session.scalars(select(Customer).where(Customer.id.in_(ids))))
    }
    ranked = [_waiting(call, people, at_risk_threshold) for call in found]
    ranked.sort(
        key=lambda w: (
            TIER_RANK.get(w.tier or "", len(TIER_RANK)),
            not w.at_risk,
            w.call.queued_at or w.call.started_at,
            w.call.id,
        )
    )
    return ranked[:limit]


def _waiting(call: Call, people: dict[uuid.UUID, Customer], threshold: float) -> Waiting:
    ids = [call.customer_id] if call.customer_id else call.candidate_customer_ids
    callers = [people[i] for i in (uuid.UUID(str(c)) for c in ids) if i in people]
    tiers = sorted((c.tier for c in callers if c.tier in TIER_RANK), key=TIER_RANK.__getitem__)
    risks = [c.churn_risk for c in callers if c.churn_risk is not None]
    risk = max(risks) if risks else None
    return Waiting(
        call=call,
        tier=tiers[0] if tiers else None,
        churn_risk=risk,
        at_risk=risk is not None and risk >= threshold,
    )
