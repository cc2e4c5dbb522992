"""Surveys over the API: sent after a call or a contact, answered once, published for others."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from shared.db import OutboxMessage
from tests.builders import call_event


async def _completed(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        payloads = await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.event_type == "contact.survey_completed"
            )
        )
        return [json.loads(p)["data"] for p in payloads.all()]


async def _answer_once(client: httpx.AsyncClient, survey_id: str) -> dict[str, Any]:
    """Answers that miss or add a question are refused; the same answer again is harmless."""
    answer_url = f"/v1/surveys/{survey_id}/answer"
    short = await client.post(answer_url, json={"csat": 2})
    assert (short.status_code, short.json()["missing"]) == (422, ["quality"])
    extra = await client.post(
        answer_url, json={"csat": 2, "nps": 3, "expected_quality": 4, "perceived_quality": 3}
    )
    assert (extra.status_code, extra.json()["unasked"]) == (422, ["nps"])
    answer = {"csat": 2, "expected_quality": 4, "perceived_quality": 3, "comment": "slow"}
    answered = await client.post(answer_url, json=answer)
    assert answered.status_code == 200, answered.text
    assert (answered.json()["state"], answered.json()["quality"]) == ("answered", "unacceptable")
    retried = await client.post(answer_url, json=answer)
    assert retried.json()["answered_at"] == answered.json()["answered_at"]
    changed = await client.post(answer_url, json=answer | {"csat": 5})
    assert (changed.status_code, changed.json()["code"]) == (409, "survey-answered")

    body: dict[str, Any] = answered.json()
    return body


async def _merged_then_erased(client: httpx.AsyncClient, customer_id: str, survey_id: str) -> None:
    """Surveys move with a merge; erasing the survivor drops the answers' comments."""
    survivor = (await client.post("/v1/customers", json={"name": "Ada"})).json()["customer_id"]
    merged = await client.post(
        f"/v1/customers/{survivor}/merge", json={"merge_customer_id": customer_id}
    )
    assert merged.status_code == 200, merged.text
    moved = (await client.get(f"/v1/customers/{survivor}/surveys")).json()["items"]
    assert len(moved) == 2
    await client.delete(f"/v1/customers/{survivor}")
    erased = (await client.get(f"/v1/surveys/{survey_id}")).json()
    assert (erased["customer_id"], erased["comment"], erased["csat"]) == (survivor, None, 2)


def _email(customer_id: str) -> dict[str, str]:
    return {
        "channel": "email",
        "external_id": "m-1",
        "customer_id": customer_id,
        "occurred_at": "2026-11-02T10:00:00+00:00",
    }


async def test_a_survey_is_sent_after_a_contact_answered_once_and_published(
    app_client: httpx.AsyncClient,
) -> None:
    call = (await app_client.post("/v1/contacts/events", json=call_event())).json()
    customer_id, call_id = call["customer_id"], call["call_record_id"]
    email = await app_client.post("/v1/contacts", json=_email(customer_id))
    sent = await app_client.post(
        "/v1/surveys", json={"call_id": call_id, "questions": ["csat", "quality"], "via": "ivr"}
    )
    assert sent.status_code == 201, sent.text
    survey = sent.json()
    assert (survey["customer_id"], survey["channel"], survey["state"]) == (
        customer_id,
        "voice",
        "sent",
    )
    again = await app_client.post("/v1/surveys", json={"call_id": call_id, "via": "sms"})
    assert (again.status_code, again.json()["code"]) == (409, "survey-exists")
    both = {"call_id": call_id, "contact_id": email.json()["contact_id"], "via": "sms"}
    assert (await app_client.post("/v1/surveys", json=both)).status_code == 422
    by_mail = await app_client.post(
        "/v1/surveys",
        json={"contact_id": email.json()["contact_id"], "questions": ["nps"], "via": "email"},
    )
    assert by_mail.json()["channel"] == "email"

    answered = await _answer_once(app_client, survey["id"])
    assert answered["quality"] == "unacceptable"
    named = await app_client.get(f"/v1/surveys/{survey['id']}", params={"lang": "zh"})
    assert named.json()["quality_name"] == "不满意"

    [event] = await _completed(app_client)
    assert event | {"answered_at": None} == {
        "survey_id": survey["id"],
        "customer_id": customer_id,
        "call_id": call_id,
        "contact_id": None,
        "channel": "voice",
        "questions": ["csat", "quality"],
        "csat": 2,
        "nps": None,
        "expected_quality": 4,
        "perceived_quality": 3,
        "quality": "unacceptable",
        "answered_at": None,
    }
    listed = (await app_client.get(f"/v1/customers/{customer_id}/surveys?limit=1")).json()
    rest = await app_client.get(
        f"/v1/customers/{customer_id}/surveys", params={"cursor": listed["next_cursor"]}
    )
    assert [s["id"] for s in listed["items"] + rest.json()["items"]] == [
        by_mail.json()["id"],
        survey["id"],
    ]
    await _merged_then_erased(app_client, customer_id, survey["id"])
