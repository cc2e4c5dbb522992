"""Customers and their identities: identification, CRUD, search, merge, scores."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.errors import (
    CustomerMergedError,
    CustomerNotFoundError,
    IdentityNotFoundError,
    IdentityTakenError,
    InvalidCursorError,
    SelfMergeError,
)
from services.contact.identity import mask, name_key, normalize_email, normalize_phone
from services.contact.models import (
    Call,
    CallEvent,
    CallLogEntry,
    Contact,
    Customer,
    CustomerIdentity,
)
from services.contact.schemas import CustomerCreate, CustomerUpdate, IdentityCreate
from shared.contracts.contact import CustomerCreatedV1, CustomerDeletedV1, CustomersMergedV1
from shared.db import utcnow
from shared.outbox import stage_event

SOURCE = "rapport/contact"
# Identity kinds several customers may share (a household landline); others belong to one.
SHAREABLE = {"phone"}


@dataclass(frozen=True)
class IdentityKey:
    """A normalised identity value."""

    kind: str
    value: str


def key_for(kind: str, value: str, *, region: str, provider: str | None = None) -> IdentityKey:
    """The normalised form of an identity as given in a request."""
    if kind == "phone":
        return IdentityKey("phone", normalize_phone(value, region=region, field="phone"))
    if kind == "email":
        return IdentityKey("email", normalize_email(value))
    if kind == "external":
        return IdentityKey("external", f"{provider or 'unknown'}:{value.strip()}")
    return IdentityKey(kind, value.strip())


async def owners(session: AsyncSession, key: IdentityKey) -> list[Customer]:
    """Customers that have this identity, first owner first; merged records never count."""
    result = await session.scalars(
        select(Customer)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
        .where(
            CustomerIdentity.kind == key.kind,
            CustomerIdentity.value == key.value,
            Customer.merged_into_id.is_(None),
            Customer.deleted_at.is_(None),
        )
        .order_by(CustomerIdentity.ordinal)
    )
    return list(result.all())


async def _stage_created(session: AsyncSession, customer: Customer, via: str) -> None:
    await stage_event(
        session,
        CustomerCreatedV1(
            customer_id=customer.id,
            state=customer.state,
            kind=customer.kind,
            party=customer.party,
            created_via=via,
            created_at=customer.created_at,
        ),
        source=SOURCE,
    )


async def find_or_create_prospect(session: AsyncSession, key: IdentityKey, *, via: str) -> Customer:
    """The first owner of `key`; an unknown key becomes a new prospect, never a drop."""
    return (await callers(session, key, via=via))[0]


async def callers(session: AsyncSession, key: IdentityKey, *, via: str) -> list[Customer]:
    """Every live owner of `key`, first owner first; an unknown key becomes a new prospect.

    More than one customer means the identity is shared and the caller is not known yet.
    """
    found = await owners(session, key)
    if found:
        return found
    try:
        async with session.begin_nested():
            customer = Customer(id=uuid.uuid4(), state="prospect", created_at=utcnow())
            session.add(customer)
            await session.flush()
            session.add(
                CustomerIdentity(customer_id=customer.id, kind=key.kind, value=key.value, ordinal=0)
            )
            await session.flush()
    except IntegrityError:
        # A concurrent request created the first owner of this key; use theirs.
        found = await owners(session, key)
        if not found:
            raise
        return found
    await _stage_created(session, customer, via)
    return [customer]


async def get(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """A customer by id, merged ones too; raises `CustomerNotFoundError` (also once erased)."""
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.deleted_at is not None:
        raise CustomerNotFoundError(customer_id)
    return customer


async def live(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """A customer that is in use: not erased (404) and not merged away (409)."""
    customer = await get(session, customer_id)
    if customer.merged_into_id is not None:
        raise CustomerMergedError(customer.id, customer.merged_into_id)
    return customer


async def identities(session: AsyncSession, customer_id: uuid.UUID) -> list[CustomerIdentity]:
    """A customer's identities in a stable order."""
    result = await session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id == customer_id)
        .order_by(CustomerIdentity.kind, CustomerIdentity.value)
    )
    return list(result.all())


async def add_identity(session: AsyncSession, customer: Customer, key: IdentityKey) -> None:
    """Give `customer` the identity `key`; a shareable one held by others is shared."""
    holders = await session.scalars(
        select(CustomerIdentity).where(
            CustomerIdentity.kind == key.kind, CustomerIdentity.value == key.value
        )
    )
    existing = list(holders.all())
    if any(i.customer_id == customer.id for i in existing):
        raise IdentityTakenError(key.kind)
    if existing and key.kind not in SHAREABLE:
        raise IdentityTakenError(key.kind)
    ordinal = max((i.ordinal for i in existing), default=-1) + 1
    try:
        async with session.begin_nested():
            session.add(
                CustomerIdentity(
                    customer_id=customer.id, kind=key.kind, value=key.value, ordinal=ordinal
                )
            )
            await session.flush()
    except IntegrityError as exc:
        raise IdentityTakenError(key.kind) from exc


