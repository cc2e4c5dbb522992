"""HTTP shapes of recording transactions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class TransactionCreate(BaseModel):
    """An order or a refund; stored once per `transaction_id`."""

    model_config = ConfigDict(extra="forbid")

    transaction_id: str = Field(min_length=1, max_length=128)
    customer_id: uuid.UUID
    kind: Literal["order", "refund"] = "order"
    amount: Decimal = Field(ge=0, le=Decimal("1e12"), max_digits=16, decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    occurred_at: AwareDatetime
    refers_to: str | None = Field(default=None, max_length=128)
    discount: Decimal = Field(
        default=Decimal(0),
        ge=0,
        le=Decimal("1e12"),
        max_digits=16,
        decimal_places=2,
        description="On an order: list price minus the amount paid (price tolerance).",
    )

    @field_validator("occurred_at")
    @classmethod
    def _not_in_the_future(cls, value: dt.datetime) -> dt.datetime:
        # A day of slack for clock skew; later than that is a data error.
        if value > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
            raise ValueError("occurred_at is in the future")
        return value


class TransactionBatch(BaseModel):
    """Several transactions in one request."""

    model_config = ConfigDict(extra="forbid")

    transactions: list[TransactionCreate] = Field(min_length=1)


class TransactionsRecordedRead(BaseModel):
    """What a POST of transactions changed."""

    accepted: int
    duplicates: int
    customers: int
    events_published: int
