"""Identity keys: phone numbers in E.164, normalised e-mails, names for prefix search."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from services.contact.errors import InvalidEmailError, InvalidPhoneNumberError

# Caller ids that mean "withheld", never a customer's number.
WITHHELD = {"", "anonymous", "restricted", "unknown", "<unknown>", "private", "+266696687"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_phone(raw: str, *, region: str, field: str) -> str:
    """E.164 form of a number written any way; national forms are read in `region`."""
    try:
        number = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumberError(field, raw) from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumberError(field, raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_or_none(raw: str | None, *, region: str) -> str | None:
    """E.164 of a caller id, or None when it is withheld, a SIP/client address or unreadable."""
    if raw is None or raw.strip().lower() in WITHHELD or ":" in raw:
        return None
    try:
        return normalize_phone(raw, region=region, field="phone")
    except InvalidPhoneNumberError:
        return None


def normalize_email(raw: str, *, field: str = "email") -> str:
    """An e-mail address trimmed and lower-cased, as it is matched."""
    value = raw.strip().lower()
    if not _EMAIL.match(value) or len(value) > 320:
        raise InvalidEmailError(field)
    return value


def name_key(name: str | None) -> str | None:
    """The case-folded, NFKC-normalised name used for prefix search (works for Chinese too)."""
    if name is None:
        return None
    folded = unicodedata.normalize("NFKC", name).casefold().strip()
    return " ".join(folded.split()) or None


def mask(value: str | None) -> str | None:
    """A phone number or e-mail safe to log: only its last characters or its domain."""
    if value is None:
        return None
    if "@" in value:
        return "***@" + value.rsplit("@", 1)[1]
    return "***" + value[-2:] if len(value) > 4 else "***"


def man_strategy(money: bool | None, authority: bool | None, need: bool | None) -> str:
    """The follow-up a prospect's MAN qualification implies (money, authority, need)."""
    if None in (money, authority, need):
        return "qualify: find out money, authority and need"
    return _MAN[(bool(money), bool(authority), bool(need))]


_MAN = {
    (True, True, True): "qualified: make the offer",
    (True, False, True): "find the decision maker",
    (True, True, False): "uncover or create the need",
    (False, True, True): "offer financing or a smaller package",
    (False, False, True): "nurture: find funding and the decision maker",
    (True, False, False): "low priority: reach the decision maker with a need case",
    (False, True, False): "low priority: keep informed",
    (False, False, False): "not a prospect",
}