def _keys(data: CustomerCreate, region: str) -> list[IdentityKey]:
    keys = [key_for("phone", p, region=region) for p in data.phones]
    keys += [key_for("email", e, region=region) for e in data.emails]
    if data.customer_number:
        keys.append(key_for("customer_number", data.customer_number, region=region))
    keys += [
        key_for("external", x.id, region=region, provider=x.provider) for x in data.external_ids
    ]
    return list(dict.fromkeys(keys))


async def create(session: AsyncSession, data: CustomerCreate, *, region: str) -> Customer:
    """A new customer with its identities; publishes `contact.customer_created`."""
    keys = _keys(data, region)
    customer = Customer(
        id=uuid.uuid4(),
        name=data.name,
        name_key=name_key(data.name),
        state=data.state,
        kind=data.kind,
        party=data.party,
        man_money=data.man.money,
        man_authority=data.man.authority,
        man_need=data.man.need,
        created_at=utcnow(),
    )
    session.add(customer)
    await session.flush()
    for key in keys:
        await add_identity(session, customer, key)
    await _stage_created(session, customer, "api")
    return customer


async def update_customer(
    session: AsyncSession, customer_id: uuid.UUID, data: CustomerUpdate
) -> Customer:
    """Change the given attributes of a customer."""
    customer = await get(session, customer_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes:
        customer.name = data.name
        customer.name_key = name_key(data.name)
    for attr in ("state", "kind", "party"):
        if changes.get(attr) is not None:
            setattr(customer, attr, changes[attr])
    if data.man is not None:
        customer.man_money = data.man.money
        customer.man_authority = data.man.authority
        customer.man_need = data.man.need
    customer.updated_at = utcnow()
    await session.flush()
    return customer


async def identify(session: AsyncSession, keys: list[IdentityKey]) -> list[Customer]:
    """Every live customer holding any of `keys`, first owners first, without repeats."""
    seen: dict[uuid.UUID, Customer] = {}
    for key in keys:
        for customer in await owners(session, key):
            seen.setdefault(customer.id, customer)
    return list(seen.values())


def encode_cursor(at: dt.datetime, row_id: uuid.UUID) -> str:
    """An opaque cursor for keyset pagination on `(time, id)`."""
    raw = f"{at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """The `(time, id)` a cursor stands for; raises `InvalidCursorError`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, row_id = raw.partition("|")
        parsed = dt.datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursorError() from exc


T = TypeVar("T")


def newest_first(
    query: Select[Any], at: Any, row_id: Any, *, cursor: str | None, limit: int
) -> Select[Any]:
    """`query` ordered newest first on `(at, row_id)`, after `cursor`, one row past `limit`."""
    if cursor:
        after, after_id = decode_cursor(cursor)
        query = query.where(or_(at < after, and_(at == after, row_id < after_id)))
    return query.order_by(at.desc(), row_id.desc()).limit(limit + 1)


def page_of(
    rows: list[T], limit: int, key: Callable[[T], tuple[dt.datetime, uuid.UUID]]
) -> tuple[list[T], str | None]:
    """The first `limit` rows and the cursor of the next page (None on the last one)."""
    page = rows[:limit]
    return page, encode_cursor(*key(page[-1])) if len(rows) > limit and page else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession,
    *,
    keys: list[IdentityKey],
    name_prefix: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Customer], str | None]:
    """Live customers matching every filter, newest first, one page at a time."""
    query: Select[Customer] = select(Customer).where(
        Customer.merged_into_id.is_(None), Customer.deleted_at.is_(None)
    )
    for key in keys:
        holders = select(CustomerIdentity.customer_id).where(
            CustomerIdentity.kind == key.kind, CustomerIdentity.value == key.value
        )
        query = query.where(Customer.id.in_(holders))
    prefix = name_key(name_prefix)
    if prefix:
        query = query.where(Customer.name_key.like(_escape_like(prefix) + "%", escape="\\"))
    query = newest_first(query, Customer.created_at, Customer.id, cursor=cursor, limit=limit)
    rows = list((await session.scalars(query)).all())
    return page_of(rows, limit, lambda c: (c.created_at, c.id))


