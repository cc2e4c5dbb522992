"""Gateway errors."""

import uuid

from shared.errors import (
    AppError,
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    UnauthorizedError,
    UnprocessableError,
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
    code = "payload-too-large"  # the same answer as the body limit every service applies

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")


class NonCanonicalPathError(BadRequestError):
    code = "path-not-canonical"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The request path contains {reason}; send the path in its plain form "
            "(no dot-segments, encoded slashes, backslashes, empty segments or control characters)."
        )


class TokenInvalidError(UnauthorizedError):
    code = "token-invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The bearer token is not valid: {reason}.")


class ApiKeyNotFoundError(NotFoundError):
    code = "api-key-not-found"

    def __init__(self, key_id: uuid.UUID) -> None:
        super().__init__(f"No live API key {key_id}.")


class UnknownRoleError(UnprocessableError):
    code = "unknown-role"

    def __init__(self, roles: list[str]) -> None:
        super().__init__(f"Unknown roles: {', '.join(roles)}.", extra={"unknown_roles": roles})


class DevIssuerDisabledError(NotFoundError):
    code = "dev-issuer-disabled"

    def __init__(self) -> None:
        super().__init__("The development issuer is off (GATEWAY_DEV_ISSUER_ENABLED).")


class UnknownDevUserError(NotFoundError):
    code = "unknown-dev-user"

    def __init__(self, username: str, known: list[str]) -> None:
        super().__init__(
            f"No development user {username!r}; try one of {', '.join(known)}.",
            extra={"users": known},
        )


class RateLimitedError(AppError):
    status = 429
    code = "rate-limited"

    def __init__(self, retry_after: int, scope: str) -> None:
        super().__init__(
            f"Too many requests; try again in {retry_after} s.",
            extra={"retry_after": retry_after, "limit": scope},
        )
        self.headers = {"Retry-After": str(retry_after)}


class CircuitOpenError(AppError):
    status = 503
    code = "upstream-circuit-open"

    def __init__(self, upstream: str, *, retry_after: int) -> None:
        super().__init__(
            f"The {upstream} service is failing; requests to it pause for {retry_after} s.",
            extra={"retry_after": retry_after},
        )
        self.headers = {"Retry-After": str(retry_after)}


class CustomerNotFoundError(NotFoundError):
    code = "customer-not-found"

    def __init__(self, customer_id: uuid.UUID) -> None:
        super().__init__(f"No customer {customer_id}.")


class ExportIncompleteError(AppError):
    status = 503
    code = "export-incomplete"
    headers = {"Retry-After": "30"}

    def __init__(self, missing: dict[str, str]) -> None:
        names = ", ".join(sorted(missing))
        super().__init__(
            f"Could not gather every service's part of the export ({names}); try again later.",
            extra={"missing": missing},
        )
