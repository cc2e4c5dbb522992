"""Errors of the staffing requests."""

from shared.errors import UnprocessableError


class NoMeasurementsError(UnprocessableError):
    code = "no-measurements"

    def __init__(self, what: str) -> None:
        super().__init__(f"The queue has no measured {what} in those windows: give it.")


class UnreachableTargetError(UnprocessableError):
    code = "target-unreachable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class InvalidStaffingWindowError(UnprocessableError):
    code = "invalid-staffing-window"

    def __init__(self) -> None:
        super().__init__("`from` must come before `to` on the same day.")
