"""Who am I, and the development issuer's endpoints (only when it is enabled)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.auth.dependencies import Authorization
from services.gateway.errors import DevIssuerDisabledError, UnknownDevUserError
from services.gateway.identity.dev_issuer import DEV_USERS, TOKEN_LIFETIME, DevIssuer
from shared.api import problem
from shared.identity import Identity

router = APIRouter(tags=["identity"])


@router.get(
    "/v1/me",
    response_model=Identity,
    summary="The caller as the gateway sees it: subject, roles, permissions, agent id",
    responses={401: problem("No valid credential")},
    openapi_extra={"x-permission": "(any signed-in caller)"},
)
async def me(authorized: Authorization) -> Identity:
    return authorized.identity


class DevTokenRequest(BaseModel):
    """Sign in as a built-in development user."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=50, description="agent, agent2, supervisor or admin")


class DevToken(BaseModel):
    """A bearer token for the API."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def _issuer(request: Request) -> DevIssuer:
    issuer: DevIssuer | None = request.app.state.dev_issuer
    if issuer is None:
        raise DevIssuerDisabledError()
    return issuer


_DISABLED: dict[int | str, dict[str, Any]] = {404: problem("The development issuer is off")}


@router.get(
    "/dev-issuer/.well-known/openid-configuration",
    summary="Development issuer: discovery document",
    responses=_DISABLED,
    openapi_extra={"x-permission": "(public; development only)"},
)
async def discovery(request: Request) -> dict[str, Any]:
    issuer = _issuer(request)
    return {
        "issuer": issuer.issuer,
        "jwks_uri": f"{issuer.issuer}/jwks.json",
        "token_endpoint": f"{issuer.issuer}/token",
        "id_token_signing_alg_values_supported": ["RS256"],
    }


@router.get(
    "/dev-issuer/jwks.json",
    summary="Development issuer: its signing keys",
    responses=_DISABLED,
    openapi_extra={"x-permission": "(public; development only)"},
)
async def jwks(request: Request) -> dict[str, Any]:
    return _issuer(request).jwks()


@router.post(
    "/dev-issuer/token",
    response_model=DevToken,
    summary="Development issuer: sign in as a built-in user (no password)",
    responses={**_DISABLED, 422: problem("Invalid request")},
    openapi_extra={"x-permission": "(public; development only)"},
)
async def dev_token(data: DevTokenRequest, request: Request) -> DevToken:
    issuer = _issuer(request)
    user = DEV_USERS.get(data.username)
    if user is None:
        raise UnknownDevUserError(data.username, sorted(DEV_USERS))
    token = issuer.token_for(user, now=dt.datetime.now(dt.UTC))
    return DevToken(access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()))
