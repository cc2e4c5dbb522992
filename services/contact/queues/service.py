"""Queues: creating and changing them, and who waits in them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.errors import QueueExistsError, QueueNotFoundError
from services.contact.models import RoutingQueue, WorkItem
from services.contact.queues.schemas import QueueCreate, QueueUpdate
from services.contact.routing import repository
from shared.db import utcnow
from shared.inserts import try_insert


async def create_queue(session: AsyncSession, data: QueueCreate) -> RoutingQueue:
    """A new queue; its name is unique."""
    if data.overflow_queue_id is not None:
        await get_queue(session, data.overflow_queue_id)
    queue = RoutingQueue(id=uuid.uuid4(), created_at=utcnow(), **data.model_dump())
    if not await try_insert(session, queue):
        raise QueueExistsError(data.name)
    return queue


async def get_queue(session: AsyncSession, queue_id: uuid.UUID) -> RoutingQueue:
    """The queue; raises `QueueNotFoundError`."""
    queue = await session.get(RoutingQueue, queue_id)
    if queue is None:
        raise QueueNotFoundError(queue_id)
    return queue


async def list_queues(session: AsyncSession) -> list[RoutingQueue]:
    """Every queue, by name."""
    return sorted((await repository.queues_by_id(session)).values(), key=lambda q: q.name)


async def update_queue(
    session: AsyncSession, queue_id: uuid.UUID, data: QueueUpdate
) -> RoutingQueue:
    """Change a queue's skills, priority, targets or overflow."""
    queue = await get_queue(session, queue_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("overflow_queue_id") is not None:
        await get_queue(session, changes["overflow_queue_id"])
    for name, value in changes.items():
        setattr(queue, name, value)
    await session.flush()
    return queue


async def waiting_in(session: AsyncSession, queue_id: uuid.UUID) -> Sequence[WorkItem]:
    """The queue's contacts waiting or being offered, the one to take next first."""
    queue = await get_queue(session, queue_id)
    return await repository.items_in_queue(session, queue.id, ("waiting", "offered"))