async def merge(session: AsyncSession, target_id: uuid.UUID, source_id: uuid.UUID) -> Customer:
    """Fold `source` into `target`: every identity and interaction moves; an event says so."""
    if target_id == source_id:
        raise SelfMergeError()
    target = await get(session, target_id)
    source = await get(session, source_id)
    for customer in (target, source):
        if customer.merged_into_id is not None:
            raise CustomerNotFoundError(customer.id)
    moved_identities = await _move_identities(session, source.id, target.id)
    moved = 0
    for model in (Call, Contact):
        result = await session.execute(
            update(model).where(model.customer_id == source.id).values(customer_id=target.id)
        )
        moved += int(getattr(result, "rowcount", 0) or 0)
    # The raw generic call events follow their customer too, so nothing points at the old id.
    await session.execute(
        update(CallEvent).where(CallEvent.customer_id == source.id).values(customer_id=target.id)
    )
    source.merged_into_id = target.id
    source.updated_at = target.updated_at = utcnow()
    if target.name is None and source.name is not None:
        target.name, target.name_key = source.name, source.name_key
    await session.flush()
    await stage_event(
        session,
        CustomersMergedV1(
            customer_id=target.id,
            merged_customer_id=source.id,
            identities_moved=moved_identities,
            interactions_moved=moved,
            merged_at=utcnow(),
        ),
        source=SOURCE,
    )
    return target


async def _move_identities(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    kept = {(i.kind, i.value) for i in await identities(session, target)}
    moved = 0
    for identity in await identities(session, source):
        if (identity.kind, identity.value) in kept:
            # The target already has it: one row per customer and value is enough.
            await session.delete(identity)
        else:
            identity.customer_id = target
            moved += 1
    await session.flush()
    return moved


async def record_scores(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    tier: str | None,
    churn_risk: float,
    at: dt.datetime,
) -> None:
    """Keep the newest tier and churn risk scoring reported; older reports change nothing."""
    customer = await session.get(Customer, customer_id)
    if customer is not None and customer.merged_into_id is not None:
        # Scoring may still know the merged id; the scores belong to the surviving record.
        customer = await session.get(Customer, customer.merged_into_id)
    if customer is None or customer.deleted_at is not None:
        return
    if customer.scored_at is not None and customer.scored_at > at:
        return
    if tier is not None:
        customer.tier = tier
    customer.churn_risk = churn_risk
    customer.scored_at = at
    await session.flush()


async def count_identities(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """How many identities a customer has."""
    value = await session.scalar(
        select(func.count())
        .select_from(CustomerIdentity)
        .where(CustomerIdentity.customer_id == customer_id)
    )
    return int(value or 0)


def identity_from_request(data: IdentityCreate, *, region: str) -> IdentityKey:
    """The normalised identity of an add-identity request."""
    return key_for(data.kind, data.value, region=region, provider=data.provider)


async def remove_identity(
    session: AsyncSession, customer_id: uuid.UUID, identity_id: uuid.UUID
) -> Customer:
    """Take one identity away from a customer (a number that changed hands, a typo)."""
    customer = await get(session, customer_id)
    identity = await session.get(CustomerIdentity, identity_id)
    if identity is None or identity.customer_id != customer.id:
        raise IdentityNotFoundError(identity_id)
    await session.delete(identity)
    customer.updated_at = utcnow()
    await session.flush()
    return customer


def _scrub(value: str | None, erased: set[str]) -> str | None:
    return mask(value) if value is not None and value in erased else value


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """Delete a customer: identities go, personal data is blanked, an event says so.

    Its calls and contacts stay, for the counts and reports that include them, but the numbers
    and addresses it was known by are masked in them and message bodies are dropped. A later
    call from the same number is an unknown caller again.
    """
    customer = await get(session, customer_id)
    held = await identities(session, customer.id)
    erased = {i.value for i in held if i.kind in ("phone", "email")}
    for identity in held:
        await session.delete(identity)
    customer.name = customer.name_key = None
    customer.man_money = customer.man_authority = customer.man_need = None
    customer.tier = customer.churn_risk = customer.scored_at = None
    now = utcnow()
    customer.deleted_at = customer.updated_at = now
    for call in (await session.scalars(select(Call).where(Call.customer_id == customer.id))).all():
        call.from_number = _scrub(call.from_number, erased)
        call.to_number = _scrub(call.to_number, erased)
        entries = await session.scalars(select(CallLogEntry).where(CallLogEntry.call_id == call.id))
        for entry in entries.all():
            facts = dict(entry.facts or {})
            for name in ("from", "to"):
                facts[name] = _scrub(facts.get(name), erased)
            entry.facts = {k: v for k, v in facts.items() if v is not None}
    raw = await session.scalars(select(CallEvent).where(CallEvent.customer_id == customer.id))
    for event in raw.all():
        event.from_number = _scrub(event.from_number, erased) or ""
        event.to_number = _scrub(event.to_number, erased) or ""
    await session.execute(
        update(Contact)
        .where(Contact.customer_id == customer.id)
        .values(subject=None, body=None, notes=None)
    )
    await session.flush()
    await stage_event(
        session, CustomerDeletedV1(customer_id=customer.id, deleted_at=now), source=SOURCE
    )
    return customer
