"""Over the real broker: published events, scoring and contact events consumed, the timer task."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from services.complaints.main import create_app
from shared.contracts.contact import CallEventRecordedV1
from shared.contracts.scoring import ChurnRiskRaisedV1, TierChangedV1
from shared.contracts.topics import COMPLAINTS_COMPLAINTS, CONTACT_CALLS, SCORING_SCORES
from tests.complaints.conftest import (
    MONDAY_10_CN,
    FakeClock,
    complaints_settings,
    new_customer,
)
from tests.complaints.helpers import file_via_api, publish
from tests.conftest import serve
from tests.kafka_helpers import eventually, read_topic


async def test_filed_event_reaches_the_topic(api: httpx.AsyncClient, broker: str) -> None:
    complaint = await file_via_api(api, description="快递三天没到")
    prefix: str = api.topic_prefix  # type: ignore[attr-defined]

    records = await read_topic(broker, prefix + COMPLAINTS_COMPLAINTS, expect=1)

    mine = [json.loads(r.value) for r in records if r.key == complaint["customer_id"].encode()]
    assert [m["type"] for m in mine] == ["complaints.complaint_filed"]
    assert mine[0]["data"]["complaint_id"] == complaint["id"]
    assert mine[0]["data"]["priority"] == "p4"
    assert mine[0]["source"] == "rapport/complaints"


async def test_churn_risk_raised_escalates_the_customers_open_complaints(
    api: httpx.AsyncClient, broker: str
) -> None:
    customer = new_customer()
    open_one = await file_via_api(api, customer_id=customer)
    closed = await file_via_api(api, customer_id=customer)
    await api.post(f"/v1/complaints/{closed['id']}/transitions", json={"to": "withdrawn"})

    await publish(
        api,
        SCORING_SCORES,
        ChurnRiskRaisedV1(
            customer_id=uuid.UUID(customer),
            previous_risk=0.3,
            churn_risk=0.9,
            threshold=0.7,
            tier="gold",
            reasons=["three complaints in a month"],
            raised_at=MONDAY_10_CN,
        ),
    )

    async def escalated() -> bool:
        body = (await api.get(f"/v1/complaints/{open_one['id']}")).json()
        return bool(body["escalation_level"] == 1)

    await eventually(escalated, what="the open complaint to be escalated")
    after = (await api.get(f"/v1/complaints/{open_one['id']}")).json()
    assert (after["tier"], after["churn_risk"], after["priority"]) == ("gold", 0.9, "p2")
    untouched = (await api.get(f"/v1/complaints/{closed['id']}")).json()
    assert untouched["escalation_level"] == 0
    trail = [e["action"] for e in (await api.get(f"/v1/complaints/{open_one['id']}/audit")).json()]
    assert trail == ["filed", "sla_retargeted", "escalated"]
    prefix: str = api.topic_prefix  # type: ignore[attr-defined]
    records = await read_topic(broker, prefix + COMPLAINTS_COMPLAINTS, expect=4)
    types = [json.loads(r.value)["type"] for r in records if r.key == customer.encode()]
    assert "complaints.complaint_escalated" in types


async def test_tier_change_retargets_open_complaints(api: httpx.AsyncClient) -> None:
    customer = new_customer()
    complaint = await file_via_api(api, customer_id=customer, severity="high")
    assert complaint["priority"] == "p3"

    await publish(
        api,
        SCORING_SCORES,
        TierChangedV1(
            customer_id=uuid.UUID(customer),
            previous_tier="bronze",
            tier="gold",
            clv=12000.0,
            churn_risk=0.1,
            changed_at=MONDAY_10_CN,
        ),
    )

    async def retargeted() -> bool:
        body = (await api.get(f"/v1/complaints/{complaint['id']}")).json()
        return bool(body["priority"] == "p2")

    await eventually(retargeted, what="the complaint to be re-prioritised")
    trail = (await api.get(f"/v1/complaints/{complaint['id']}/audit")).json()
    assert trail[-1]["action"] == "sla_retargeted"
    assert trail[-1]["reason"] == "tier changed from bronze to gold"


async def test_contacts_are_counted_once_per_call(api: httpx.AsyncClient) -> None:
    customer = uuid.uuid4()
    start = "2030-01-07T00:00:00Z"
    end = "2030-01-08T00:00:00Z"
    when = dt.datetime(2030, 1, 7, 3, tzinfo=dt.UTC)
    for sequence, first in ((0, True), (1, False)):
        await publish(
            api,
            CONTACT_CALLS,
            CallEventRecordedV1(
                call_event_id=uuid.uuid4(),
                customer_id=customer,
                provider="asterisk",
                call_id="c-1",
                sequence_number=sequence,
                status="ringing",
                occurred_at=when,
                first_event_of_call=first,
            ),
        )

    async def counted() -> bool:
        report = (await api.get(f"/v1/complaints/reports/summary?start={start}&end={end}")).json()
        return bool(report["contacts"] == 1)

    await eventually(counted, what="the contact to be counted")


@pytest.fixture
async def timed_api(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose SLA timer runs every 50 ms on a hand-driven clock."""
    clock = FakeClock()
    settings = complaints_settings(
        make_database("complaints"), broker, topic_prefix, sla_scan_interval_seconds=0.05
    )
    app = create_app(settings, clock=clock)
    async for client in serve(app):
        client.clock = clock  # type: ignore[attr-defined]
        await eventually(lambda: all(r.connected for r in app.state.consumers))
        yield client


async def test_the_timer_task_breaches_and_escalates_on_its_own(
    timed_api: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    clock: FakeClock = timed_api.clock  # type: ignore[attr-defined]
    complaint = await file_via_api(timed_api, severity="critical", category="service")  # p2: 2h ack
    clock.advance(hours=1, minutes=30)  # 11:30, the warning (75% of 2h)

    async def warned() -> bool:
        body = (await timed_api.get(f"/v1/complaints/{complaint['id']}")).json()
        return bool(body["sla"]["acknowledgement"]["warned"])

    await eventually(warned, what="the acknowledgement warning")
    clock.advance(hours=3)  # 14:30, past the 12:00 deadline plus the lunch hour

    async def breached() -> bool:
        body = (await timed_api.get(f"/v1/complaints/{complaint['id']}")).json()
        return body["sla"]["acknowledgement"]["breached_at"] is not None

    await eventually(breached, what="the acknowledgement breach")
    records = await read_topic(broker, topic_prefix + COMPLAINTS_COMPLAINTS, expect=3)
    types = [json.loads(r.value)["type"] for r in records]
    assert types == [
        "complaints.complaint_filed",
        "complaints.complaint_sla_breached",
        "complaints.complaint_escalated",
    ]
