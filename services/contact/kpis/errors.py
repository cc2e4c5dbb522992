"""Errors of the KPI requests."""

from shared.errors import UnprocessableError


class InvalidWindowError(UnprocessableError):
    code = "invalid-kpi-window"

    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid KPI window: {reason}.")
