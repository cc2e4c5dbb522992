"""ETags: a complaint's version as a strong ETag, and the If-Match precondition."""

from __future__ import annotations

from services.complaints.errors import PreconditionFailedError, PreconditionRequiredError
from services.complaints.models import Complaint


def etag(complaint: Complaint) -> str:
    """The strong ETag of a complaint's version."""
    return f'"{complaint.version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version an If-Match header names; None for `*` or when absent and optional."""
    if if_match is None:
        if required:
            raise PreconditionRequiredError()
        return None
    value = if_match.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    try:
        return int(value)
    except ValueError:
        # An ETag we never issued matches no version.
        raise PreconditionFailedError(-1) from None


def check_version(complaint: Complaint, expected: int | None) -> None:
    """Raise `PreconditionFailedError` unless the complaint is at the version expected."""
    if expected is not None and complaint.version != expected:
        raise PreconditionFailedError(complaint.version)
