"""Customer use cases: identification, CRUD, identities, search and the scores kept."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import events
from services.contact.customers import repository
from services.contact.customers.identity_keys import (
    IdentityKey,
    IdentityLookup,
    key_for,
    lookup_keys,
    name_key,
)
from services.contact.customers.schemas import CustomerCreate, CustomerUpdate, IdentityCreate
from services.contact.errors import (
    CustomerMergedError,
    CustomerNotFoundError,
    IdentityNotFoundError,
    IdentityTakenError,
)
from services.contact.models import Customer, CustomerIdentity
from shared.contracts.contact import CustomerCreatedV1
from shared.db import chunks, utcnow
from shared.inserts import try_insert
from shared.pagination import page_of

# Identity kinds several customers may share (a household landline); others belong to one.
SHAREABLE = {"phone"}


async def _stage_created(session: AsyncSession, customer: Customer, via: str) -> None:
    await events.stage(
        session,
        CustomerCreatedV1(
            customer_id=customer.id,
            state=customer.state,
            kind=customer.kind,
            party=customer.party,
            created_via=via,
            created_at=customer.created_at,
        ),
    )


async def find_or_create_prospect(session: AsyncSession, key: IdentityKey, *, via: str) -> Customer:
    """The first owner of `key`; an unknown key becomes a new prospect, never a drop."""
    return (await owners_or_new_prospect(session, key, via=via))[0]


async def owners_or_new_prospect(
    session: AsyncSession, key: IdentityKey, *, via: str
) -> list[Customer]:
    """Every live owner of `key`, first owner first; an unknown key becomes a new prospect.

    More than one customer means the identity is shared and the caller is not known yet.
    """
    found = await repository.owners(session, key)
    if found:
        return found
    try:
        # The customer row first, for the identity's foreign key; both in one savepoint.
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
        found = await repository.owners(session, key)
        if not found:
            raise
        return found
    await _stage_created(session, customer, via)
    return [customer]


async def get_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """A customer by id, merged ones too; raises `CustomerNotFoundError` (also once erased)."""
    customer = await repository.find_customer(session, customer_id)
    if customer is None or customer.deleted_at is not None:
        raise CustomerNotFoundError(customer_id)
    return customer


async def get_live_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """A customer that is in use: not erased (404) and not merged away (409)."""
    customer = await get_customer(session, customer_id)
    if customer.merged_into_id is not None:
        raise CustomerMergedError(customer.id, customer.merged_into_id)
    return customer


async def identities(session: AsyncSession, customer_id: uuid.UUID) -> list[CustomerIdentity]:
    """A customer's identities in a stable order."""
    return await repository.identities_of(session, customer_id)


async def identities_by_customer(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CustomerIdentity]]:
    """The identities of each of `customer_ids` (a page of them: one query), stable order."""
    found: dict[uuid.UUID, list[CustomerIdentity]] = {c: [] for c in customer_ids}
    for chunk in chunks(list(customer_ids)):
        for identity in await repository.identities_of_many(session, chunk):
            found[identity.customer_id].append(identity)
    return found


async def _give_identity(session: AsyncSession, customer: Customer, key: IdentityKey) -> None:
    """Give `customer` the identity `key`; a shareable one held by others is shared."""
    existing = await repository.holders(session, key)
    if any(i.customer_id == customer.id for i in existing):
        raise IdentityTakenError(key.kind)
    if existing and key.kind not in SHAREABLE:
        raise IdentityTakenError(key.kind)
    ordinal = max((i.ordinal for i in existing), default=-1) + 1
    row = CustomerIdentity(customer_id=customer.id, kind=key.kind, value=key.value, ordinal=ordinal)
    if not await try_insert(session, row):
        raise IdentityTakenError(key.kind)


async def add_identity(
    session: AsyncSession, customer_id: uuid.UUID, data: IdentityCreate, *, region: str
) -> Customer:
    """Give a customer one more identity (a phone number others have is shared)."""
    customer = await get_customer(session, customer_id)
    key = key_for(data.kind, data.value, region=region, provider=data.provider)
    await _give_identity(session, customer, key)
    return customer


def _keys(data: CustomerCreate, region: str) -> list[IdentityKey]:
    keys = [key_for("phone", p, region=region) for p in data.phones]
    keys += [key_for("email", e, region=region) for e in data.emails]
    if data.customer_number:
        keys.append(key_for("customer_number", data.customer_number, region=region))
    keys += [
        key_for("external", x.id, region=region, provider=x.provider) for x in data.external_ids
    ]
    return list(dict.fromkeys(keys))


async def create_customer(session: AsyncSession, data: CustomerCreate, *, region: str) -> Customer:
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
        await _give_identity(session, customer, key)
    await _stage_created(session, customer, "api")
    return customer


async def update_customer(
    session: AsyncSession, customer_id: uuid.UUID, data: CustomerUpdate
) -> Customer:
    """Change the given attributes of a customer."""
    customer = await get_customer(session, customer_id)
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


async def remove_identity(
    session: AsyncSession, customer_id: uuid.UUID, identity_id: uuid.UUID
) -> Customer:
    """Take one identity away from a customer (a number that changed hands, a typo)."""
    customer = await get_customer(session, customer_id)
    identity = await repository.find_identity(session, identity_id)
    if identity is None or identity.customer_id != customer.id:
        raise IdentityNotFoundError(identity_id)
    await session.delete(identity)
    customer.updated_at = utcnow()
    await session.flush()
    return customer


async def identify(session: AsyncSession, lookup: IdentityLookup, *, region: str) -> list[Customer]:
    """Every live customer holding any of the given identities, first owners first, once each."""
    seen: dict[uuid.UUID, Customer] = {}
    for key in lookup_keys(lookup, region=region):
        for customer in await repository.owners(session, key):
            seen.setdefault(customer.id, customer)
    return list(seen.values())


async def search_customers(
    session: AsyncSession,
    lookup: IdentityLookup,
    *,
    name_prefix: str | None,
    region: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Customer], str | None]:
    """Live customers matching every filter, newest first, one page at a time."""
    rows = await repository.search(
        session,
        keys=lookup_keys(lookup, region=region),
        name_prefix=name_key(name_prefix),
        cursor=cursor,
        limit=limit,
    )
    return page_of(rows, limit, lambda c: (c.created_at, c.id))


async def record_scores(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    tier: str | None,
    churn_risk: float,
    at: dt.datetime,
) -> uuid.UUID | None:
    """Keep the newest tier and churn risk scoring reported; older reports change nothing.

    Returns the id of the customer whose scores were kept (the survivor of a merge), if any.
    """
    customer = await repository.find_customer(session, customer_id)
    if customer is not None and customer.merged_into_id is not None:
        # Scoring may still know the merged id; the scores belong to the surviving record.
        customer = await repository.find_customer(session, customer.merged_into_id)
    if customer is None or customer.deleted_at is not None:
        return None
    if customer.scored_at is not None and customer.scored_at > at:
        return None
    if tier is not None:
        customer.tier = tier
    customer.churn_risk = churn_risk
    customer.scored_at = at
    await session.flush()
    return customer.id


async def record_derived_state(session: AsyncSession, customer_id: uuid.UUID, state: str) -> None:
    """Keep the state scoring derived for the customer (the survivor's, after a merge)."""
    customer = await repository.find_customer(session, customer_id)
    if customer is not None and customer.merged_into_id is not None:
        customer = await repository.find_customer(session, customer.merged_into_id)
    if customer is None or customer.deleted_at is not None:
        return
    customer.derived_state = state
    await session.flush()
