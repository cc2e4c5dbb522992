"""States derived from events, and the textbook population views over a few customers."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from shared.contracts.complaints import ComplaintSlaBreachedV1
from shared.contracts.contact import CallAbandonedV1, CallEndedV1, CallEventRecordedV2
from shared.db import Database
from shared.events import Event
from shared.inbox import Handler
from tests.scoring.conftest import NOW, tx
from tests.scoring.helpers import deliver, staged


def _calls(customer: uuid.UUID) -> list[Event]:
    """A call (10 minutes handled), a call given up on in the queue, a complaint SLA missed."""
    ids = {"customer_id": customer, "provider": "twilio"}
    return [
        CallEventRecordedV2(
            **ids,
            call_event_id=uuid.uuid4(),
            provider_call_id="CA1",
            sequence_number=0,
            status="ringing",
            occurred_at=NOW - dt.timedelta(days=400),
            first_event_of_call=True,
        ),
        CallEndedV1(
            **ids,
            call_id=uuid.uuid4(),
            provider_call_id="CA1",
            outcome="answered",
            duration_seconds=600,
            ended_at=NOW - dt.timedelta(days=400),
        ),
        CallAbandonedV1(**ids, call_id=uuid.uuid4(), provider_call_id="CA2", abandoned_at=NOW),
        ComplaintSlaBreachedV1(
            complaint_id=uuid.uuid4(),
            customer_id=customer,
            target="acknowledgement",
            due_at=NOW - dt.timedelta(days=401),
            breached_at=NOW - dt.timedelta(days=400),
        ),
    ]


async def test_prospect_current_lost_won_back_published_and_counted(
    client: httpx.AsyncClient, db: Database, handlers: dict[str, Handler]
) -> None:
    x, y, z = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await deliver(db, handlers, *_calls(x))
    state = (await client.get(f"/v1/customers/{x}/state")).json()
    assert (state["state"], [h["transition"] for h in state["history"]]) == (
        "prospect",
        ["first_contact"],
    )

    # Bought 330 days ago: current then, lost 273 days (39 weeks) later; buying today wins back.
    await client.post("/v1/transactions", json=tx(x, "30.00", days_ago=330))
    today = tx(x, "50.00", days_ago=0) | {"discount": "5.00"}
    await client.post("/v1/transactions", json=today)
    state = (await client.get(f"/v1/customers/{x}/state")).json()
    assert state["state"] == "current"
    history = state["history"]
    assert [h["transition"] for h in history] == [
        "won_back",
        "churned",
        "first_purchase",
        "first_contact",
    ]
    churned = dt.datetime.fromisoformat(history[1]["occurred_at"])
    assert abs(churned - (NOW - dt.timedelta(days=57))) < dt.timedelta(seconds=1)
    assert history[1]["causes"] == ["sla-breach", "unanswered-calls"]
    published = [e["data"] for e in await staged(db, "scoring.customer_state_changed")]
    assert [(e["previous_state"], e["state"]) for e in published] == [
        (None, "prospect"),
        ("prospect", "current"),
        ("current", "lost"),
        ("lost", "current"),
    ]
    assert (await client.get(f"/v1/customers/{uuid.uuid4()}/state")).status_code == 404

    await _abc_and_counted_churn(client, x, y, z)
    await _loyalty(client, x)


async def _abc_and_counted_churn(
    client: httpx.AsyncClient, x: uuid.UUID, y: uuid.UUID, z: uuid.UUID
) -> None:
    await client.post("/v1/transactions", json=tx(y, "100.00", days_ago=1))
    await client.post("/v1/transactions", json=tx(z, "10.00", days_ago=1))
    # Profit: y 100, x 80 - 10 minutes at 1.00 = 70, z 10; 180 in all.
    abc = (await client.get("/v1/scores/abc")).json()
    assert (abc["customers"], abc["revenue"], abc["cost_to_serve"], abc["profit"]) == (
        3,
        190.0,
        10.0,
        180.0,
    )
    # y opens A; 100/180 before x (56 %) keeps x in A; 170/180 (94 %) before z: B.
    assert {k: v["customers"] for k, v in abc["classes"].items()} == {"A": 2, "B": 1, "C": 0}
    assert abc["pareto"]["top_profit_share"] == pytest.approx(100 / 180, abs=1e-6)
    assert abc["pareto"]["bottom_profit_share"] == pytest.approx(10 / 180, abs=1e-6)

    churn = (await client.get("/v1/scores/churn", params={"months": 3})).json()
    assert churn["counted"]["total"]["lost"] == 1
    assert churn["counted"]["by_cause"] == {"sla-breach": 1, "unanswered-calls": 1}
    assert churn["counted"]["by_side"] == {"company": 2}
    assert churn["counted"]["by_category"] == {"broken_promise": 1, "neglect": 1}
    assert churn["model_based"] is None


async def _loyalty(client: httpx.AsyncClient, x: uuid.UUID) -> None:
    wallet = await client.put(f"/v1/customers/{x}/wallet", json={"annual_wallet": "320.00"})
    assert wallet.status_code == 200, wallet.text
    # 80 spent in the last year of a 320 wallet; 80 paid of 85 listed.
    assert wallet.json() | {"price_tolerance": 0} == {
        "repeat_purchase_days": 1,
        "repeat_buyer": True,
        "spend_last_year": 80.0,
        "declared_wallet": 320.0,
        "share_of_wallet": 0.25,
        "price_tolerance": 0,
        "last_nps": None,
        "nps_class": None,
    }
    assert wallet.json()["price_tolerance"] == pytest.approx(1 - 5 / 85, abs=1e-6)
    negative = await client.put(f"/v1/customers/{x}/wallet", json={"annual_wallet": "-1"})
    assert negative.status_code == 422
    unknown = await client.put(f"/v1/customers/{uuid.uuid4()}/wallet", json={"annual_wallet": "1"})
    assert unknown.json()["code"] == "customer-not-scored"
    loyalty = (await client.get("/v1/scores/loyalty")).json()
    assert loyalty["everyone"]["buyers"] == 3
    assert loyalty["everyone"]["repeat_purchase_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert loyalty["by_tier"]["unscored"]["with_wallet"] == 1
    reason = (await client.get(f"/v1/customers/{x}/score")).json()["churn"]["reasons"][0]
    assert {"side", "category"} <= set(reason)
