"""How values are written into audit entries' details: JSON, old and new side by side."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any


def jsonable(value: Any) -> Any:
    """`value` as JSON can hold it: datetimes in ISO 8601, ids as strings."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def change(before: Any, after: Any) -> dict[str, Any]:
    """One changed value as the audit trail shows it."""
    return {"from": before, "to": after}
