"""`/v1/queues`: the waiting lines and who waits in them."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.contact.queues import service
from services.contact.queues.schemas import QueueCreate, QueueRead, QueueUpdate
from services.contact.routing.schemas import WorkItemRead
from shared.api import Session, allow, problem

router = APIRouter(prefix="/v1/queues", tags=["queues"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No such queue")}


@router.post(
    "",
    dependencies=allow("queues:manage"),
    response_model=QueueRead,
    status_code=201,
    summary="Create a queue: required skills, service-level target, priority, hours, overflow",
    responses={**_NOT_FOUND, 409: problem("The name is taken"), 422: problem("Invalid queue")},
)
async def create_queue(data: QueueCreate, session: Session) -> QueueRead:
    return QueueRead.model_validate(await service.create_queue(session, data))


@router.get(
    "",
    dependencies=allow("queues:read"),
    response_model=list[QueueRead],
    summary="List queues",
)
async def list_queues(session: Session) -> list[QueueRead]:
    return [QueueRead.model_validate(q) for q in await service.list_queues(session)]


@router.get(
    "/{queue_id}",
    dependencies=allow("queues:read"),
    response_model=QueueRead,
    summary="Read a queue",
    responses=_NOT_FOUND,
)
async def read_queue(queue_id: uuid.UUID, session: Session) -> QueueRead:
    return QueueRead.model_validate(await service.get_queue(session, queue_id))


@router.patch(
    "/{queue_id}",
    dependencies=allow("queues:manage"),
    response_model=QueueRead,
    summary="Change a queue's skills, priority, targets or overflow",
    responses={**_NOT_FOUND, 422: problem("Invalid change")},
)
async def update_queue(queue_id: uuid.UUID, data: QueueUpdate, session: Session) -> QueueRead:
    return QueueRead.model_validate(await service.update_queue(session, queue_id, data))


@router.get(
    "/{queue_id}/waiting",
    dependencies=allow("queues:read"),
    response_model=list[WorkItemRead],
    summary="Who waits in the queue, the one to take next first, with each priority's reasons",
    responses=_NOT_FOUND,
)
async def waiting_in_queue(queue_id: uuid.UUID, session: Session) -> list[WorkItemRead]:
    return [WorkItemRead.model_validate(i) for i in await service.waiting_in(session, queue_id)]
