"""Who is calling, as the gateway vouches for it: the internal identity token.

The gateway authenticates people (OIDC bearer tokens) and systems (API keys), removes any
identity header the client sent, and puts a short-lived token signed with a secret shared only
with the services on the upstream request. A service takes the caller's identity from that token
alone: a request without a valid token is refused, so reaching a service's port directly gives
nothing, and a client cannot claim to be someone else.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, Field

from shared.errors import ForbiddenError, UnauthorizedError

IDENTITY_HEADER = "x-rapport-identity"
ISSUER = "rapport-gateway"
ALGORITHM = "HS256"
# Long enough for a slow upstream to start on the request, short enough to be useless if leaked.
TOKEN_LIFETIME = dt.timedelta(seconds=60)
LEEWAY_SECONDS = 5

PrincipalKind = Literal["user", "api-key", "provider"]


class Identity(BaseModel):
    """The caller as the gateway authenticated it."""

    subject: str = Field(description="The user's `sub`, or `key:<id>` for an API key.")
    kind: PrincipalKind
    name: str | None = Field(default=None, description="A display name, for audit trails.")
    roles: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    agent_id: str | None = None

    @property
    def actor(self) -> str:
        """How audit trails name this caller: the agent id of a person, else the subject."""
        return self.agent_id or self.subject

    def may(self, permission: str) -> bool:
        """Whether the caller holds `permission`."""
        return permission in self.permissions


class IdentityMissingError(UnauthorizedError):
    code = "identity-missing"

    def __init__(self) -> None:
        super().__init__("Call this service through the gateway; it vouches for who you are.")


class IdentityInvalidError(UnauthorizedError):
    code = "identity-invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The identity token is not valid: {reason}.")


class PermissionDeniedError(ForbiddenError):
    code = "permission-denied"

    def __init__(self, permission: str) -> None:
        super().__init__(
            f"This operation needs the `{permission}` permission, which you do not hold.",
            extra={"permission": permission},
        )


def mint_identity_token(
    identity: Identity, *, secret: str, audience: str, now: dt.datetime | None = None
) -> str:
    """A token for one upstream (`audience` is the service name) that expires in a minute."""
    issued = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience,
        "iat": issued,
        "exp": issued + TOKEN_LIFETIME,
        "idt": identity.model_dump(mode="json"),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_identity_token(token: str, *, secret: str, audience: str) -> Identity:
    """The identity in `token`; raises `IdentityInvalidError` for anything but a fresh token."""
    if not secret:
        raise IdentityInvalidError("this service has no internal token secret configured")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
        return Identity.model_validate(claims["idt"])
    except jwt.PyJWTError as exc:
        raise IdentityInvalidError(str(exc).rstrip(".").lower()) from exc
    except (KeyError, ValueError) as exc:
        raise IdentityInvalidError("no identity in the token") from exc


async def caller_identity(request: Request) -> Identity:
    """The verified identity of the request (a FastAPI dependency, solved once per request)."""
    token = request.headers.get(IDENTITY_HEADER)
    if not token:
        raise IdentityMissingError()
    identity = verify_identity_token(
        token,
        secret=request.app.state.settings.internal_token_secret,
        audience=request.app.state.service_name,
    )
    return identity


Caller = Annotated[Identity, Depends(caller_identity)]


class Requires:
    """A dependency that lets the request through only if the caller holds `permission`.

    Declare it next to the route, as `dependencies=[Depends(Requires("complaints:file"))]`, or
    as a parameter when the route also needs the caller. The app lists it in the OpenAPI
    document as the operation's `x-permission`.
    """

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, identity: Caller) -> Identity:
        if not identity.may(self.permission):
            raise PermissionDeniedError(self.permission)
        return identity


def permission_of(dependant: Dependant) -> str | None:
    """The permission a route requires (its `Requires` dependency, at any depth), if any."""
    if isinstance(dependant.call, Requires):
        return dependant.call.permission
    for sub in dependant.dependencies:
        found = permission_of(sub)
        if found is not None:
            return found
    return None
