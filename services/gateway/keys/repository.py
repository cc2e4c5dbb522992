"""Queries on API keys."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import ApiKey


async def find_by_lookup(session: AsyncSession, lookup: str) -> ApiKey | None:
    """The key whose public part is `lookup`."""
    found: ApiKey | None = await session.scalar(select(ApiKey).where(ApiKey.lookup == lookup))
    return found


async def find(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    """The key with id `key_id`."""
    return await session.get(ApiKey, key_id)


async def list_all(session: AsyncSession) -> Sequence[ApiKey]:
    """Every key, newest first, revoked ones included."""
    rows = await session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id))
    return rows.all()


async def revocations(session: AsyncSession) -> dict[uuid.UUID, dt.datetime]:
    """Every key that is or will be revoked, and when."""
    rows = await session.execute(
        select(ApiKey.id, ApiKey.revoked_at).where(ApiKey.revoked_at.is_not(None))
    )
    return {key_id: at for key_id, at in rows.all() if at is not None}
