"""Issuing, checking, rotating and revoking API keys.

A key reads `rpk_<lookup>_<secret>`: the lookup finds the row, the secret is compared with a
SHA-256 hash in constant time. The secret has 256 random bits, so a fast hash is enough (a slow
password hash protects guessable secrets; these are not). The secret is shown once, at issue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.errors import ApiKeyNotFoundError, UnknownRoleError
from services.gateway.identity.roles import ROLES
from services.gateway.keys import repository
from services.gateway.models import ApiKey

PREFIX = "rpk"
# last_used_at is written at most this often per key, so busy keys do not serialise on writes.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its secret, which is never shown again."""

    key: ApiKey
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_api_key(presented: str) -> bool:
    """Whether `presented` has the shape of a key issued here."""
    return presented.startswith(f"{PREFIX}_") and presented.count("_") >= 2


async def issue_key(
    session: AsyncSession,
    *,
    name: str,
    roles: Sequence[str],
    expires_at: dt.datetime | None,
    now: dt.datetime,
) -> IssuedKey:
    """Create a key with `roles`; the secret is in the result only."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise UnknownRoleError(unknown)
    lookup, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(),
        name=name,
        lookup=lookup,
        secret_sha256=_hash(secret),
        roles=sorted(set(roles)),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    return IssuedKey(key=key, secret=f"{PREFIX}_{lookup}_{secret}")


async def authenticate_key(
    session: AsyncSession, presented: str, *, now: dt.datetime
) -> ApiKey | None:
    """The live key `presented` stands for, or None (unknown, wrong secret, revoked, expired)."""
    _, lookup, secret = presented.split("_", 2)
    key = await repository.find_by_lookup(session, lookup)
    # Compare even when no row was found, so timing does not tell a known lookup part.
    expected = key.secret_sha256 if key is not None else _hash("")
    if not hmac.compare_digest(_hash(secret), expected) or key is None:
        return None
    if key.revoked_at is not None and key.revoked_at <= now:
        return None
    if key.expires_at is not None and key.expires_at <= now:
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        await session.flush()
    return key


async def get_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    """The key with id `key_id`; raises `ApiKeyNotFoundError`."""
    key = await repository.find(session, key_id)
    if key is None:
        raise ApiKeyNotFoundError(key_id)
    return key


async def list_keys(session: AsyncSession) -> Sequence[ApiKey]:
    """Every key, newest first."""
    return await repository.list_all(session)


async def revoke_key(session: AsyncSession, key_id: uuid.UUID, *, now: dt.datetime) -> ApiKey:
    """Stop `key_id` working from `now` on (revoking twice keeps the first time)."""
    key = await get_key(session, key_id)
    if key.revoked_at is None or key.revoked_at > now:
        key.revoked_at = now
        await session.flush()
    return key


async def rotate_key(
    session: AsyncSession, key_id: uuid.UUID, *, grace: dt.timedelta, now: dt.datetime
) -> IssuedKey:
    """A new key with the same name, roles and expiry; the old one stops after `grace`."""
    old = await get_key(session, key_id)
    if old.revoked_at is not None and old.revoked_at <= now:
        raise ApiKeyNotFoundError(key_id)
    issued = await issue_key(
        session, name=old.name, roles=old.roles, expires_at=old.expires_at, now=now
    )
    old.revoked_at = now + grace
    old.replaced_by = issued.key.id
    await session.flush()
    return issued


async def revocation_list(session: AsyncSession) -> dict[uuid.UUID, dt.datetime]:
    """When each revoked key stopped (or stops) working."""
    return await repository.revocations(session)
