"""A busy stretch of a call-center day, routed by the real contact process over the broker.

Calls arrive as a Poisson process from customers of every tier (their tiers published by the
test on scoring's topic), more than twenty agents with mixed skills can take at once, so lines
form. Each simulated agent polls their offers, accepts, talks for an exponential handle time
and hangs up; two of them let their first offer time out. Midway one iron caller becomes gold
while waiting, and the contact service is killed (SIGKILL) and restarted. The routing events
on the broker are the record checked afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import random
import statistics
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from services.gateway.identity.roles import permissions_of
from shared.contracts.scoring import TierChangedV1
from shared.contracts.topics import CONTACT_ROUTING, SCORING_SCORES
from shared.events import to_envelope
from tests.builders import call_event
from tests.identity import SignedAs
from tests.kafka_helpers import eventually, produce, read_topic
from tests.processes import running_system
from tools.system import System

pytestmark = pytest.mark.e2e
TIERS = ("gold", "silver", "bronze", "iron")
AGENTS = 20
ARRIVAL_RATE = 10.0  # calls a second, above what twenty agents can take
ARRIVAL_SECONDS = 12.0
MEAN_HANDLE_SECONDS = 3.0
OFFER_TIMEOUT = 3.0
SERVICE = SignedAs("contact", permissions=permissions_of(["admin", "service"]))


@pytest.fixture
def system(broker: str, tmp_path: Path, topic_prefix: str) -> Iterator[System]:
    env = {
        "CONTACT_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "SCORING_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "COMPLAINTS_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "CONTACT_ROUTING_OFFER_TIMEOUT_SECONDS": str(OFFER_TIMEOUT),
        "CONTACT_ROUTING_WRAP_UP_SECONDS": "0.2",
        "CONTACT_ROUTING_INTERVAL_SECONDS": "0.05",
        "CONTACT_ROUTING_PREFERRED_AGENT_SECONDS": "0",
        "CONTACT_ROUTING_EXPANSION_SECONDS": "4",
    }
    with running_system(
        broker=broker, tmp_path=tmp_path, topic_prefix=topic_prefix, api_key="k", extra_env=env
    ) as running:
        yield running


def contact_url(system: System) -> str:
    return next(p.url for p in system.processes if p.info.name == "contact")


@dataclass
class Day:
    """What the simulation did, to compare with what the router did."""

    customers: dict[str, str] = field(default_factory=dict)  # customer id → tier
    calls: dict[str, str] = field(default_factory=dict)  # provider call id → customer id
    handled: set[str] = field(default_factory=set)  # work item ids an agent finished
    promoted: str | None = None
    running: bool = True


async def _request(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> httpx.Response:
    """A request that rides out the contact service's restart (no answer, or 503: try again)."""
    for _ in range(200):
        with contextlib.suppress(httpx.TransportError):
            response = await client.request(method, url, **kw)
            if response.status_code != 503:
                return response
        await asyncio.sleep(0.1)
    raise AssertionError(f"{method} {url} never answered")


async def _setup(client: httpx.AsyncClient, day: Day, broker: str, prefix: str) -> list[Any]:
    queue = await _request(
        client, "POST", "/v1/queues", json={"name": "support", "required_skills": {"billing": 2}}
    )
    assert queue.status_code == 201, queue.text
    # Follow-up policies would add call-back tasks of their own (a welcome call on a first
    # tier); this stretch of the day is about the callers only.
    for tier in (*TIERS, "unscored"):
        policy = {"level": "basic"}
        path = f"/v1/follow-up-policies/{tier}/consumer"
        assert (await _request(client, "PUT", path, json=policy)).is_success
    agents = []
    for n in range(AGENTS):
        body = {"login": f"sim-{n}", "name": f"Agent {n}", "skills": {"billing": 2 + n % 4}}
        agent = (await _request(client, "POST", "/v1/agents", json=body)).json()
        agents.append(agent)
    rng = random.Random(7)
    events = []
    # Scores are dated ahead so that the scoring service's own reports of these new prospects
    # (which carry no tier yet) never come after them.
    at = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    for n in range(160):
        phone = f"+1415556{n:04d}"
        created = await _request(client, "POST", "/v1/customers", json={"phones": [phone]})
        customer = created.json()["customer_id"]
        tier = TIERS[n % 4]
        day.customers[customer] = tier
        event = TierChangedV1(
            customer_id=uuid.UUID(customer),
            tier=tier,
            previous_tier=None,
            clv=100.0,
            churn_risk=rng.random() * 0.5,
            changed_at=at,
        )
        events.append(to_envelope(event, source="rapport/scoring").to_bytes())
    await produce(broker, prefix + SCORING_SCORES, events)
    return agents


async def _arrivals(client: httpx.AsyncClient, day: Day, phones: list[tuple[str, str]]) -> None:
    """Calls at Poisson times, each on its own: a slow answer never holds the next call back."""
    rng = random.Random(11)
    calls = []
    elapsed = rng.expovariate(ARRIVAL_RATE)
    for customer, phone in phones:
        if elapsed > ARRIVAL_SECONDS:
            break
        calls.append(asyncio.create_task(_call(client, day, customer, phone, elapsed)))
        elapsed += rng.expovariate(ARRIVAL_RATE)
    await asyncio.gather(*calls)


