"""Raw call payloads kept no longer than `CONTACT_CALL_PAYLOAD_RETENTION_DAYS`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from services.contact.models import Call, CallEvent, CallLogEntry
from services.contact.privacy.service import call_payload_purge
from shared.db import Database
from shared.retention import RetentionJob

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
FACTS = {
    "state": "completed",
    "from": "+16175550143",
    "to": "+18005550100",
    "notes": "Customer gave card number",
    "recording_url": "https://rec.example/1",
    "ivr_input": "4242",
    "duration": 95,
    "queue": "support",
}
KEPT = {"state": "completed", "duration": 95, "queue": "support"}


def _call(key: str, ended_days_ago: float | None) -> Call:
    ended = None if ended_days_ago is None else NOW - dt.timedelta(days=ended_days_ago)
    return Call(
        id=uuid.uuid4(),
        provider="asterisk",
        provider_call_id=key,
        from_number="+16175550143",
        started_at=NOW - dt.timedelta(days=200),
        ended_at=ended,
        candidate_customer_ids=[],
        announced=[],
        ivr_path=[],
        legs=[],
    )


def _entry(call: Call, n: int) -> CallLogEntry:
    return CallLogEntry(
        call_id=call.id,
        provider="asterisk",
        dedup_key=f"{call.provider_call_id}:{n}",
        kind="status",
        occurred_at=NOW - dt.timedelta(days=200),
        received_at=NOW - dt.timedelta(days=200),
        facts=dict(FACTS),
    )


def _api_event(key: str, received_days_ago: float) -> CallEvent:
    return CallEvent(
        provider="asterisk",
        provider_call_id=key,
        sequence_number=0,
        status="completed",
        from_number="+16175550143",
        to_number="+18005550100",
        occurred_at=NOW - dt.timedelta(days=received_days_ago),
        received_at=NOW - dt.timedelta(days=received_days_ago),
    )


async def test_raw_events_of_long_ended_calls_lose_the_person_and_nothing_else(
    make_database: Callable[[str], str],
) -> None:
    db = Database(make_database("contact"))
    old, recent, open_ = _call("old", 91), _call("recent", 89), _call("open", None)
    async with db.sessionmaker() as session:
        session.add_all([old, recent, open_])
        await session.flush()
        session.add_all([_entry(old, 1), _entry(old, 2), _entry(recent, 1), _entry(open_, 1)])
        session.add_all([_api_event("old", 91), _api_event("recent", 89)])
        await session.commit()
    job = RetentionJob(db, {"raw": call_payload_purge(90)}, interval_seconds=60, clock=lambda: NOW)

    # Two raw events of the old call, one API event: three rows trimmed, then none.
    assert await job.run_once() == {"raw": 3}
    assert await job.run_once() == {"raw": 0}

    async with db.sessionmaker() as session:
        facts: dict[str, list[dict[str, Any]]] = {}
        for call_id, kept in await session.execute(
            select(Call.provider_call_id, CallLogEntry.facts).join(Call)
        ):
            facts.setdefault(call_id, []).append(kept)
        numbers = dict(
            (await session.execute(select(CallEvent.provider_call_id, CallEvent.from_number))).all()
        )
        calls = dict((await session.execute(select(Call.provider_call_id, Call.from_number))).all())
    await db.dispose()
    assert facts == {"old": [KEPT, KEPT], "recent": [FACTS], "open": [FACTS]}
    assert numbers == {"old": "", "recent": "+16175550143"}
    # The call's own record keeps who called until the customer is erased.
    assert calls["old"] == "+16175550143"
