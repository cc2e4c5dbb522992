"""The admin API for API keys (`api-keys:manage`: admins)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from services.gateway.auth.dependencies import GatewayPermission
from services.gateway.keys import service
from services.gateway.keys.schemas import ApiKeyCreate, ApiKeyIssued, ApiKeyRead, ApiKeyRotate
from shared.api import Session, problem

router = APIRouter(
    prefix="/v1/api-keys",
    tags=["api keys"],
    dependencies=[Depends(GatewayPermission("api-keys:manage"))],
    responses={
        401: problem("No valid credential"),
        403: problem("The caller may not manage API keys"),
    },
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No live key with that id")}


def _issued(issued: service.IssuedKey) -> ApiKeyIssued:
    return ApiKeyIssued(**ApiKeyRead.model_validate(issued.key).model_dump(), key=issued.secret)


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyIssued,
    summary="Issue an API key (the secret is in this answer only)",
    responses={422: problem("Invalid name, roles or expiry")},
    openapi_extra={"x-permission": "api-keys:manage"},
)
async def issue_key(data: ApiKeyCreate, session: Session) -> ApiKeyIssued:
    issued = await service.issue_key(
        session,
        name=data.name,
        roles=data.roles,
        expires_at=data.expires_at,
        now=dt.datetime.now(dt.UTC),
    )
    return _issued(issued)


@router.get(
    "",
    response_model=list[ApiKeyRead],
    summary="List API keys, newest first, without their secrets",
    openapi_extra={"x-permission": "api-keys:manage"},
)
async def list_keys(session: Session) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in await service.list_keys(session)]


@router.post(
    "/{key_id}/rotate",
    status_code=201,
    response_model=ApiKeyIssued,
    summary="Replace a key: a new secret, the old one stops after the grace period",
    responses=_NOT_FOUND,
    openapi_extra={"x-permission": "api-keys:manage"},
)
async def rotate_key(
    key_id: uuid.UUID, data: ApiKeyRotate, session: Session, request: Request
) -> ApiKeyIssued:
    now, grace = dt.datetime.now(dt.UTC), dt.timedelta(seconds=data.grace_seconds)
    issued = await service.rotate_key(session, key_id, grace=grace, now=now)
    # Verified credentials are remembered for a moment: this replica forgets the old key now.
    request.app.state.credentials.revoked(key_id, now + grace)
    return _issued(issued)


@router.delete(
    "/{key_id}",
    status_code=204,
    summary="Revoke a key: it stops working at once",
    responses=_NOT_FOUND,
    openapi_extra={"x-permission": "api-keys:manage"},
)
async def revoke_key(key_id: uuid.UUID, session: Session, request: Request) -> Response:
    key = await service.revoke_key(session, key_id, now=dt.datetime.now(dt.UTC))
    if key.revoked_at is not None:
        request.app.state.credentials.revoked(key.id, key.revoked_at)
    return Response(status_code=204)
