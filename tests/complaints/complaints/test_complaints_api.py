"""The complaint record over HTTP: filing, reading, editing with If-Match, paging, problems."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.complaints.customers.service import apply_customer_scores
from services.complaints.models import Complaint, ComplaintAudit
from shared.db import OutboxMessage
from tests.complaints.conftest import FakeClock, complaint_body, new_customer
from tests.complaints.helpers import file_via_api
from tests.identity import identity_headers

PROBLEM = "application/problem+json"


async def _count_of(api: httpx.AsyncClient, customer_id: str) -> int:
    async with api.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Complaint)
                .where(Complaint.customer_id == uuid.UUID(customer_id))
            )
            or 0
        )


async def test_filing_stores_the_record_and_stages_filed(api: httpx.AsyncClient) -> None:
    customer = new_customer()
    earlier = await file_via_api(api)
    response = await api.post(
        "/v1/complaints",
        json=complaint_body(
            customer_id=customer,
            description="账单重复扣费 — Ünïcödé 🙂",
            remedy_sought="退款",
            team="billing-desk",
            related_ids=[earlier["id"]],
            duplicate_of=earlier["id"],
        ),
        headers=identity_headers("complaints", agent_id="agent-7"),
    )

    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/v1/complaints/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["description"] == "账单重复扣费 — Ünïcödé 🙂"
    assert body["remedy_sought"] == "退款"
    assert body["state"] == "received"
    assert (body["related_ids"], body["duplicate_of"]) == ([earlier["id"]], earlier["id"])
    assert body["priority"] == "p4"
    assert body["calendar"] == "cn"
    assert body["allowed_transitions"] == ["acknowledged", "withdrawn"]
    # p4 billing: acknowledgement within 8 business hours of Monday 10:00 Shanghai time.
    assert body["sla"]["acknowledgement"]["due_at"] == "2026-11-03T02:00:00Z"
    assert body["sla"]["next_due_at"] == "2026-11-02T09:00:00Z"
    read = await api.get(response.headers["location"])
    assert read.json() == body
    async with api.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        outbox = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.key == customer))
        ).all()
        audit = (
            await session.scalars(
                select(ComplaintAudit).where(ComplaintAudit.complaint_id == uuid.UUID(body["id"]))
            )
        ).all()
    assert [json.loads(m.payload)["type"] for m in outbox] == ["complaints.complaint_filed"]
    assert outbox[0].key == body["customer_id"]
    assert [(a.action, a.actor) for a in audit] == [("filed", "agent-7")]


async def test_priority_follows_the_customers_tier_and_churn_risk(
    api: httpx.AsyncClient,
) -> None:
    customer = uuid.uuid4()
    async with api.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        await apply_customer_scores(
            session,
            customer_id=customer,
            tier="gold",
            churn_risk=0.8,
            now=api.app.state.clock(),  # type: ignore[attr-defined]
            settings=api.app.state.settings,  # type: ignore[attr-defined]
            reason="test",
        )
        await session.commit()

    body = await file_via_api(api, customer_id=str(customer), severity="high")

    assert (body["tier"], body["churn_risk"], body["priority"]) == ("gold", 0.8, "p1")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"customer_id": "not-a-uuid"}, "customer_id"),
        ({"received_at": "2026-11-02T09:30:00"}, "received_at"),
        ({"surprise": 1}, "surprise"),
        ({"source_contacts": ["x"] * 51}, "source_contacts"),
    ],
)
async def test_invalid_filing_is_a_422_problem(
    api: httpx.AsyncClient, override: dict[str, Any], field: str
) -> None:
    customer = new_customer()
    body = complaint_body(customer_id=customer)
    body.update(override)
    response = await api.post("/v1/complaints", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert any(field in e["loc"] for e in response.json()["errors"])
    if "customer_id" not in override:
        assert await _count_of(api, customer) == 0


@pytest.mark.parametrize(
    ("override", "field"),
    [({"category": "weather"}, "category"), ({"calendar": "mars"}, "calendar")],
)
async def test_unknown_category_or_calendar_is_a_422_listing_the_known_ones(
    api: httpx.AsyncClient, override: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/complaints", json=complaint_body(**override))

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "unknown-value"
    assert response.json()["field"] == field
    assert response.json()["allowed"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/v1/complaints/not-a-uuid", None, 422),
        ("GET", f"/v1/complaints/{uuid.UUID(int=1)}", None, 404),
        ("GET", "/v1/complaints?cursor=%%%", None, 400),
        ("GET", "/v1/complaints?limit=0", None, 422),
        ("GET", "/v1/complaints?state=lost", None, 422),
        ("GET", "/v1/complaints?sla=late", None, 422),
        ("GET", "/v1/complaints/reports/summary?start=2026-11-02T00:00:00", None, 422),
        (
            "GET",
            "/v1/complaints/reports/summary?start=2026-11-02T00:00:00Z&end=2026-11-01T00:00:00Z",
            None,
            422,
        ),
        ("GET", "/v1/complaints/reports/summary?start=yesterday", None, 422),
        ("POST", "/v1/complaints", [], 422),
        ("POST", f"/v1/complaints/{uuid.UUID(int=1)}/escalations", {"reason": ""}, 422),
        ("POST", "/v1/complaints", "{not json", 422),
        ("POST", f"/v1/complaints/{uuid.UUID(int=1)}/transitions", {"to": "acknowledged"}, 404),
        ("POST", f"/v1/complaints/{uuid.UUID(int=1)}/survey", {"csat": 9}, 422),
    ],
)
async def test_bad_requests_are_problems_not_500s(
    api: httpx.AsyncClient, method: str, path: str, body: Any, status: int
) -> None:
    if isinstance(body, str):
        response = await api.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
    else:
        response = await api.request(method, path, json=body)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM


async def test_update_needs_if_match_and_refuses_a_stale_one(api: httpx.AsyncClient) -> None:
    filed = await file_via_api(api)
    url = f"/v1/complaints/{filed['id']}"

    missing = await api.patch(url, json={"assignee": "li.wei"})
    stale = await api.patch(url, json={"assignee": "li.wei"}, headers={"If-Match": '"7"'})
    garbage = await api.patch(url, json={"assignee": "li.wei"}, headers={"If-Match": "abc"})
    ok = await api.patch(
        url,
        json={"assignee": "李伟", "root_cause": "company", "compensation_amount": "12.50"},
        headers={"If-Match": '"1"', **identity_headers("complaints", agent_id="supervisor-1")},
    )
    replay = await api.patch(url, json={"assignee": "other"}, headers={"If-Match": '"1"'})

    assert missing.status_code == 428
    assert missing.headers["content-type"] == PROBLEM
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 1
    assert garbage.status_code == 412
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"2"'
    assert ok.json()["assignee"] == "李伟"
    assert ok.json()["compensation_amount"] == "12.50"
    assert replay.status_code == 412
    trail = (await api.get(f"{url}/audit")).json()
    assert trail[-1]["action"] == "updated"
    assert trail[-1]["actor"] == "supervisor-1"
    assert trail[-1]["details"]["assignee"] == {"from": None, "to": "李伟"}


async def test_concurrent_updates_with_the_same_etag_let_only_one_through(
    api: httpx.AsyncClient,
) -> None:
    filed = await file_via_api(api)
    url = f"/v1/complaints/{filed['id']}"

    responses = await asyncio.gather(
        *(
            api.patch(url, json={"assignee": f"agent-{i}"}, headers={"If-Match": '"1"'})
            for i in range(6)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1
    assert set(statuses) - {200} <= {409, 412}
    final = (await api.get(url)).json()
    assert final["version"] == 2


async def test_severity_change_retargets_the_sla_and_is_audited(api: httpx.AsyncClient) -> None:
    filed = await file_via_api(api, category="service")
    url = f"/v1/complaints/{filed['id']}"

    changed = await api.patch(url, json={"severity": "critical"}, headers={"If-Match": '"1"'})

    assert changed.status_code == 200
    assert changed.json()["priority"] == "p2"  # critical (6) with no known tier or risk
    # p2: acknowledgement within 2 business hours of Monday 10:00 → 12:00 Shanghai.
    assert changed.json()["sla"]["acknowledgement"]["due_at"] == "2026-11-02T04:00:00Z"
    trail = (await api.get(f"{url}/audit")).json()
    retarget = [e for e in trail if e["action"] == "sla_retargeted"]
    assert retarget and retarget[0]["details"]["priority"] == {"from": "p4", "to": "p2"}


async def test_listing_pages_with_a_cursor_and_filters(api: httpx.AsyncClient) -> None:
    clock: FakeClock = api.clock  # type: ignore[attr-defined]
    customer = new_customer()
    ids = []
    for i in range(5):
        clock.advance(minutes=1)
        ids.append((await file_via_api(api, customer_id=customer, description=f"n{i}"))["id"])
    await file_via_api(api)  # someone else's
    clock.advance(minutes=1)
    await file_via_api(api, customer_id=customer, category="delivery", description="other category")

    first = (await api.get(f"/v1/complaints?customer_id={customer}&limit=2")).json()
    second = (
        await api.get(
            f"/v1/complaints?customer_id={customer}&limit=2&cursor={first['next_cursor']}"
        )
    ).json()
    third = (
        await api.get(
            f"/v1/complaints?customer_id={customer}&limit=2&cursor={second['next_cursor']}"
        )
    ).json()

    seen = [c["id"] for page in (first, second, third) for c in page["items"]]
    assert seen[1:] == list(reversed(ids))
    assert third["next_cursor"] is None
    filtered = (
        await api.get(f"/v1/complaints?customer_id={customer}&state=received&category=billing")
    ).json()
    assert [c["id"] for c in filtered["items"]] == list(reversed(ids))


async def test_manual_escalation_raises_the_level_and_then_reassigns(
    api: httpx.AsyncClient,
) -> None:
    filed = await file_via_api(api, team="billing-desk", assignee="li.wei")
    url = f"/v1/complaints/{filed['id']}/escalations"

    one = await api.post(url, json={"reason": "customer called three times"})
    two = await api.post(url, json={"reason": "still nothing"})

    assert (one.json()["escalation_level"], one.json()["team"]) == (1, "billing-desk")
    assert two.json()["escalation_level"] == 2
    assert (two.json()["team"], two.json()["assignee"]) == ("supervisors", None)
    assert two.json()["state"] == "received"  # the level is separate from the state
    async with api.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        payloads = (
            await session.scalars(
                select(OutboxMessage.payload)
                .where(
                    OutboxMessage.event_type == "complaints.complaint_escalated",
                    OutboxMessage.key == filed["customer_id"],
                )
                .order_by(OutboxMessage.id)
            )
        ).all()
    actions = [json.loads(p)["data"]["action"] for p in payloads]
    assert actions == ["notify", "supervisor_queue"]


@pytest.mark.parametrize(
    "override",
    [{"duplicate_of": str(uuid.UUID(int=7))}, {"related_ids": [str(uuid.UUID(int=7))]}],
)
async def test_links_to_missing_complaints_are_refused(
    api: httpx.AsyncClient, override: dict[str, Any]
) -> None:
    response = await api.post("/v1/complaints", json=complaint_body(**override))

    assert response.status_code == 422
    assert response.json()["code"] == "linked-complaint-not-found"


@pytest.mark.parametrize(
    "change",
    [
        {"category": None},
        {"description": None},
        {"severity": None},
        {"root_cause": None},
        {"category": "weather"},
        {"compensation_amount": "-1"},
        {"compensation_currency": "yuan"},
        {"duplicate_of": str(uuid.UUID(int=7))},
    ],
)
async def test_bad_updates_are_422_problems_and_change_nothing(
    api: httpx.AsyncClient, change: dict[str, Any]
) -> None:
    filed = await file_via_api(api)
    url = f"/v1/complaints/{filed['id']}"

    response = await api.patch(url, json=change, headers={"If-Match": '"1"'})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert (await api.get(url)).json()["version"] == 1


async def test_a_complaint_cannot_duplicate_itself(api: httpx.AsyncClient) -> None:
    filed = await file_via_api(api)

    response = await api.patch(
        f"/v1/complaints/{filed['id']}",
        json={"duplicate_of": filed["id"]},
        headers={"If-Match": "*"},
    )

    assert response.status_code == 422


async def test_a_closed_complaint_cannot_be_escalated(api: httpx.AsyncClient) -> None:
    filed = await file_via_api(api)
    await api.post(f"/v1/complaints/{filed['id']}/transitions", json={"to": "withdrawn"})

    response = await api.post(
        f"/v1/complaints/{filed['id']}/escalations", json={"reason": "too late"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "complaint-closed"


async def test_concurrent_transitions_apply_once(api: httpx.AsyncClient) -> None:
    filed = await file_via_api(api)
    url = f"/v1/complaints/{filed['id']}/transitions"

    responses = await asyncio.gather(
        *(api.post(url, json={"to": "acknowledged"}) for _ in range(5))
    )

    # One copy moves it; the others find it there already and answer it unchanged (200),
    # or lost the race to the same row and are told to retry (409, a retry answers 200).
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) >= 1
    assert set(statuses) <= {200, 409}
    moved = {r.json()["version"] for r in responses if r.status_code == 200}
    assert moved == {filed["version"] + 1}
    async with api.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        acknowledged = (
            await session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.key == filed["customer_id"],
                    OutboxMessage.event_type == "complaints.complaint_acknowledged",
                )
            )
        ).all()
    assert len(acknowledged) == 1
