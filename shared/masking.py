"""Masking personal data in log events: phone numbers, e-mail addresses and names.

Phone numbers (E.164 and national formats, with spaces, dashes, dots or brackets, also
percent- or form-encoded) and e-mail addresses are replaced wherever they appear in a string:
messages, field values, exception text. Names cannot be recognised in free text, so the values
of fields that carry them (`PERSONAL_FIELDS`) are replaced whole, as are the SQL parameters and
the offending input values that database and validation errors quote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

PHONE = "[phone]"
EMAIL = "[email]"
MASKED = "[masked]"

# Fields whose values are personal data whatever they look like.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "customer_name",
        "first_name",
        "last_name",
        "full_name",
        "display_name",
        "given_name",
        "family_name",
        "caller_name",
        "contact_name",
        "email",
        "email_address",
        "phone",
        "phone_number",
        "from",
        "to",
        "from_number",
        "to_number",
        "caller",
        "callee",
        "address",
        "notes",
        "body",
        "query",
        "query_string",
        "url",
        "path",
    }
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# A run of digits with the separators phone numbers are written with, optionally led by a plus
# (also encoded as %2B) or a bracket; checked by `_phone_or_not` before it is replaced.
_SEP = r"(?:[\s().\-/+]|%20|%2[BbDdFf]|%28|%29)"
_PHONE = re.compile(rf"(?<![\w\-.:])(?:\+|%2[Bb]|\()?\d(?:\d|{_SEP}){{5,}}\d(?![\w])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# What database drivers and validators quote from their input.
_QUOTED_INPUT = (
    (re.compile(r"\[parameters: .*"), "[parameters: " + MASKED + "]"),
    (re.compile(r"(Key \([^)]*\)=)\([^)]*\)"), r"\1(" + MASKED + ")"),
    (re.compile(r"(input_value=)('[^']*'|\"[^\"]*\"|\S+)"), r"\1" + MASKED),
    (re.compile(r"(input: )(.*)"), r"\1" + MASKED),
)


def _phone_or_not(match: re.Match[str]) -> str:
    text = match.group(0)
    if _DATE.search(text) or _IPV4.match(text):
        return text
    digits = sum(c.isdigit() for c in unquote_plus(text).replace("%", ""))
    if 7 <= digits <= 15:
        return PHONE
    return text


def mask_text(text: str) -> str:
    """`text` with every phone number and e-mail address replaced."""
    text = _EMAIL.sub(EMAIL, text)
    text = _PHONE.sub(_phone_or_not, text)
    for pattern, replacement in _QUOTED_INPUT:
        text = pattern.sub(replacement, text)
    return text


def mask_value(value: Any) -> Any:
    """Mask strings anywhere inside `value` (dicts, lists, tuples)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return mask_mapping(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(v) for v in value]
    return value


def mask_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `data` with personal fields replaced whole and other strings masked."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(key, str) and key.lower() in PERSONAL_FIELDS and value is not None:
            out[key] = MASKED
        else:
            out[key] = mask_value(value)
    return out


def mask_event(event_dict: Any) -> Any:
    """The structlog processor body: mask the whole event dictionary."""
    return mask_mapping(event_dict)
