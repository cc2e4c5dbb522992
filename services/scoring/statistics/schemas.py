"""HTTP shapes of recording transactions."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.inputs import InputModel, PastTime


class TransactionCreate(InputModel):
    """An order or a refund; stored once per `transaction_id`."""

    model_config = ConfigDict(extra="forbid")

    transaction_id: str = Field(min_length=1, max_length=128)
    customer_id: uuid.UUID
    kind: Literal["order", "refund"] = "order"
    amount: Decimal = Field(ge=0, le=Decimal("1e12"), max_digits=16, decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    occurred_at: PastTime = Field(description="When it happened: from 1970, not in the future.")
    refers_to: str | None = Field(
        default=None, max_length=128, description="A refund: the `transaction_id` of its order."
    )
    discount: Decimal = Field(
        default=Decimal(0),
        ge=0,
        le=Decimal("1e12"),
        max_digits=16,
        decimal_places=2,
        description="On an order: list price minus the amount paid (price tolerance).",
    )


class TransactionBatch(InputModel):
    """Several transactions in one request."""

    model_config = ConfigDict(extra="forbid")

    transactions: list[TransactionCreate] = Field(min_length=1)


class TransactionsRecordedRead(BaseModel):
    """What a POST of transactions changed."""

    accepted: int
    duplicates: int
    customers: int
    events_published: int
