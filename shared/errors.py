"""Typed errors that carry their HTTP status, rendered once as RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.db import is_unavailable
from shared.logging import current_request_id, get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


class AppError(Exception):
    """Base of every expected failure; subclasses set `status` and a kebab-case `code`."""

    status: int = 400
    code: str = "bad-request"
    title: str | None = None
    headers: dict[str, str] | None = None  # e.g. `Retry-After` on a 429 or 503

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class BadRequestError(AppError):
    status = 400
    code = "bad-request"


class UnauthorizedError(AppError):
    status = 401
    code = "unauthorized"


class ForbiddenError(AppError):
    status = 403
    code = "forbidden"


class NotFoundError(AppError):
    status = 404
    code = "not-found"


class ConflictError(AppError):
    status = 409
    code = "conflict"


class PayloadTooLargeError(AppError):
    status = 413
    code = "payload-too-large"


class UnprocessableError(AppError):
    status = 422
    code = "unprocessable"


class UpstreamError(AppError):
    status = 502
    code = "upstream-unavailable"


class UpstreamTimeoutError(AppError):
    status = 504
    code = "upstream-timeout"


class DatabaseUnavailableError(AppError):
    """The database did not answer; nothing of the request was kept, so retrying is safe."""

    status = 503
    code = "database-unavailable"
    headers = {"Retry-After": "5"}


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An `application/problem+json` response; `type` is a URN made from the machine code."""
    body: dict[str, Any] = {
        "type": f"urn:rapport:problem:{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for err in errors:
        out.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


_HTTP_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_error", path=request.url.path, exc_info=exc)
    return problem_response(
        status=500,
        code="internal-error",
        detail="An unexpected error occurred; it has been logged.",
        instance=request.url.path,
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """503 `database-unavailable` when the database is away; any other database error is a 500."""
    if not is_unavailable(exc):
        return await _unexpected_error(request, exc)
    log.warning("database_unavailable", path=request.url.path, error=repr(exc)[:500])
    unavailable = DatabaseUnavailableError(
        "The database cannot be reached right now; nothing was changed. Retry later."
    )
    return problem_response(
        status=unavailable.status,
        code=unavailable.code,
        detail=unavailable.detail,
        instance=request.url.path,
        headers=unavailable.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, expected or not, as problem+json."""

    async def app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return problem_response(
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            instance=request.url.path,
            extra=exc.extra,
            headers=exc.headers,
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route for {request.method} {request.url.path}."
        return problem_response(
            status=exc.status_code,
            code=_HTTP_CODES.get(exc.status_code, "http-error"),
            detail=detail,
            instance=request.url.path,
            headers=dict(exc.headers) if exc.headers else None,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            status=422,
            code="validation-failed",
            detail="The request is not valid; see `errors`.",
            instance=request.url.path,
            extra={"errors": _validation_errors(exc.errors())},
        )

    app.add_exception_handler(AppError, app_error)
    for kind in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
