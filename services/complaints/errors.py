"""Complaints service errors."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import (
    AppError,
    ConflictError,
    NotFoundError,
    UnprocessableError,
)


class ComplaintNotFoundError(NotFoundError):
    code = "complaint-not-found"

    def __init__(self, complaint_id: object) -> None:
        super().__init__(f"Complaint {complaint_id} does not exist.")


class TransitionNotAllowedError(ConflictError):
    code = "transition-not-allowed"

    def __init__(self, source: str, target: str, allowed: Sequence[str]) -> None:
        listed = ", ".join(allowed) or "none"
        super().__init__(
            f"A complaint in state `{source}` cannot move to `{target}`; allowed: {listed}.",
            extra={"state": source, "requested": target, "allowed": list(allowed)},
        )


class ReopenWindowExpiredError(ConflictError):
    code = "reopen-window-expired"

    def __init__(self, days: int) -> None:
        super().__init__(
            f"The complaint was closed more than {days} days ago and cannot be reopened.",
            extra={"reopen_window_days": days},
        )


class ComplaintClosedError(ConflictError):
    code = "complaint-closed"

    def __init__(self, state: str) -> None:
        super().__init__(f"The complaint is `{state}`; it cannot be changed this way.")


class ConcurrentUpdateError(ConflictError):
    code = "concurrent-update"

    def __init__(self) -> None:
        super().__init__("The complaint was changed by someone else at the same time; retry.")


class PreconditionFailedError(AppError):
    status = 412
    code = "precondition-failed"

    def __init__(self, current_version: int) -> None:
        super().__init__(
            "If-Match does not match the complaint's current version; read it again.",
            extra={"current_version": current_version},
        )


class PreconditionRequiredError(AppError):
    status = 428
    code = "precondition-required"

    def __init__(self) -> None:
        super().__init__('Send If-Match with the ETag of the version you read (e.g. "3").')


class FieldRequiredError(UnprocessableError):
    code = "field-required"

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"`{field}` is required {why}.", extra={"field": field})


class UnknownValueError(UnprocessableError):
    code = "unknown-value"

    def __init__(self, field: str, value: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"`{field}` {value!r} is not one of: {', '.join(allowed)}.",
            extra={"field": field, "allowed": list(allowed)},
        )


class SurveyNotAllowedError(ConflictError):
    code = "survey-not-allowed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class LinkedComplaintNotFoundError(UnprocessableError):
    code = "linked-complaint-not-found"

    def __init__(self, field: str, complaint_id: object) -> None:
        super().__init__(
            f"`{field}` names complaint {complaint_id}, which does not exist.",
            extra={"field": field},
        )
