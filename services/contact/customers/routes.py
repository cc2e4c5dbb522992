"""HTTP routes for customers and their identities."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from services.contact.customers import service
from services.contact.customers.erasure import erase_customer
from services.contact.customers.identity_keys import IdentityLookup
from services.contact.customers.merging import merge_customers as merge
from services.contact.customers.qualification import man_strategy
from services.contact.customers.schemas import (
    CustomerCreate,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
    Identification,
    IdentityCreate,
    IdentityRead,
    ManRead,
    MergeRequest,
)
from services.contact.dependencies import Settings
from services.contact.models import Customer, CustomerIdentity
from shared.api import Session, allow, problem

router = APIRouter(prefix="/v1/customers", tags=["customers"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("Not found")}


def _lookup(
    phone: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    customer_number: Annotated[str | None, Query(max_length=64)] = None,
) -> IdentityLookup:
    return IdentityLookup(phone=phone, email=email, customer_number=customer_number)


Lookup = Annotated[IdentityLookup, Depends(_lookup)]


async def customer_read(session: Session, customer: Customer) -> CustomerRead:
    """The API shape of a customer."""
    return _shape(customer, await service.identities(session, customer.id))


async def customer_reads(session: Session, customers: Sequence[Customer]) -> list[CustomerRead]:
    """The API shape of a page of customers, their identities read in one query."""
    held = await service.identities_by_customer(session, [c.id for c in customers])
    return [_shape(c, held[c.id]) for c in customers]


def _shape(customer: Customer, identities: Sequence[CustomerIdentity]) -> CustomerRead:
    money, authority, need = customer.man_money, customer.man_authority, customer.man_need
    return CustomerRead(
        customer_id=customer.id,
        name=customer.name,
        state=customer.state,
        derived_state=customer.derived_state,
        kind=customer.kind,
        party=customer.party,
        man=ManRead(
            money=money,
            authority=authority,
            need=need,
            qualified=bool(money and authority and need),
            strategy=man_strategy(money, authority, need),
        ),
        tier=customer.tier,
        churn_risk=customer.churn_risk,
        identities=[IdentityRead.model_validate(i) for i in identities],
        merged_into=customer.merged_into_id,
        created_at=customer.created_at,
    )


@router.post(
    "",
    dependencies=allow("customers:write"),
    response_model=CustomerRead,
    status_code=201,
    summary="Create a customer with its identities",
    responses={409: problem("An identity belongs to someone else")},
)
async def create_customer(
    data: CustomerCreate, session: Session, settings: Settings, response: Response
) -> CustomerRead:
    customer = await service.create_customer(session, data, region=settings.default_region)
    response.headers["Location"] = f"/v1/customers/{customer.id}"
    return await customer_read(session, customer)


@router.get(
    "",
    dependencies=allow("customers:read"),
    response_model=CustomerPage,
    summary="Search customers by phone (any written form), e-mail, number or name prefix",
)
async def search_customers(
    session: Session,
    settings: Settings,
    lookup: Lookup,
    name: Annotated[str | None, Query(max_length=200, description="Name prefix")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CustomerPage:
    page, next_cursor = await service.search_customers(
        session,
        lookup,
        name_prefix=name,
        region=settings.default_region,
        cursor=cursor,
        limit=limit,
    )
    return CustomerPage(items=await customer_reads(session, page), next_cursor=next_cursor)


@router.get(
    "/identify",
    dependencies=allow("customers:read"),
    response_model=Identification,
    summary="Who has this phone, e-mail or customer number: none, one, or the candidates",
)
async def identify_customer(session: Session, settings: Settings, lookup: Lookup) -> Identification:
    found = await service.identify(session, lookup, region=settings.default_region)
    reads = await customer_reads(session, found)
    if not reads:
        return Identification(match="none")
    if len(reads) == 1:
        return Identification(match="one", customer=reads[0])
    return Identification(match="many", candidates=reads)


@router.get(
    "/{customer_id}",
    dependencies=allow("customers:read"),
    response_model=CustomerRead,
    summary="Read a customer",
    responses=_NOT_FOUND,
)
async def read_customer(customer_id: uuid.UUID, session: Session) -> CustomerRead:
    return await customer_read(session, await service.get_customer(session, customer_id))


@router.patch(
    "/{customer_id}",
    dependencies=allow("customers:write"),
    response_model=CustomerRead,
    summary="Change a customer's attributes",
    responses=_NOT_FOUND,
)
async def update_customer(
    customer_id: uuid.UUID, data: CustomerUpdate, session: Session
) -> CustomerRead:
    customer = await service.update_customer(session, customer_id, data)
    return await customer_read(session, customer)


@router.delete(
    "/{customer_id}",
    dependencies=allow("customers:erase"),
    status_code=204,
    response_class=Response,
    summary="Delete (erase) a customer",
    description=(
        "Erases the customer: its identities are released (a later call from the same number "
        "is an unknown caller again), its name, MAN qualification and scores are blanked, and "
        "the numbers and addresses it was known by are masked in its calls and contacts, whose "
        "message bodies are dropped. The calls and contacts themselves stay for reporting. "
        "Publishes `contact.customer_deleted`. Afterwards the customer answers 404."
    ),
    responses=_NOT_FOUND,
)
async def delete_customer(customer_id: uuid.UUID, session: Session) -> Response:
    await erase_customer(session, customer_id)
    return Response(status_code=204)


@router.delete(
    "/{customer_id}/identities/{identity_id}",
    dependencies=allow("customers:write"),
    response_model=CustomerRead,
    summary="Remove one identity from a customer (a number that changed hands, a typo)",
    responses=_NOT_FOUND,
)
async def remove_identity(
    customer_id: uuid.UUID, identity_id: uuid.UUID, session: Session
) -> CustomerRead:
    customer = await service.remove_identity(session, customer_id, identity_id)
    return await customer_read(session, customer)


@router.post(
    "/{customer_id}/identities",
    dependencies=allow("customers:write"),
    response_model=CustomerRead,
    status_code=201,
    summary="Add an identity (a shared phone number is allowed)",
    responses={**_NOT_FOUND, 409: problem("Identity taken")},
)
async def add_identity(
    customer_id: uuid.UUID, data: IdentityCreate, session: Session, settings: Settings
) -> CustomerRead:
    customer = await service.add_identity(
        session, customer_id, data, region=settings.default_region
    )
    return await customer_read(session, customer)


@router.post(
    "/{customer_id}/merge",
    dependencies=allow("customers:merge"),
    response_model=CustomerRead,
    summary="Merge another customer into this one, keeping every identity and interaction",
    responses=_NOT_FOUND,
)
async def merge_customers(
    customer_id: uuid.UUID, data: MergeRequest, session: Session
) -> CustomerRead:
    target = await merge(session, customer_id, data.merge_customer_id)
    return await customer_read(session, target)
