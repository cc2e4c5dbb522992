"""HTTP routes for customers, their identities, history, and calls."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import calls, customers, service
from services.contact.identity import man_strategy
from services.contact.models import Call, Contact, Customer
from services.contact.schemas import (
    CallAssignment,
    CallDetail,
    CallIdentification,
    CallLogRead,
    CallPage,
    CallRead,
    CallWrapUp,
    ContactRead,
    CustomerCreate,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
    Identification,
    IdentityCreate,
    IdentityRead,
    Interaction,
    InteractionPage,
    ManRead,
    MergeRequest,
    WaitingCall,
)
from services.contact.settings import ContactSettings
from shared.db import get_session, utcnow

router = APIRouter(tags=["customers"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Not found", **_PROBLEM}}


def _settings(request: Request) -> ContactSettings:
    settings: ContactSettings = request.app.state.settings
    return settings


Settings = Annotated[ContactSettings, Depends(_settings)]


async def customer_read(session: AsyncSession, customer: Customer) -> CustomerRead:
    """The API shape of a customer."""
    money, authority, need = customer.man_money, customer.man_authority, customer.man_need
    return CustomerRead(
        customer_id=customer.id,
        name=customer.name,
        state=customer.state,
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
        identities=[
            IdentityRead.model_validate(i) for i in await customers.identities(session, customer.id)
        ],
        merged_into=customer.merged_into_id,
        created_at=customer.created_at,
    )


def _keys(
    settings: ContactSettings,
    phone: str | None,
    email: str | None,
    customer_number: str | None,
) -> list[customers.IdentityKey]:
    region = settings.default_region
    keys = []
    if phone:
        keys.append(customers.key_for("phone", phone, region=region))
    if email:
        keys.append(customers.key_for("email", email, region=region))
    if customer_number:
        keys.append(customers.key_for("customer_number", customer_number, region=region))
    return keys


@router.post(
    "/v1/customers",
    response_model=CustomerRead,
    status_code=201,
    summary="Create a customer with its identities",
    responses={409: {"description": "An identity belongs to someone else", **_PROBLEM}},
)
async def create_customer(
    data: CustomerCreate, session: Session, settings: Settings, response: Response
) -> CustomerRead:
    customer = await customers.create(session, data, region=settings.default_region)
    response.headers["Location"] = f"/v1/customers/{customer.id}"
    return await customer_read(session, customer)


@router.get(
    "/v1/customers",
    response_model=CustomerPage,
    summary="Search customers by phone (any written form), e-mail, number or name prefix",
)
async def search_customers(
    session: Session,
    settings: Settings,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    customer_number: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[str | None, Query(max_length=200, description="Name prefix")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CustomerPage:
    keys = _keys(settings, phone, email, customer_number)
    page, next_cursor = await customers.search(
        session, keys=keys, name_prefix=name, cursor=cursor, limit=limit
    )
    return CustomerPage(
        items=[await customer_read(session, c) for c in page], next_cursor=next_cursor
    )


@router.get(
    "/v1/customers/identify",
    response_model=Identification,
    summary="Who has this phone, e-mail or customer number: none, one, or the candidates",
)
async def identify_customer(
    session: Session,
    settings: Settings,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    customer_number: Annotated[str | None, Query(max_length=64)] = None,
) -> Identification:
    found = await customers.identify(session, _keys(settings, phone, email, customer_number))
    reads = [await customer_read(session, c) for c in found]
    if not reads:
        return Identification(match="none")
    if len(reads) == 1:
        return Identification(match="one", customer=reads[0])
    return Identification(match="many", candidates=reads)


@router.get(
    "/v1/customers/{customer_id}",
    response_model=CustomerRead,
    summary="Read a customer",
    responses=_NOT_FOUND,
)
async def read_customer(customer_id: uuid.UUID, session: Session) -> CustomerRead:
    return await customer_read(session, await customers.get(session, customer_id))


@router.patch(
    "/v1/customers/{customer_id}",
    response_model=CustomerRead,
    summary="Change a customer's attributes",
    responses=_NOT_FOUND,
)
async def update_customer(
    customer_id: uuid.UUID, data: CustomerUpdate, session: Session
) -> CustomerRead:
    customer = await customers.update_customer(session, customer_id, data)
    return await customer_read(session, customer)


@router.delete(
    "/v1/customers/{customer_id}",
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
    await customers.erase(session, customer_id)
    await calls.replace_candidate(session, customer_id, None)
    return Response(status_code=204)


@router.delete(
    "/v1/customers/{customer_id}/identities/{identity_id}",
    response_model=CustomerRead,
    summary="Remove one identity from a customer (a number that changed hands, a typo)",
    responses=_NOT_FOUND,
)
async def remove_identity(
    customer_id: uuid.UUID, identity_id: uuid.UUID, session: Session
) -> CustomerRead:
    customer = await customers.remove_identity(session, customer_id, identity_id)
    return await customer_read(session, customer)


@router.post(
    "/v1/customers/{customer_id}/identities",
    response_model=CustomerRead,
    status_code=201,
    summary="Add an identity (a shared phone number is allowed)",
    responses={**_NOT_FOUND, 409: {"description": "Identity taken", **_PROBLEM}},
)
async def add_identity(
    customer_id: uuid.UUID, data: IdentityCreate, session: Session, settings: Settings
) -> CustomerRead:
    customer = await customers.get(session, customer_id)
    key = customers.identity_from_request(data, region=settings.default_region)
    await customers.add_identity(session, customer, key)
    return await customer_read(session, customer)


@router.post(
    "/v1/customers/{customer_id}/merge",
    response_model=CustomerRead,
    summary="Merge another customer into this one, keeping every identity and interaction",
    responses=_NOT_FOUND,
)
async def merge_customers(
    customer_id: uuid.UUID, data: MergeRequest, session: Session
) -> CustomerRead:
    target = await customers.merge(session, customer_id, data.merge_customer_id)
    # Held calls that had both as candidates may now have only one: theirs.
    await calls.replace_candidate(session, data.merge_customer_id, target.id)
    return await customer_read(session, target)


async def call_detail(session: AsyncSession, call: Call) -> CallDetail:
    """A call and its event log."""
    entries = await calls.log_entries(session, call.id)
    return CallDetail(
        **CallRead.model_validate(call).model_dump(),
        events=[CallLogRead.model_validate(e) for e in entries],
    )


async def _interaction(session: AsyncSession, item: Call | Contact) -> Interaction:
    if isinstance(item, Call):
        return Interaction(
            channel="voice",
            interaction_id=item.id,
            occurred_at=item.started_at,
            call=await call_detail(session, item),
        )
    return Interaction(
        channel=item.channel,
        interaction_id=item.id,
        occurred_at=item.occurred_at,
        contact=ContactRead.model_validate(item),
    )


@router.get(
    "/v1/customers/{customer_id}/interactions",
    response_model=InteractionPage,
    summary="Every contact of a customer across channels, newest first",
    responses=_NOT_FOUND,
)
async def customer_history(
    customer_id: uuid.UUID,
    session: Session,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> InteractionPage:
    page, next_cursor = await service.history(session, customer_id, cursor=cursor, limit=limit)
    return InteractionPage(
        items=[await _interaction(session, item) for item in page], next_cursor=next_cursor
    )


@router.get(
    "/v1/calls",
    response_model=CallPage,
    summary="List calls newest first; `identification=held` is the queue of calls to identify",
)
async def list_calls(
    session: Session,
    identification: Annotated[
        CallIdentification | None,
        Query(description="Only calls identified this way; `held` waits for an agent."),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CallPage:
    page, next_cursor = await calls.list_calls(
        session, identification=identification, cursor=cursor, limit=limit
    )
    return CallPage(items=[CallRead.model_validate(c) for c in page], next_cursor=next_cursor)


@router.get(
    "/v1/calls/waiting",
    response_model=list[WaitingCall],
    summary="Callers waiting in the queues, the one to take next first",
    description=(
        "Queued calls ordered by the caller's value tier (gold, silver, bronze, iron, then "
        "callers not yet scored), then callers at risk of churning (churn risk at or above "
        "`CONTACT_AT_RISK_CHURN_THRESHOLD`), then the longest wait. Tier and risk are read "
        "when asked, so a change published by scoring re-orders callers already waiting. A "
        "held call ranks by the best of its candidates."
    ),
)
async def waiting_calls(
    session: Session,
    settings: Settings,
    queue: Annotated[str | None, Query(max_length=200, description="One queue only.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WaitingCall]:
    found = await calls.waiting_calls(
        session, queue=queue, at_risk_threshold=settings.at_risk_churn_threshold, limit=limit
    )
    now = utcnow()
    return [
        WaitingCall(
            position=n,
            tier=w.tier,
            churn_risk=w.churn_risk,
            at_risk=w.at_risk,
            waited_seconds=max(
                0, int((now - (w.call.queued_at or w.call.started_at)).total_seconds())
            ),
            call=CallRead.model_validate(w.call),
        )
        for n, w in enumerate(found, start=1)
    ]


@router.put(
    "/v1/calls/{call_id}/customer",
    response_model=CallDetail,
    summary="Say whose call it is (a held call from a shared number)",
    description=(
        "Sets the customer of a call held because several customers share the caller's "
        "number; the call then publishes the events it held back (`contact.call_started`, "
        "... and one `contact.call_event_recorded` per stored event). Any live customer may be "
        "picked, not only a candidate. Repeating the same choice changes nothing; a call that "
        "already belongs to another customer answers 409 (merge the customers if they are "
        "the same person)."
    ),
    responses={
        **_NOT_FOUND,
        409: {
            "description": "The call has another customer, or the customer was merged",
            **_PROBLEM,
        },
    },
)
async def assign_call(call_id: uuid.UUID, data: CallAssignment, session: Session) -> CallDetail:
    return await call_detail(
        session, await calls.assign_customer(session, call_id, data.customer_id)
    )


@router.get(
    "/v1/calls/{call_id}",
    response_model=CallDetail,
    summary="Read a call with its event log",
    responses=_NOT_FOUND,
)
async def read_call(call_id: uuid.UUID, session: Session) -> CallDetail:
    return await call_detail(session, await calls.get_call(session, call_id))


@router.put(
    "/v1/calls/{call_id}/wrap-up",
    response_model=CallDetail,
    summary="Record the agent's wrap-up code, disposition and notes",
    responses=_NOT_FOUND,
)
async def wrap_up_call(call_id: uuid.UUID, data: CallWrapUp, session: Session) -> CallDetail:
    return await call_detail(session, await calls.wrap_up(session, call_id, data))
