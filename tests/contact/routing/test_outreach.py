"""Outreach from a retention programme: scoring asks, contact puts call-backs in the queue."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select, update

from services.scoring.models import CustomerStats
from services.scoring.settings import ScoringSettings
from shared.contracts.scoring import OutreachRequestedV1
from shared.contracts.topics import SCORING_PROGRAMMES
from shared.db import Database, OutboxMessage, ProcessedEvent
from shared.events import to_envelope
from tests.builders import scoring_settings
from tests.contact.routing.conftest import make_queue
from tests.kafka_helpers import eventually, produce, read_topic
from tests.scoring.conftest import running, tx

PROGRAMME = {
    "name": "Gold at risk",
    "goal": "Keep them",
    "content": "Thank them, offer a free upgrade",
    "target": {"tiers": ["gold"], "min_churn_risk": 0.6},
    "cost_per_contact": "5.00",
    "control_share": 0.5,
    "seed": 8,
}


async def _waiting(contact: httpx.AsyncClient, queue_id: str) -> list[dict[str, Any]]:
    answer = await contact.get(f"/v1/queues/{queue_id}/waiting")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()
    return items


async def launch_programme(settings: ScoringSettings, *, queue: str) -> list[dict[str, Any]]:
    """Six gold customers at risk in scoring, a programme for them launched; its members."""
    rng = random.Random(3)
    customers = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(6)]
    db = Database(settings.database_url)
    try:
        async with running(settings) as scoring:
            body = {"transactions": [tx(c, "40.00", days_ago=60) for c in customers]}
            assert (await scoring.post("/v1/transactions", json=body)).status_code == 200
            async with db.sessionmaker() as session:
                await session.execute(update(CustomerStats).values(tier="gold", churn_risk=0.8))
                await session.commit()
            created = await scoring.post("/v1/programmes", json={**PROGRAMME, "queue": queue})
            assert created.status_code == 201, created.text
            pid = created.json()["id"]
            launched = await scoring.post(f"/v1/programmes/{pid}/launch")
            assert launched.status_code == 200, launched.text
            members: list[dict[str, Any]] = (
                await scoring.get(f"/v1/programmes/{pid}/members")
            ).json()["items"]

            async def relayed() -> bool:
                async with db.sessionmaker() as session:
                    waiting = select(OutboxMessage).where(OutboxMessage.published_at.is_(None))
                    return await session.scalar(waiting.limit(1)) is None

            await eventually(relayed, what="the outreach requests to be published")
            return members
    finally:
        await db.dispose()


async def test_treated_customers_get_a_call_back_in_the_queue_once_and_control_none(
    contact: httpx.AsyncClient,
    make_database: Callable[[str], str],
    broker: str,
    topic_prefix: str,
) -> None:
    queue = await make_queue(contact, "retention")
    settings = scoring_settings(make_database("scoring"), broker, topic_prefix)
    members = await launch_programme(settings, queue="retention")
    treated = {m["customer_id"] for m in members if m["group"] == "treated"}
    control = {m["customer_id"] for m in members if m["group"] == "control"}
    assert len(treated) == len(control) == 3

    async def three_waiting() -> bool:
        return len(await _waiting(contact, queue["id"])) >= 3

    await eventually(three_waiting, timeout=20, what="the call-backs in the queue")
    items = await _waiting(contact, queue["id"])
    assert {i["customer_id"] for i in items} == treated
    assert {i["channel"] for i in items} == {"callback"}
    assert all(i["subject"].startswith("Gold at risk: ") for i in items)

    # The same request published again under a new event id makes no second task.
    records = await read_topic(broker, topic_prefix + SCORING_PROGRAMMES, expect=3)
    request = OutreachRequestedV1.model_validate(json.loads(records[0].value)["data"])
    again = to_envelope(request, source="tests")
    await produce(broker, topic_prefix + SCORING_PROGRAMMES, [again.to_bytes()], key=None)
    contact_db: Database = contact.app.state.db  # type: ignore[attr-defined]

    async def handled() -> bool:
        async with contact_db.sessionmaker() as session:
            row = await session.scalar(
                select(ProcessedEvent).where(ProcessedEvent.event_id == again.id)
            )
            return row is not None

    await eventually(handled, what="the repeated request to be handled")
    assert len(await _waiting(contact, queue["id"])) == 3
