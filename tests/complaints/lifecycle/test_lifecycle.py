"""The lifecycle over HTTP: every allowed and every forbidden transition, outcomes, events."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.complaints.lifecycle.lifecycle import STATES, TRANSITIONS, State
from shared.db import OutboxMessage
from tests.complaints.conftest import FakeClock
from tests.complaints.helpers import file_via_api

# How to reach each state from `received`.
PATHS: dict[State, list[State]] = {
    "received": [],
    "acknowledged": ["acknowledged"],
    "assessed": ["acknowledged", "assessed"],
    "investigating": ["acknowledged", "assessed", "investigating"],
    "waiting_on_customer": ["acknowledged", "assessed", "investigating", "waiting_on_customer"],
    "waiting_on_third_party": [
        "acknowledged",
        "assessed",
        "investigating",
        "waiting_on_third_party",
    ],
    "response_proposed": ["acknowledged", "assessed", "investigating", "response_proposed"],
    "decision_communicated": [
        "acknowledged",
        "assessed",
        "response_proposed",
        "decision_communicated",
    ],
    "closed_accepted": [
        "acknowledged",
        "assessed",
        "response_proposed",
        "decision_communicated",
        "closed_accepted",
    ],
    "closed_rejected": [
        "acknowledged",
        "assessed",
        "response_proposed",
        "decision_communicated",
        "closed_rejected",
    ],
    "withdrawn": ["withdrawn"],
    "reopened": [
        "acknowledged",
        "assessed",
        "response_proposed",
        "decision_communicated",
        "closed_accepted",
        "reopened",
    ],
}

# The field each entered state stamps, where it stamps one.
STAMPS: dict[str, str] = {
    "acknowledged": "acknowledged_at",
    "assessed": "assessed_at",
    "investigating": "investigation_started_at",
    "response_proposed": "responded_at",
    "decision_communicated": "decision_communicated_at",
    "closed_accepted": "closed_at",
    "closed_rejected": "closed_at",
    "withdrawn": "closed_at",
    "reopened": "reopened_at",
}


def step(to: str, **extra: Any) -> dict[str, Any]:
    """A transition body carrying whatever that step requires."""
    body: dict[str, Any] = {"to": to, "reason": f"going to {to}"}
    if to == "decision_communicated":
        body |= {"decision_channel": "phone", "decision_summary": "Refund of 120 CNY approved."}
    if to == "closed_rejected":
        body["recourse_offered"] = "The consumer association's mediation service (12315)."
    body.update(extra)
    return body


async def walk(api: httpx.AsyncClient, complaint_id: str, path: list[State]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for target in path:
        response = await api.post(f"/v1/complaints/{complaint_id}/transitions", json=step(target))
        assert response.status_code == 200, (target, response.text)
        body = response.json()
    return body


def test_the_table_covers_every_state() -> None:
    assert set(PATHS) == set(STATES) == set(TRANSITIONS)
    assert all(set(targets) <= set(STATES) for targets in TRANSITIONS.values())


@pytest.mark.parametrize("source", STATES)
async def test_every_transition_from(api: httpx.AsyncClient, source: State) -> None:
    """From `source`, each allowed target succeeds and every other one is a 409 listing them."""
    for target in STATES:
        complaint = await file_via_api(api)
        cid = complaint["id"]
        before = await walk(api, cid, PATHS[source]) if PATHS[source] else complaint
        assert before["state"] == source

        response = await api.post(f"/v1/complaints/{cid}/transitions", json=step(target))

        if target == source:
            # A replay of the step that led here: answered unchanged, nothing recorded.
            assert response.status_code == 200, (source, target, response.text)
            assert (response.json()["state"], response.json()["version"]) == (
                source,
                before["version"],
            )
        elif target in TRANSITIONS[source]:
            assert response.status_code == 200, (source, target, response.text)
            after = response.json()
            assert after["state"] == target
            assert after["version"] == before["version"] + 1
            assert after["allowed_transitions"] == list(TRANSITIONS[target])
            if target in STAMPS:
                assert after[STAMPS[target]] == "2026-11-02T02:00:00Z", (source, target)
            trail = (await api.get(f"/v1/complaints/{cid}/audit")).json()
            assert (trail[-1]["from_state"], trail[-1]["to_state"]) == (source, target)
        else:
            assert response.status_code == 409, (source, target, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["code"] == "transition-not-allowed"
            assert problem["state"] == source
            assert problem["allowed"] == list(TRANSITIONS[source])
            unchanged = (await api.get(f"/v1/complaints/{cid}")).json()
            assert (unchanged["state"], unchanged["version"]) == (source, before["version"])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (PATHS["response_proposed"], {"to": "decision_communicated"}, "decision_channel"),
        (
            PATHS["response_proposed"],
            {"to": "decision_communicated", "decision_channel": "email"},
            "decision_summary",
        ),
        (PATHS["decision_communicated"], {"to": "closed_rejected"}, "recourse_offered"),
        (PATHS["closed_accepted"], {"to": "reopened"}, "reason"),
    ],
)
async def test_steps_that_need_more_say_which_field(
    api: httpx.AsyncClient, path: list[State], body: dict[str, Any], field: str
) -> None:
    complaint = await file_via_api(api)
    await walk(api, complaint["id"], path)

    response = await api.post(f"/v1/complaints/{complaint['id']}/transitions", json=body)

    assert response.status_code == 422
    assert response.json()["code"] == "field-required"
    assert response.json()["field"] == field


async def test_unknown_target_state_is_a_422(api: httpx.AsyncClient) -> None:
    complaint = await file_via_api(api)

    response = await api.post(
        f"/v1/complaints/{complaint['id']}/transitions", json={"to": "teleported"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_stale_if_match_on_a_transition_is_a_412(api: httpx.AsyncClient) -> None:
    complaint = await file_via_api(api)
    url = f"/v1/complaints/{complaint['id']}/transitions"

    stale = await api.post(url, json=step("acknowledged"), headers={"If-Match": '"5"'})
    fresh = await api.post(url, json=step("acknowledged"), headers={"If-Match": '"1"'})

    assert stale.status_code == 412
    assert fresh.status_code == 200


async def test_reopening_is_refused_after_the_window(api: httpx.AsyncClient) -> None:
    clock: FakeClock = api.clock  # type: ignore[attr-defined]
    inside = await file_via_api(api)
    outside = await file_via_api(api)
    await walk(api, inside["id"], PATHS["closed_rejected"])
    await walk(api, outside["id"], PATHS["closed_accepted"])

    clock.advance(days=29)
    ok = await api.post(
        f"/v1/complaints/{inside['id']}/transitions", json=step("reopened", reason="还是不行")
    )
    clock.advance(days=2)
    late = await api.post(f"/v1/complaints/{outside['id']}/transitions", json=step("reopened"))

    assert ok.status_code == 200
    assert ok.json()["reopen_count"] == 1
    assert ok.json()["closed_at"] is None
    assert ok.json()["complainant_response"] is None
    assert late.status_code == 409
    assert late.json()["code"] == "reopen-window-expired"


async def _event_types(api: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    async with api.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        payloads = (
            await session.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.key == customer_id)
                .order_by(OutboxMessage.id)
            )
        ).all()
    return [json.loads(p) for p in payloads]


async def test_a_full_lifecycle_stages_its_events_in_order(api: httpx.AsyncClient) -> None:
    complaint = await file_via_api(api)
    cid = complaint["id"]
    await walk(api, cid, PATHS["closed_rejected"])
    await api.patch(
        f"/v1/complaints/{cid}", json={"root_cause": "company"}, headers={"If-Match": "*"}
    )
    await walk(api, cid, ["reopened", "investigating", "response_proposed"])
    await walk(api, cid, ["decision_communicated", "closed_accepted"])

    events = await _event_types(api, complaint["customer_id"])

    assert [e["type"].removeprefix("complaints.") for e in events] == [
        "complaint_filed",
        "complaint_acknowledged",
        "complaint_resolved",
        "complaint_closed",
        "complaint_reopened",
        "complaint_resolved",
        "complaint_closed",
    ]
    closed = [e["data"] for e in events if e["type"] == "complaints.complaint_closed"]
    assert [(c["outcome"], c["root_cause"]) for c in closed] == [
        ("rejected", "unknown"),
        ("accepted", "company"),
    ]
    assert all(e["subject"] == complaint["customer_id"] for e in events)
    assert {e["data"]["complaint_id"] for e in events} == {cid}


async def test_withdrawal_is_closed_as_withdrawn(api: httpx.AsyncClient) -> None:
    complaint = await file_via_api(api)
    await walk(api, complaint["id"], ["acknowledged", "assessed", "investigating", "withdrawn"])

    events = await _event_types(api, complaint["customer_id"])

    assert events[-1]["type"] == "complaints.complaint_closed"
    assert events[-1]["data"]["outcome"] == "withdrawn"


async def test_survey_after_closure_once_per_closure(api: httpx.AsyncClient) -> None:
    complaint = await file_via_api(api)
    url = f"/v1/complaints/{complaint['id']}/survey"

    too_early = await api.post(url, json={"csat": 4})
    await walk(api, complaint["id"], PATHS["closed_accepted"])
    first = await api.post(url, json={"csat": 5, "nps": 9, "comment": "处理得很快谢谢"})
    again = await api.post(url, json={"csat": 1})
    await walk(api, complaint["id"], ["reopened", "investigating", "response_proposed"])
    await walk(api, complaint["id"], ["decision_communicated", "closed_accepted"])
    after_reopen = await api.post(url, json={"csat": 3})

    assert too_early.status_code == 409
    assert too_early.json()["code"] == "survey-not-allowed"
    assert first.status_code == 201
    assert first.json()["csat"] == 5
    assert again.status_code == 409
    assert after_reopen.status_code == 201
    assert after_reopen.json()["closure"] == 1
    surveyed = [
        e["data"]
        for e in await _event_types(api, complaint["customer_id"])
        if e["type"] == "complaints.satisfaction_surveyed"
    ]
    assert [(s["csat"], s["nps"], s["comment"]) for s in surveyed] == [
        (5, 9, "处理得很快谢谢"),
        (3, None, None),
    ]


async def test_a_missing_complaint_cannot_move(api: httpx.AsyncClient) -> None:
    response = await api.post(
        f"/v1/complaints/{uuid.uuid4()}/transitions", json=step("acknowledged")
    )

    assert response.status_code == 404
    assert response.json()["code"] == "complaint-not-found"
