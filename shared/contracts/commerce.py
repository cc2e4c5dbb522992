"""Orders and refunds that other internal services publish on `commerce.transactions`."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import Field

from shared.contracts.registry import registry
from shared.contracts.topics import COMMERCE_TRANSACTIONS
from shared.events import Event


@registry.register
class TransactionRecordedV1(Event):
    """An order (positive amount) or a refund (`kind="refund"`) of a customer."""

    type = "commerce.transaction_recorded"
    version = 1
    topic = COMMERCE_TRANSACTIONS

    transaction_id: str = Field(min_length=1, max_length=128)
    customer_id: uuid.UUID
    kind: Literal["order", "refund"] = "order"
    amount: Decimal = Field(ge=0, description="Always positive; a refund reduces spend by it.")
    currency: str = Field(default="USD", min_length=3, max_length=3)
    occurred_at: dt.datetime
    refers_to: str | None = Field(default=None, description="Order a refund belongs to.")
    discount: Decimal = Field(
        default=Decimal(0), ge=0, description="On an order: list price minus the amount paid."
    )
