"""What every request schema accepts alike: text without control characters, times in range.

A NUL in a name is stored by SQLite and refused by PostgreSQL; a control character in any text
is never meant. `InputModel` refuses both in every string of a request body, however deep, and
`PastTime` bounds a time something happened to 1970 … now (plus a little clock skew).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, field_validator

# C0 control characters other than tab, line feed and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# How far ahead of our clock a sender's clock may run.
MAX_CLOCK_SKEW = dt.timedelta(minutes=15)


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a C0 control character other than tab, LF or CR."""
    return CONTROL_CHARACTERS.search(text) is not None


def refuse_control_characters(value: Any) -> None:
    """Raise `ValueError` if any string in `value` (or in its keys and items) holds one."""
    if isinstance(value, str):
        if has_control_characters(value):
            raise ValueError("text must not contain control characters (other than \\t \\n \\r)")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_control_characters(key)
            refuse_control_characters(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            refuse_control_characters(item)


class InputModel(BaseModel):
    """Base of request bodies: no string anywhere in them may hold a control character."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        refuse_control_characters(value)
        return value


def clean_text(value: str) -> str:
    """`value` if it holds no control character; else `ValueError` (a validator)."""
    refuse_control_characters(value)
    return value


def past_time(value: dt.datetime) -> dt.datetime:
    """`value` if it lies between 1970 and now plus the clock skew; else `ValueError`."""
    if value < EARLIEST:
        raise ValueError("must not be before 1970-01-01T00:00:00Z")
    if value > dt.datetime.now(dt.UTC) + MAX_CLOCK_SKEW:
        raise ValueError("must not be in the future")
    return value


# A time something happened, with its zone: not before 1970, not in the future.
PastTime = Annotated[AwareDatetime, AfterValidator(past_time)]
# Free text for query parameters and other single strings outside an `InputModel`.
CleanText = Annotated[str, AfterValidator(clean_text)]
