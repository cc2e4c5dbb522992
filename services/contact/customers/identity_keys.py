"""Identity keys: phone numbers in E.164, normalised e-mails, ids, names for prefix search."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from services.contact.errors import InvalidEmailError, InvalidPhoneNumberError

# Caller ids that mean "withheld", never a customer's number.
WITHHELD = {"", "anonymous", "restricted", "unknown", "<unknown>", "private", "+266696687"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class IdentityKey:
    """A normalised identity value."""

    kind: str
    value: str


def key_for(kind: str, value: str, *, region: str, provider: str | None = None) -> IdentityKey:
    """The normalised form of an identity as given in a request."""
    if kind == "phone":
        return IdentityKey("phone", normalize_phone(value, region=region, field="phone"))
    if kind == "email":
        return IdentityKey("email", normalize_email(value))
    if kind == "external":
        return IdentityKey("external", f"{provider or 'unknown'}:{value.strip()}")
    return IdentityKey(kind, value.strip())


@dataclass(frozen=True)
class IdentityLookup:
    """The identities a search or an identification asks for, as written in the request."""

    phone: str | None = None
    email: str | None = None
    customer_number: str | None = None


def lookup_keys(lookup: IdentityLookup, *, region: str) -> list[IdentityKey]:
    """The keys a lookup asks for; blank values ask for nothing."""
    keys = []
    if lookup.phone:
        keys.append(key_for("phone", lookup.phone, region=region))
    if lookup.email:
        keys.append(key_for("email", lookup.email, region=region))
    if lookup.customer_number:
        keys.append(key_for("customer_number", lookup.customer_number, region=region))
    return keys


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
