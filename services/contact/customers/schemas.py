"""HTTP shapes of customers and their identities."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from shared.inputs import InputModel

CustomerState = Literal["non_customer", "prospect", "current", "lost"]
CustomerKind = Literal["consumer", "intermediary", "public_interest"]
Party = Literal["individual", "organisation"]


class ExternalId(InputModel):
    """An id a provider or another system gives the customer."""

    provider: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,39}$")
    id: str = Field(min_length=1, max_length=200)


class ManQualification(InputModel):
    """MAN rule for prospects: money, authority, need (unknown until asked)."""

    money: bool | None = None
    authority: bool | None = None
    need: bool | None = None


class CustomerCreate(InputModel):
    """A customer and the identities it is recognised by."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    state: CustomerState = "prospect"
    kind: CustomerKind = "consumer"
    party: Party = "individual"
    man: ManQualification = Field(default_factory=ManQualification)
    phones: list[str] = Field(default_factory=list, max_length=20)
    emails: list[str] = Field(default_factory=list, max_length=20)
    customer_number: str | None = Field(default=None, min_length=1, max_length=64)
    external_ids: list[ExternalId] = Field(default_factory=list, max_length=20)


class CustomerUpdate(InputModel):
    """Attributes to change; identities are added with their own endpoint."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    state: CustomerState | None = None
    kind: CustomerKind | None = None
    party: Party | None = None
    man: ManQualification | None = None


class IdentityCreate(InputModel):
    """One more identity for a customer."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["phone", "email", "customer_number", "external"]
    value: str = Field(min_length=1, max_length=300)
    provider: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_\-]{0,39}$")


class IdentityRead(BaseModel):
    """An identity as stored (phones in E.164, e-mails lower-cased)."""

    model_config = ConfigDict(from_attributes=True)

    identity_id: uuid.UUID = Field(validation_alias=AliasChoices("identity_id", "id"))
    kind: str
    value: str


class ManRead(ManQualification):
    """MAN qualification and the follow-up it implies."""

    qualified: bool
    strategy: str


class CustomerRead(BaseModel):
    """A customer with its identities, attributes and latest scores."""

    customer_id: uuid.UUID
    name: str | None
    state: CustomerState
    derived_state: CustomerState | None = Field(
        description="The state scoring derives from events: prospect from the first contact, "
        "current from the first purchase, lost after the churn horizon without one."
    )
    kind: CustomerKind
    party: Party
    man: ManRead
    tier: str | None
    churn_risk: float | None
    identities: list[IdentityRead]
    merged_into: uuid.UUID | None
    created_at: dt.datetime


class CustomerPage(BaseModel):
    """One page of customers; pass `next_cursor` back as `cursor` for the next."""

    items: list[CustomerRead]
    next_cursor: str | None


class Identification(InputModel):
    """Who an identity belongs to: nobody, one customer, or several candidates (no guess)."""

    match: Literal["none", "one", "many"]
    customer: CustomerRead | None = None
    candidates: list[CustomerRead] = Field(default_factory=list)


class MergeRequest(InputModel):
    """The customer to fold into the one in the path."""

    model_config = ConfigDict(extra="forbid")

    merge_customer_id: uuid.UUID
