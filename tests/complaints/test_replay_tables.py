"""Filings and transitions delivered twice and interleaved give the very same tables."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from services.complaints.main import create_app
from services.complaints.models import Complaint, ComplaintAudit, FilingKey
from shared.db import OutboxMessage
from tests.complaints.conftest import FakeClock, complaint_body, complaints_settings
from tests.complaints.lifecycle.test_lifecycle import step
from tests.conftest import serve
from tests.kafka_helpers import eventually
from tests.tables import snapshot

PATHS = [
    ["acknowledged", "assessed", "response_proposed", "decision_communicated", "closed_accepted"],
    ["acknowledged", "assessed", "investigating", "waiting_on_third_party"],
    ["withdrawn"],
    ["acknowledged"],
]
CUSTOMER = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

Request = tuple[int, str]  # (complaint number, "file" or the state to move to)


def _plan(count: int) -> list[list[Request]]:
    """Per complaint: its filing, then its steps."""
    return [[(n, "file")] + [(n, s) for s in PATHS[n % len(PATHS)]] for n in range(count)]


def _filing(n: int) -> tuple[dict[str, Any], dict[str, str]]:
    # Even complaints carry an idempotency key and no contact; odd ones a contact only.
    contacts = [] if n % 2 == 0 else [f"twilio:CA{n:032d}"]
    body = complaint_body(customer_id=CUSTOMER, description=f"complaint {n}")
    body["source_contacts"] = contacts
    headers = {"Idempotency-Key": f"filing-{n}"} if n % 2 == 0 else {}
    return body, headers


async def _send(api: httpx.AsyncClient, request: Request, ids: dict[int, str]) -> None:
    n, what = request
    if what == "file":
        body, headers = _filing(n)
        response = await api.post("/v1/complaints", json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        ids.setdefault(n, response.json()["id"])
        assert ids[n] == response.json()["id"]
        return
    response = await api.post(f"/v1/complaints/{ids[n]}/transitions", json=step(what))
    assert response.status_code == 200, response.text


def _deliveries(plan: list[list[Request]], rng: random.Random) -> list[Request]:
    """The complaints interleaved at random (each one's requests in order), a third sent twice
    (a retry right after the first copy), and filings repeated again at the end."""
    queues = [list(q) for q in plan]
    out: list[Request] = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        request = queue.pop(0)
        out.append(request)
        if rng.random() < 0.35:
            out.append(request)
    out += [q[0] for q in plan if rng.random() < 0.5]
    return out


@pytest.fixture
async def make_api(
    make_database: Callable[[str], str], broker: str
) -> AsyncIterator[Callable[[], Any]]:
    """Start a complaints app on a fresh database; all of them stop at the end."""
    stack: list[AsyncIterator[httpx.AsyncClient]] = []

    async def start() -> httpx.AsyncClient:
        settings = complaints_settings(
            make_database("complaints"), broker, f"t{uuid.uuid4().hex[:8]}."
        )
        app = create_app(settings, clock=FakeClock())
        running = serve(app)
        stack.append(running)
        client = await running.__anext__()
        client.app = app  # type: ignore[attr-defined]
        await eventually(lambda: all(r.connected for r in app.state.consumers), what="consumers")
        return client

    yield start
    for running in reversed(stack):
        with pytest.raises(StopAsyncIteration):
            await running.__anext__()


async def _tables(api: httpx.AsyncClient, ids: dict[int, str]) -> dict[str, Any]:
    labels: dict[Any, str] = {}
    for n, cid in ids.items():
        labels[uuid.UUID(cid)] = labels[cid] = f"complaint {n}"
    async with api.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        tables = {
            Complaint.__table__: {"id"},
            ComplaintAudit.__table__: {"id"},
            FilingKey.__table__: {"claimed_at"},
            OutboxMessage.__table__: {"id", "event_id", "payload", "created_at", "published_at"},
        }
        shot = await snapshot(session, tables, labels)
    # Whether the relay has published a row yet, or tried twice, is not the record.
    shot["outbox_message"] = sorted((r[0], r[1], r[2]) for r in shot["outbox_message"])
    return shot


async def test_duplicated_interleaved_filings_and_steps_give_identical_tables(
    make_api: Callable[[], Any],
) -> None:
    plan = _plan(8)
    in_order = await make_api()
    ids: dict[int, str] = {}
    for request in [r for queue in plan for r in queue]:
        await _send(in_order, request, ids)
    expected = await _tables(in_order, ids)
    assert len(expected["complaint"]) == 8
    # Filings keyed by idempotency key (4) and by contact (4); every step audited once.
    assert len(expected["complaint_filing_key"]) == 8
    assert len(expected["complaint_audit"]) == 8 + sum(len(PATHS[n % 4]) for n in range(8))

    replayed = await make_api()
    replay_ids: dict[int, str] = {}
    for request in _deliveries(plan, random.Random(20261130)):
        await _send(replayed, request, replay_ids)
    assert await _tables(replayed, replay_ids) == expected
