"""A retention programme over the real scoring service and broker, on a simulated population.

The population's published scores are planted (as scoring would have published them); after
launch, a seeded simulation decides who buys, treated customers with a higher probability,
and posts the purchases as commerce does. The measured uplift must contain the planted one.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from services.scoring.errors import RoundNotDueError, RoundsCompleteError
from services.scoring.models import CustomerStats, ProgrammeMember
from services.scoring.programmes import service
from services.scoring.programmes.schemas import ProgrammeCreate
from services.scoring.settings import ScoringSettings
from shared.contracts.contact import CustomerDeletedV1
from shared.contracts.topics import SCORING_PROGRAMMES
from shared.db import Database
from shared.inbox import Handler
from tests.kafka_helpers import read_topic
from tests.scoring import helpers
from tests.scoring.conftest import NOW, running, tx

# Planted: 40% of the control group buys in the window, 55% of the treated group; buyers
# spend 20-80 (mean 50) without the programme and 30-90 (mean 60) with it.
CONTROL_RATE, TREATED_RATE = 0.40, 0.55
PLANTED_RETENTION_UPLIFT = TREATED_RATE - CONTROL_RATE
PLANTED_SPEND_UPLIFT = TREATED_RATE * 60 - CONTROL_RATE * 50
MATCHING, OTHERS = 560, 40
PROGRAMME = {
    "name": "Win back key customers",
    "goal": "Keep gold and silver customers at risk buying",
    "content": "A call from a senior agent with a 10% voucher on the next order",
    "target": {"tiers": ["gold", "silver"], "min_churn_risk": 0.6},
    "cost_per_contact": "4.00",
    "channel": "callback",
    "queue": "retention",
    "contacts_per_member": 2,
    "interval_days": 7,
    "control_share": 0.5,
    "measurement_days": 30,
    "seed": 20261130,
}


async def plant_population(
    client: httpx.AsyncClient, db: Database, rng: random.Random
) -> tuple[set[str], set[str]]:
    """Customers with a purchase a month ago and planted scores: who matches, who does not."""
    matching = {str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(MATCHING)}
    others = {str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(OTHERS)}
    seeded = await client.post(
        "/v1/transactions",
        json={"transactions": [tx(c, "25.00", days_ago=30) for c in matching | others]},
    )
    assert seeded.status_code == 200, seeded.text
    planted = [
        {
            "customer_id": c,
            "tier": rng.choice(("gold", "silver")),
            "churn_risk": rng.uniform(0.6, 0.95),
        }
        for c in sorted(matching)
    ]
    # Half the others are at risk but bronze; half are silver but not at risk.
    planted += [
        {
            "customer_id": c,
            "tier": "bronze" if n % 2 else "silver",
            "churn_risk": 0.9 if n % 2 else 0.3,
        }
        for n, c in enumerate(sorted(others))
    ]
    async with db.sessionmaker() as session:
        await session.execute(update(CustomerStats), planted)
        await session.commit()
    return matching, others


async def all_members(client: httpx.AsyncClient, programme_id: str) -> dict[str, str]:
    """Every member's group, read page by page."""
    groups: dict[str, str] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = await client.get(f"/v1/programmes/{programme_id}/members", params=params)
        assert page.status_code == 200, page.text
        groups.update({m["customer_id"]: m["group"] for m in page.json()["items"]})
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return groups


def simulate_purchases(
    groups: dict[str, str], launched_at: dt.datetime, rng: random.Random
) -> tuple[list[dict[str, Any]], dict[str, list[float]]]:
    """Who buys after launch, as planted; the orders and each group's spend per member."""
    orders: list[dict[str, Any]] = []
    spend: dict[str, list[float]] = {"treated": [], "control": []}
    for customer, group in sorted(groups.items()):
        treated = group == "treated"
        amount = 0.0
        if rng.random() < (TREATED_RATE if treated else CONTROL_RATE):
            amount = round(rng.uniform(30, 90) if treated else rng.uniform(20, 80), 2)
            # After launch and before now plus the accepted clock skew (15 min).
            at = launched_at + dt.timedelta(minutes=rng.uniform(0.5, 10))
            orders.append({**tx(customer, f"{amount:.2f}"), "occurred_at": at.isoformat()})
        spend[group].append(amount)
    return orders, spend


async def assert_outreach_only_for(
    broker: str, topic_prefix: str, treated: set[str], *, others: set[str]
) -> None:
    """One outreach request on the broker per treated customer, none for anyone else."""
    records = await read_topic(broker, topic_prefix + SCORING_PROGRAMMES, expect=len(treated))
    requests = [json.loads(r.value)["data"] for r in records]
    assert {r["customer_id"] for r in requests} == treated
    assert len({r["request_id"] for r in requests}) == len(requests) == len(treated)
    assert not {r["customer_id"] for r in requests} & others


