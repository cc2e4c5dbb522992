"""What the outbox and broker-loss tests share: a call event to stage, and a job to run."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Protocol

from shared.contracts.contact import CallEventRecordedV1
from shared.db import Database
from shared.outbox import stage_event


class Job(Protocol):
    def run(self) -> Awaitable[None]: ...


def recorded_call_event(customer_id: uuid.UUID, n: int) -> CallEventRecordedV1:
    """The `n`th ringing event of a call of `customer_id`."""
    return CallEventRecordedV1(
        call_event_id=uuid.uuid4(),
        customer_id=customer_id,
        provider="asterisk",
        call_id=f"call-{n}",
        sequence_number=n,
        status="ringing",
        occurred_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
        first_event_of_call=True,
    )


async def stage_each(db: Database, events: list[CallEventRecordedV1]) -> None:
    """Stage the events one transaction each, like separate requests."""
    for event in events:
        async with db.sessionmaker() as session:
            await stage_event(session, event, source="tests")
            await session.commit()


@contextlib.asynccontextmanager
async def running(job: Job) -> AsyncIterator[asyncio.Task[None]]:
    """Run the job (a relay, a consumer) for the life of the block."""
    task = asyncio.ensure_future(job.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
