"""Helpers of the complaints tests: local times, filing and moving complaints, what was written."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.complaints.schemas import ComplaintCreate
from services.complaints.complaints.service import file_complaint
from services.complaints.lifecycle.schemas import TransitionRequest
from services.complaints.lifecycle.service import transition_complaint
from services.complaints.models import Complaint, ComplaintAudit
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla.timers import process_due
from shared.db import OutboxMessage
from shared.events import Event, to_envelope
from tests.complaints.conftest import complaint_body, new_customer
from tests.kafka_helpers import produce

# Steps from `received` to an investigation, and to a decision without one.
TO_INVESTIGATION = ("acknowledged", "assessed", "investigating")
TO_DECISION = ("acknowledged", "assessed", "response_proposed", "decision_communicated")

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def cn(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    """A Shanghai wall-clock time, in UTC."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(dt.UTC)


def ny(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    """A New York wall-clock time, in UTC."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=NEW_YORK).astimezone(dt.UTC)


async def file(
    session: AsyncSession, settings: ComplaintsSettings, now: dt.datetime, **overrides: Any
) -> Complaint:
    """File a complaint through the service and commit it."""
    data: dict[str, Any] = {
        "customer_id": uuid.uuid4(),
        "channel": "phone",
        "category": "billing",
        "description": "Charged twice.",
        "severity": "medium",
    }
    data.update(overrides)
    complaint, _ = await file_complaint(
        session, ComplaintCreate(**data), actor="agent", now=now, settings=settings
    )
    await session.commit()
    return complaint


async def move(
    session: AsyncSession,
    settings: ComplaintsSettings,
    complaint: Complaint,
    now: dt.datetime,
    *targets: str,
    **fields: Any,
) -> Complaint:
    """Walk a complaint through `targets` at `now`, with `fields` on each step; commit."""
    for target in targets:
        extra: dict[str, Any] = dict(fields)
        if target == "decision_communicated":
            extra |= {"decision_channel": "email", "decision_summary": "Refunded."}
        complaint = await transition_complaint(
            session,
            complaint.id,
            TransitionRequest(to=target, **extra),
            expected_version=None,
            actor="agent",
            now=now,
            settings=settings,
        )
    await session.commit()
    return complaint


async def close_accepted(
    session: AsyncSession,
    settings: ComplaintsSettings,
    complaint: Complaint,
    *,
    acknowledged: dt.datetime,
    decided: dt.datetime,
) -> Complaint:
    """Acknowledge and assess at `acknowledged`; answer, decide and close accepted at `decided`."""
    await move(session, settings, complaint, acknowledged, "acknowledged", "assessed")
    steps = ("response_proposed", "decision_communicated", "closed_accepted")
    return await move(session, settings, complaint, decided, *steps)


async def tick(session: AsyncSession, settings: ComplaintsSettings, now: dt.datetime) -> int:
    """One run of the SLA timer at `now`, committed; how many complaints it handled."""
    handled = await process_due(session, now=now, limit=100, settings=settings)
    await session.commit()
    return handled


async def tick_and_read(
    session: AsyncSession, settings: ComplaintsSettings, complaint: Complaint, now: dt.datetime
) -> Complaint:
    """One run of the SLA timer at `now`, then the complaint as it left it."""
    await tick(session, settings, now)
    await session.refresh(complaint)
    return complaint


async def events(session: AsyncSession, complaint: Complaint, kind: str) -> list[dict[str, Any]]:
    """The data of the complaint's staged events of one kind, oldest first."""
    payloads = (
        await session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.event_type == f"complaints.{kind}")
            .order_by(OutboxMessage.id)
        )
    ).all()
    data = [json.loads(p)["data"] for p in payloads]
    return [d for d in data if d["complaint_id"] == str(complaint.id)]


async def actions(session: AsyncSession, complaint: Complaint) -> list[str]:
    """The complaint's audit actions, oldest first."""
    rows = await session.scalars(
        select(ComplaintAudit.action)
        .where(ComplaintAudit.complaint_id == complaint.id)
        .order_by(ComplaintAudit.id)
    )
    return list(rows.all())


async def file_via_api(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """File a complaint over HTTP for a new customer (unless one is given); its body."""
    overrides.setdefault("customer_id", new_customer())
    response = await api.post("/v1/complaints", json=complaint_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(api: httpx.AsyncClient, topic: str, event: Event) -> None:
    """Put an event on the served app's broker, as its producer would."""
    prefix: str = api.topic_prefix  # type: ignore[attr-defined]
    envelope = to_envelope(event, source="rapport/test")
    await produce(
        api.app.state.settings.kafka_bootstrap_servers,  # type: ignore[attr-defined]
        prefix + topic,
        [envelope.to_bytes()],
        key=str(event.subject()).encode(),
    )