def assert_measured_as_planted(effect: dict[str, Any], spend: dict[str, list[float]]) -> None:
    """The effect counts what the simulation did, and its intervals hold the planted uplifts."""
    bought = {g: sum(1 for s in spend[g] if s > 0) for g in spend}
    assert effect["treated"]["retained"] == bought["treated"]
    assert effect["control"]["retained"] == bought["control"]
    assert effect["treated"]["mean_spend"] == pytest.approx(sum(spend["treated"]) / 280)
    measured = bought["treated"] / 280 - bought["control"] / 280
    retention = effect["retention_uplift"]
    assert retention["estimate"] == pytest.approx(measured)
    assert retention["low"] < PLANTED_RETENTION_UPLIFT < retention["high"]
    assert retention["low"] > 0  # 280 a side detect 15 points
    spend_uplift = effect["spend_uplift"]
    assert spend_uplift["low"] < PLANTED_SPEND_UPLIFT < spend_uplift["high"]
    assert effect["complete"] is False
    assert float(effect["total_cost"]) == 4.0 * 280
    assert effect["cost_per_retained_customer"] == pytest.approx(4.0 * 280 / (measured * 280))


async def test_the_measured_uplift_contains_the_planted_one_and_control_is_untouched(
    settings_for: Callable[..., ScoringSettings], db: Database, broker: str, topic_prefix: str
) -> None:
    rng = random.Random(42)
    async with running(settings_for()) as client:
        matching, others = await plant_population(client, db, rng)
        created = await client.post("/v1/programmes", json=PROGRAMME)
        assert created.status_code == 201, created.text
        pid = created.json()["id"]
        early = await client.get(f"/v1/programmes/{pid}/effect")
        assert early.status_code == 409 and early.json()["code"] == "programme-not-launched"

        launched = await client.post(f"/v1/programmes/{pid}/launch")
        assert launched.status_code == 200, launched.text
        programme = launched.json()
        assert (programme["treated_count"], programme["control_count"]) == (280, 280)
        again = await client.post(f"/v1/programmes/{pid}/launch")
        assert again.status_code == 409 and again.json()["code"] == "programme-already-launched"

        groups = await all_members(client, pid)
        assert set(groups) == matching
        treated = {c for c, g in groups.items() if g == "treated"}
        control = set(groups) - treated

        launched_at = dt.datetime.fromisoformat(programme["launched_at"])
        orders, spend = simulate_purchases(groups, launched_at, rng)
        posted = await client.post("/v1/transactions", json={"transactions": orders})
        assert posted.status_code == 200, posted.text

        as_of = (launched_at + dt.timedelta(hours=12)).isoformat()
        answer = await client.get(f"/v1/programmes/{pid}/effect", params={"as_of": as_of})
        assert answer.status_code == 200, answer.text
        effect = answer.json()
        # The relay publishes the outbox in the background, while the service runs.
        await assert_outreach_only_for(broker, topic_prefix, treated, others=control | others)

    assert_measured_as_planted(effect, spend)

    # The second round of contact: due a week after the first, and the last of two.
    async with db.sessionmaker() as session:
        with pytest.raises(RoundNotDueError):
            await service.send_next_round(session, uuid.UUID(pid), now=launched_at)
        week = launched_at + dt.timedelta(days=7)
        second = await service.send_next_round(session, uuid.UUID(pid), now=week)
        assert (second.rounds_sent, second.contacts_requested) == (2, 560)
        with pytest.raises(RoundsCompleteError):
            await service.send_next_round(session, uuid.UUID(pid), now=week + dt.timedelta(days=7))


async def test_bad_requests_are_problems_not_errors(client: httpx.AsyncClient) -> None:
    nobody = str(uuid.uuid4())
    missing = await client.post(f"/v1/programmes/{nobody}/launch")
    assert missing.status_code == 404 and missing.json()["code"] == "programme-not-found"
    inverted = {**PROGRAMME, "target": {"min_churn_risk": 0.8, "max_churn_risk": 0.2}}
    assert (await client.post("/v1/programmes", json=inverted)).status_code == 422
    assert (await client.get("/v1/programmes", params={"cursor": "nonsense"})).status_code == 400

    # One customer matches: too few for a treated and a control group.
    assert (await client.post("/v1/transactions", json=tx(nobody, "9.99"))).status_code == 200
    created = await client.post("/v1/programmes", json={**PROGRAMME, "target": {}})
    assert created.status_code == 201, created.text
    small = await client.post(f"/v1/programmes/{created.json()['id']}/launch")
    assert small.status_code == 409 and small.json()["code"] == "target-too-small"
    listed = (await client.get("/v1/programmes")).json()
    assert [p["state"] for p in listed["items"]] == ["draft"]


async def test_an_erased_customer_leaves_the_programme(
    db: Database, handlers: dict[str, Handler]
) -> None:
    customers = [uuid.uuid4() for _ in range(4)]
    await helpers.deliver(db, handlers, *(helpers.order(c, "10.00", 20) for c in customers))
    async with db.sessionmaker() as session:
        data = ProgrammeCreate.model_validate({**PROGRAMME, "target": {}})
        programme = await service.create_programme(session, data, now=NOW)
        await service.launch_programme(session, programme.id, now=NOW)
        await session.commit()
    await helpers.deliver(db, handlers, CustomerDeletedV1(customer_id=customers[0], deleted_at=NOW))
    async with db.sessionmaker() as session:
        left = set(await session.scalars(select(ProgrammeMember.customer_id)))
    assert left == {str(c) for c in customers[1:]}
