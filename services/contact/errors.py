"""Contact service errors."""

from shared.errors import NotFoundError, UnprocessableError


class InvalidPhoneNumberError(UnprocessableError):
    code = "invalid-phone-number"

    def __init__(self, field: str, value: str) -> None:
        super().__init__(
            f"`{field}` is not a phone number that can be dialled: {value!r}.",
            extra={"field": field},
        )


class CallEventNotFoundError(NotFoundError):
    code = "call-event-not-found"

    def __init__(self, call_event_id: object) -> None:
        super().__init__(f"Call event {call_event_id} does not exist.")
