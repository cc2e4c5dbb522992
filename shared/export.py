"""The shape of a customer's data export, shared by every service and the gateway.

Each service answers `GET /v1/customers/{id}/export` with a `ServiceExport`: its rows about
the customer, table by table, every column as stored. The gateway puts them together.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.db import chunks, utcnow


class ServiceExport(BaseModel):
    """What one service keeps about a customer (the right of access)."""

    service: str
    customer_id: uuid.UUID
    exported_at: dt.datetime
    records: dict[str, list[dict[str, Any]]] = Field(
        description="Rows per kind of record (`calls`, `complaints`, …), each with every column."
    )

    @classmethod
    def of(
        cls, service: str, customer_id: uuid.UUID, rows: Mapping[str, Iterable[object]]
    ) -> ServiceExport:
        """`service`'s export of `rows` (mapped rows per kind), stamped now."""
        return cls(
            service=service,
            customer_id=customer_id,
            exported_at=utcnow(),
            records={kind: records(found) for kind, found in rows.items()},
        )


def record(row: object) -> dict[str, Any]:
    """A mapped row as JSON-ready data: each column attribute and its value."""
    mapper = inspect(row).mapper
    return {attr.key: to_jsonable_python(getattr(row, attr.key)) for attr in mapper.column_attrs}


def records(rows: Iterable[object]) -> list[dict[str, Any]]:
    """`record` of each row."""
    return [record(row) for row in rows]


async def rows_where(
    session: AsyncSession, column: InstrumentedAttribute[Any], values: Sequence[Any]
) -> list[Any]:
    """Every row of `column`'s table whose `column` is one of `values`."""
    found: list[Any] = []
    for chunk in chunks(list(values)):
        if chunk:
            found += (await session.scalars(select(column.class_).where(column.in_(chunk)))).all()
    return found
