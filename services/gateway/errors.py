"""Gateway errors."""

from shared.errors import (
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    UnauthorizedError,
)


class MissingApiKeyError(UnauthorizedError):
    code = "api-key-missing"

    def __init__(self) -> None:
        super().__init__("Send an API key in `X-API-Key` or `Authorization: Bearer <key>`.")


class InvalidApiKeyError(UnauthorizedError):
    code = "api-key-invalid"

    def __init__(self) -> None:
        super().__init__("The API key is not valid.")


class NoRouteError(NotFoundError):
    code = "no-route"

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"No route for {method} {path}.")


class BodyTooLargeError(PayloadTooLargeError):
    code = "body-too-large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")


class NonCanonicalPathError(BadRequestError):
    code = "path-not-canonical"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The request path contains {reason}; send the path in its plain form "
            "(no dot-segments, encoded slashes, backslashes, empty segments or control characters)."
        )
