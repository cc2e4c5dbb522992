"""Calling a service as the gateway would: a signed identity on every request."""

from __future__ import annotations

import os
from collections.abc import Generator

import httpx

from shared.contracts.permissions import PERMISSIONS
from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token

# What the suite calls the services as unless a test says otherwise: a system holding every
# permission, so that tests of behaviour are not tests of permissions.
TEST_CALLER = Identity(
    subject="test-suite",
    kind="api-key",
    roles=["admin", "service"],
    permissions=sorted(PERMISSIONS),
)


def secret() -> str:
    """The internal-token secret of this test run (set in tests/conftest.py)."""
    return os.environ["RAPPORT_INTERNAL_TOKEN_SECRET"]


def identity_headers(
    audience: str,
    *,
    agent_id: str | None = None,
    subject: str | None = None,
    permissions: list[str] | None = None,
    roles: list[str] | None = None,
) -> dict[str, str]:
    """The header the gateway would send `audience` for a caller with these traits."""
    identity = Identity(
        subject=subject or agent_id or TEST_CALLER.subject,
        kind="user" if agent_id else "api-key",
        roles=roles if roles is not None else TEST_CALLER.roles,
        permissions=permissions if permissions is not None else TEST_CALLER.permissions,
        agent_id=agent_id,
    )
    return {IDENTITY_HEADER: mint_identity_token(identity, secret=secret(), audience=audience)}


class SignedAs(httpx.Auth):
    """Signs each request for `audience` as a caller with these traits (a fresh token each)."""

    def __init__(self, audience: str, **traits: object) -> None:
        self.audience = audience
        self.traits = traits

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(identity_headers(self.audience, **self.traits))  # type: ignore[arg-type]
        yield request


class GatewayIdentity(httpx.Auth):
    """Signs each request for `audience` as `TEST_CALLER`, unless it carries its own identity."""

    def __init__(self, audience: str) -> None:
        self.audience = audience

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if IDENTITY_HEADER not in request.headers:
            request.headers[IDENTITY_HEADER] = mint_identity_token(
                TEST_CALLER, secret=secret(), audience=self.audience
            )
        yield request
