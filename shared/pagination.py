"""Keyset pagination on `(time, id)` with opaque cursors, the same for every list endpoint."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_

from shared.errors import BadRequestError

T = TypeVar("T")


class InvalidCursorError(BadRequestError):
    code = "invalid-cursor"

    def __init__(self) -> None:
        super().__init__("The cursor is not one this service handed out.")


def encode_cursor(at: dt.datetime, row_id: uuid.UUID) -> str:
    """An opaque cursor standing for the row at `(at, row_id)`."""
    raw = f"{at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """The `(time, id)` a cursor stands for; raises `InvalidCursorError`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, row_id = raw.partition("|")
        parsed = dt.datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursorError() from exc


def newest_first(
    query: Select[Any], at: Any, row_id: Any, *, cursor: str | None, limit: int
) -> Select[Any]:
    """`query` ordered newest first on `(at, row_id)`, after `cursor`, one row past `limit`."""
    if cursor:
        after, after_id = decode_cursor(cursor)
        # `at <= after` says the same as part of the condition, but as a range an index on
        # (at, id) can start from: without it the OR makes the database walk the index from
        # the newest row down to the cursor, a cost that grows with how far the page is.
        query = query.where(at <= after, or_(at < after, and_(at == after, row_id < after_id)))
    return query.order_by(at.desc(), row_id.desc()).limit(limit + 1)


def page_of(
    rows: list[T], limit: int, key: Callable[[T], tuple[dt.datetime, uuid.UUID]]
) -> tuple[list[T], str | None]:
    """The first `limit` rows and the cursor of the next page (None on the last one)."""
    page = rows[:limit]
    return page, encode_cursor(*key(page[-1])) if len(rows) > limit and page else None
