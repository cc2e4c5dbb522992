"""The customer 360 as answered."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

MissingReason = Literal["unavailable", "timeout", "failed", "forbidden"]


class Customer360(BaseModel):
    """Everything Rapport knows about a customer, gathered from every service at once."""

    customer: dict[str, Any] | None = Field(
        description="Profile and identities (contact service); null if that part is missing."
    )
    score: dict[str, Any] | None = Field(
        description="Tier, CLV, churn risk with its reasons (scoring); null if not scored yet."
    )
    open_complaints: list[dict[str, Any]] | None = Field(
        description="Complaints not closed or withdrawn, with their SLA state (complaints)."
    )
    last_contacts: list[dict[str, Any]] | None = Field(
        description="The latest contacts across channels, newest first (contact)."
    )
    active_contacts: list[dict[str, Any]] | None = Field(
        description="Calls among the latest contacts that are waiting or connected now."
    )
    partial: list[str] = Field(
        description="Parts that could not be gathered within the deadline (empty: complete)."
    )
    missing: dict[str, MissingReason] = Field(description="Why each part in `partial` is missing.")
