"""Routing over the API: offers to one agent, accept, reject, time out, wrap up, backfill."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.contact.routing.conftest import (
    as_agent,
    make_agent,
    make_queue,
    offers_of,
    wait_for_offer,
)
from tests.kafka_helpers import eventually


async def _chat(client: httpx.AsyncClient, queue: str = "support", **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/work-items", json={"queue": queue, "channel": "chat", **extra}
    )
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


async def _agent_state(client: httpx.AsyncClient, agent: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/v1/agents/{agent['id']}")).json()
    return body


async def test_a_waiting_chat_is_offered_to_one_agent_who_accepts_and_wraps_up(
    contact: httpx.AsyncClient,
) -> None:
    await make_queue(contact, "support")
    ada = await make_agent(contact, "ada")
    item = await _chat(contact, subject="Where is my parcel?")

    offer = await wait_for_offer(contact, ada)
    accepted = await contact.post(f"/v1/offers/{offer['id']}/accept", headers=as_agent("ada"))
    in_hand = (await contact.get(f"/v1/work-items/{item['id']}")).json()
    on_contact = await _agent_state(contact, ada)
    done = await contact.post(f"/v1/work-items/{item['id']}/complete", headers=as_agent("ada"))
    wrapping = await _agent_state(contact, ada)

    assert offer["work_item_id"] == item["id"]
    assert accepted.status_code == 200, accepted.text
    assert (in_hand["state"], in_hand["agent_id"]) == ("assigned", ada["id"])
    assert on_contact["presence"] == "on_contact"
    assert done.json()["state"] == "completed"
    assert wrapping["presence"] == "after_call_work"
    await eventually(
        lambda: _presence_is(contact, ada, "available"), timeout=10, what="wrap-up to end"
    )


async def _presence_is(client: httpx.AsyncClient, agent: dict[str, Any], state: str) -> bool:
    return bool((await _agent_state(client, agent))["presence"] == state)


async def test_only_the_offered_agent_sees_and_answers_the_offer(
    contact: httpx.AsyncClient,
) -> None:
    await make_queue(contact, "support")
    ada = await make_agent(contact, "ada")
    ben = await make_agent(contact, "ben", available=False)
    await _chat(contact)
    offer = await wait_for_offer(contact, ada)

    peek = await contact.get(f"/v1/agents/{ada['id']}/offers", headers=as_agent("ben"))
    steal = await contact.post(f"/v1/offers/{offer['id']}/accept", headers=as_agent("ben"))
    supervisor = await contact.get(
        f"/v1/agents/{ada['id']}/offers", headers=as_agent("sam", role="supervisor")
    )

    assert peek.status_code == 403
    assert steal.status_code == 403
    assert steal.json()["code"] == "not-your-agent"
    assert [o["id"] for o in supervisor.json()] == [offer["id"]]
    assert await offers_of(contact, ben) == []


async def test_a_rejected_contact_goes_to_another_agent_and_never_back(
    contact: httpx.AsyncClient,
) -> None:
    await make_queue(contact, "support")
    ada = await make_agent(contact, "ada")
    item = await _chat(contact)
    first = await wait_for_offer(contact, ada)
    ben = await make_agent(contact, "ben")

    rejected = await contact.post(f"/v1/offers/{first['id']}/reject", headers=as_agent("ada"))
    second = await wait_for_offer(contact, ben)
    await asyncio.sleep(0.3)

    assert rejected.json()["state"] == "rejected"
    assert second["work_item_id"] == item["id"]
    assert await offers_of(contact, ada) == []


async def test_an_unanswered_offer_times_out_is_re_offered_and_pauses_its_agent(
    contact: httpx.AsyncClient,
) -> None:
    await make_queue(contact, "support")
    ada = await make_agent(contact, "ada")
    item = await _chat(contact)
    first = await wait_for_offer(contact, ada)
    ben = await make_agent(contact, "ben")

    second = await wait_for_offer(contact, ben)
    ada_now = await _agent_state(contact, ada)
    late = await contact.post(f"/v1/offers/{first['id']}/accept", headers=as_agent("ada"))

    assert second["work_item_id"] == item["id"]
    assert (ada_now["presence"], ada_now["presence_reason"]) == ("paused", "missed_offer")
    assert late.status_code == 409
    assert late.json()["code"] == "offer-not-pending"


async def test_a_free_agent_is_given_the_waiting_contact_at_once(
    contact: httpx.AsyncClient,
) -> None:
    await make_queue(contact, "support")
    ada = await make_agent(contact, "ada", capacity={"chat": 1})
    first, second = await _chat(contact), await _chat(contact)
    offer = await wait_for_offer(contact, ada)
    await contact.post(f"/v1/offers/{offer['id']}/accept", headers=as_agent("ada"))
    await asyncio.sleep(0.3)
    assert await offers_of(contact, ada) == []  # full: one chat at a time

    await contact.post(f"/v1/work-items/{first['id']}/complete", headers=as_agent("ada"))
    backfill = await wait_for_offer(contact, ada)

    assert offer["work_item_id"] == first["id"]
    assert backfill["work_item_id"] == second["id"]


async def test_contacts_go_only_to_agents_with_the_queue_skills(
    contact: httpx.AsyncClient,
) -> None:
    await make_queue(contact, "vip", required_skills={"vip": 4})
    junior = await make_agent(contact, "junior", skills={"vip": 2})
    senior = await make_agent(contact, "senior", skills={"vip": 5})
    item = await _chat(contact, queue="vip")

    offer = await wait_for_offer(contact, senior)

    assert offer["work_item_id"] == item["id"]
    assert await offers_of(contact, junior) == []


async def test_presence_rules_are_clear_errors(contact: httpx.AsyncClient) -> None:
    await make_queue(contact, "support")
    ada = await make_agent(contact, "ada")
    url = f"/v1/agents/{ada['id']}/presence"

    no_reason = await contact.put(url, json={"state": "paused"}, headers=as_agent("ada"))
    not_mine = await contact.put(url, json={"state": "offline"}, headers=as_agent("ben"))
    system_only = await contact.put(url, json={"state": "on_contact"}, headers=as_agent("ada"))
    await _chat(contact)
    offer = await wait_for_offer(contact, ada)
    await contact.post(f"/v1/offers/{offer['id']}/accept", headers=as_agent("ada"))
    busy = await contact.put(url, json={"state": "offline"}, headers=as_agent("ada"))
    paused = await contact.put(url, json={"state": "available"}, headers=as_agent("ada"))

    assert no_reason.status_code == 422
    assert not_mine.status_code == 403
    assert system_only.status_code == 422
    assert busy.status_code == 409
    assert busy.json()["code"] == "agent-busy"
    assert paused.status_code == 200
    for answer in (no_reason, not_mine, busy):
        assert answer.headers["content-type"] == "application/problem+json"
