"""Erasure in the outbox: published rows of the customer go, waiting ones deliver redacted."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import select, update

from shared.contracts import registry
from shared.contracts.complaints import ComplaintReopenedV1
from shared.db import Database, OutboxMessage
from shared.events import CloudEvent
from shared.outbox import stage_event
from shared.outbox_scrub import ERASED, redactor, scrub_outbox

AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def test_redactor_erases_personal_fields_and_erased_values_anywhere() -> None:
    redact = redactor(["name", "reason"], ["+16175550143", "Zeb@Example.org"])
    data = {
        "customer_id": "c-1",
        "level": 2,
        "reason": "anything typed",
        "screen_pop": {"Name": "Zeb", "from_number": "+16175550143", "tier": "gold"},
        "notes": ["write to zeb@example.org please", "nothing here"],
        "open": None,
    }

    assert redact(data) == {
        "customer_id": "c-1",
        "level": 2,
        "reason": ERASED,
        "screen_pop": {"Name": ERASED, "from_number": ERASED, "tier": "gold"},
        "notes": [ERASED, "nothing here"],
        "open": None,
    }


def _reopened(customer_id: uuid.UUID, reason: str) -> ComplaintReopenedV1:
    return ComplaintReopenedV1(
        complaint_id=uuid.uuid4(), customer_id=customer_id, reason=reason, reopened_at=AT
    )


@pytest.fixture
async def db(make_database: Callable[[str], str]) -> AsyncIterator[Database]:
    database = Database(make_database("complaints"))
    yield database
    await database.dispose()


async def test_published_rows_go_and_waiting_rows_still_deliver_without_the_person(
    db: Database,
) -> None:
    erased, other = uuid.uuid4(), uuid.uuid4()
    async with db.sessionmaker() as session:
        for customer, reason in ((erased, "sent"), (erased, "Zeb wants out"), (other, "Ann")):
            await stage_event(session, _reopened(customer, reason), source="tests")
        first = await session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id))
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == first).values(published_at=AT)
        )
        await session.commit()

    async with db.sessionmaker() as session:
        done = await scrub_outbox(
            session, customer_ids=[str(erased)], redact=redactor(["reason"], [])
        )
        await session.commit()
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()

    assert (done.deleted, done.redacted) == (1, 1)
    envelopes = [CloudEvent.from_bytes(r.payload.encode()) for r in rows]
    assert [(e.subject, e.data["reason"]) for e in envelopes] == [
        (str(erased), ERASED),
        (str(other), "Ann"),
    ]
    # The redacted event still decodes as what it was, for the consumers.
    event = registry.decode(envelopes[0])
    assert isinstance(event, ComplaintReopenedV1) and event.customer_id == erased
    assert json.loads(rows[0].payload)["type"] == ComplaintReopenedV1.type
