"""What every service's routes declare alike: the session, the settings, problem responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.permissions import PERMISSIONS
from shared.db import get_session
from shared.errors import PROBLEM_JSON
from shared.identity import Requires
from shared.settings import ServiceSettings

# One transaction per request, committed before the response is sent (see `get_session`).
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]

S = TypeVar("S", bound=ServiceSettings)

# The `content` of an error response in OpenAPI: every error is `application/problem+json`.
PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


def problem(description: str) -> dict[str, Any]:
    """An OpenAPI `responses` entry for an error answered as problem details."""
    return {"description": description, **PROBLEM}


def allow(permission: str) -> list[Any]:
    """A route's `dependencies`: only callers holding `permission` get in.

    `@router.post("/v1/complaints", dependencies=allow("complaints:file"))` declares who may
    call the route next to it; the OpenAPI document shows it as the operation's `x-permission`.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"{permission!r} is not in shared/contracts/permissions.py")
    return [Depends(Requires(permission))]


def settings_dependency(cls: type[S]) -> Callable[[Request], Awaitable[S]]:
    """A dependency handing out the app's settings, typed as the service's settings class."""

    async def settings(request: Request) -> S:
        value = request.app.state.settings
        if not isinstance(value, cls):
            raise TypeError(f"app.state.settings is {type(value).__name__}, not {cls.__name__}")
        return value

    return settings