async def _call(client: httpx.AsyncClient, day: Day, customer: str, phone: str, at: float) -> None:
    await asyncio.sleep(at)
    call_id = f"sim-{uuid.uuid4().hex[:12]}"
    day.calls[call_id] = customer
    now = dt.datetime.now(dt.UTC)
    for seq, status in enumerate(("ringing", "queued")):
        body = call_event(
            call_id=call_id,
            sequence_number=seq,
            status=status,
            timestamp=(now + dt.timedelta(milliseconds=seq)).isoformat(),
            **{"from": phone},
        )
        assert (await _request(client, "POST", "/v1/contacts/events", json=body)).is_success


async def _deliver_offers(broker: str, prefix: str, inboxes: dict[str, asyncio.Queue[Any]]) -> None:
    """What the gateway's stream does for desktops: each offer event to its agent."""
    consumer = AIOKafkaConsumer(
        prefix + CONTACT_ROUTING,
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async for record in consumer:
            envelope = json.loads(record.value)
            if envelope["type"] == "contact.contact_offered":
                await inboxes[envelope["data"]["agent_id"]].put(envelope["data"])
    finally:
        await consumer.stop()


async def _agent(
    client: httpx.AsyncClient,
    agent: dict[str, Any],
    day: Day,
    inbox: asyncio.Queue[Any],
    lazy: bool,
) -> None:
    """Signs in, takes each offer pushed to them, talks, hangs up; a lazy one misses the first."""
    rng = random.Random(agent["login"])
    me = SignedAs(
        "contact", agent_id=agent["login"], roles=["agent"], permissions=permissions_of(["agent"])
    )
    presence = f"/v1/agents/{agent['id']}/presence"
    await _request(client, "PUT", presence, json={"state": "available"}, auth=me)
    while day.running:
        try:
            offer = await asyncio.wait_for(inbox.get(), 0.5)
        except TimeoutError:
            continue
        if lazy:
            lazy = False  # lets this first offer time out, then comes back
            await asyncio.sleep(2.0)
            await _request(client, "PUT", presence, json={"state": "available"}, auth=me)
            continue
        accepted = await _request(client, "POST", f"/v1/offers/{offer['offer_id']}/accept", auth=me)
        if accepted.status_code != 200:
            continue  # timed out meanwhile, or withdrawn: it went to someone else
        await asyncio.sleep(rng.expovariate(1 / MEAN_HANDLE_SECONDS))
        await _hang_up(client, offer["work_item_id"], day)


async def _hang_up(client: httpx.AsyncClient, item_id: str, day: Day) -> None:
    item = (await _request(client, "GET", f"/v1/work-items/{item_id}")).json()
    answer = await _request(client, "GET", f"/v1/calls/{item['call_id']}")
    assert answer.status_code == 200, (item, answer.text)
    call = answer.json()
    body = call_event(
        call_id=call["provider_call_id"],
        sequence_number=9,
        status="ended",
        timestamp=dt.datetime.now(dt.UTC).isoformat(),
        **{"from": call["from_number"]},
    )
    assert (await _request(client, "POST", "/v1/contacts/events", json=body)).is_success
    day.handled.add(item_id)


async def _promote_one_iron_caller(
    client: httpx.AsyncClient, day: Day, broker: str, prefix: str
) -> tuple[int, int]:
    """Make a waiting iron caller gold; their place in line before and after."""
    queue = (await _request(client, "GET", "/v1/queues")).json()[0]
    waiting_url = f"/v1/queues/{queue['id']}/waiting"
    line = (await _request(client, "GET", waiting_url)).json()
    iron = [i for i in line if day.customers.get(i["customer_id"]) == "iron"]
    assert iron, "no iron caller waiting: the line should be long by now"
    chosen = iron[-1]
    before = [i["id"] for i in line].index(chosen["id"])
    day.promoted = chosen["id"]
    event = TierChangedV1(
        customer_id=uuid.UUID(chosen["customer_id"]),
        tier="gold",
        previous_tier="iron",
        clv=900.0,
        churn_risk=0.1,
        changed_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
    )
    await produce(broker, prefix + SCORING_SCORES, [to_envelope(event, source="x").to_bytes()])
    after: list[int] = []

    async def moved() -> bool:
        line = (await _request(client, "GET", waiting_url)).json()
        ids = [i["id"] for i in line]
        after[:] = [ids.index(chosen["id"])] if chosen["id"] in ids else [-1]
        return after[0] < before

    await eventually(moved, timeout=15, what="the promoted caller to move forward")
    return before, after[0]


async def test_a_busy_stretch_is_routed_best_first_without_losing_or_doubling_a_call(
    system: System, broker: str, topic_prefix: str
) -> None:
    day = Day()
    async with httpx.AsyncClient(base_url=contact_url(system), timeout=10, auth=SERVICE) as client:
        agents = await _setup(client, day, broker, topic_prefix)
        phones = await _phones(client, day)
        inboxes: dict[str, asyncio.Queue[Any]] = {a["id"]: asyncio.Queue() for a in agents}
        delivery = asyncio.create_task(_deliver_offers(broker, topic_prefix, inboxes))
        workers = [
            asyncio.create_task(_agent(client, a, day, inboxes[a["id"]], lazy=n < 2))
            for n, a in enumerate(agents)
        ]
        arrivals = asyncio.create_task(_arrivals(client, day, phones))
        await asyncio.sleep(6)
        before, after = await _promote_one_iron_caller(client, day, broker, topic_prefix)
        await asyncio.to_thread(system.kill_and_restart, "contact")
        await arrivals
        await eventually(
            lambda: len(day.handled) >= len(day.calls) or any(w.done() for w in workers),
            # Correctness, not speed: `make test` runs other tests on the other core meanwhile.
            timeout=300,
            what="every call handled",
        )
        for worker in workers:
            if worker.done():
                worker.result()  # an agent that stopped early says why
        day.running = False
        await asyncio.gather(*workers)
        delivery.cancel()
        await asyncio.gather(delivery, return_exceptions=True)
    events = await _routing_events(broker, topic_prefix)
    _check(day, events, before, after)


async def _phones(client: httpx.AsyncClient, day: Day) -> list[tuple[str, str]]:
    rng = random.Random(3)
    pairs = []
    for customer in day.customers:
        read = (await _request(client, "GET", f"/v1/customers/{customer}")).json()
        pairs.append((customer, read["identities"][0]["value"]))
    rng.shuffle(pairs)
    return pairs


async def _routing_events(broker: str, prefix: str) -> list[dict[str, Any]]:
    records = await read_topic(broker, prefix + CONTACT_ROUTING, expect=1)
    # Delivery is at least once: a relay that crashed may publish an event again, same id.
    unique = {e["id"]: e for e in (json.loads(r.value) for r in records)}
    return list(unique.values())


def _check(day: Day, events: list[dict[str, Any]], before: int, after: int) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for envelope in events:
        by_type.setdefault(envelope["type"], []).append(envelope["data"])
    accepted = by_type["contact.offer_accepted"]
    # Every call that queued was taken by an agent, once: nothing lost, nothing doubled.
    assert len({a["work_item_id"] for a in accepted}) == len(accepted) == len(day.calls)
    # No contact was ever on offer to two agents at the same time.
    _no_overlapping_offers(by_type)
    # An offer that timed out was offered again, to someone.
    timed_out = {t["work_item_id"] for t in by_type.get("contact.offer_timed_out", [])}
    assert timed_out, "the lazy agents' offers should have timed out"
    assert timed_out <= {a["work_item_id"] for a in accepted}
    # Gold callers waited less than iron callers.
    waits: dict[str, list[int]] = {t: [] for t in TIERS}
    for a in accepted:
        if a["work_item_id"] != day.promoted and a["customer_id"] in day.customers:
            waits[day.customers[a["customer_id"]]].append(a["waited_seconds"])
    summary = {t: (len(w), statistics.mean(w) if w else None) for t, w in waits.items()}
    assert statistics.mean(waits["gold"]) < statistics.mean(waits["iron"]), summary
    assert after < before
    _backfill_happened(by_type)


def _no_overlapping_offers(by_type: dict[str, list[dict[str, Any]]]) -> None:
    offered = by_type["contact.contact_offered"]
    ends: dict[str, list[str]] = {}
    for kind, stamp in (
        ("contact.offer_accepted", "accepted_at"),
        ("contact.offer_rejected", "rejected_at"),
        ("contact.offer_timed_out", "expired_at"),
    ):
        for e in by_type.get(kind, []):
            ends.setdefault(e["offer_id"], []).append(e[stamp])
    per_item: dict[str, list[tuple[str, str]]] = {}
    for o in offered:
        end = min(ends.get(o["offer_id"], [o["expires_at"]]))
        per_item.setdefault(o["work_item_id"], []).append((o["offered_at"], end))
    for spans in per_item.values():
        spans.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(spans):
            assert second_start >= first_end


def _backfill_happened(by_type: dict[str, list[dict[str, Any]]]) -> None:
    """Agents freed by a hang-up while callers waited were offered the next one within a second."""
    freed = [p for p in by_type["contact.agent_presence_changed"] if p["state"] == "available"]
    offers = by_type["contact.contact_offered"]
    quick = 0
    for p in freed:
        later = [
            o["offered_at"]
            for o in offers
            if o["agent_id"] == p["agent_id"] and o["offered_at"] >= p["changed_at"]
        ]
        if later:
            gap = dt.datetime.fromisoformat(min(later)) - dt.datetime.fromisoformat(p["changed_at"])
            quick += gap <= dt.timedelta(seconds=1)
    assert quick >= AGENTS
