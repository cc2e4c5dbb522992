"""What the simulated day starts from: queues, agents, customers with a purchase history, a model.

Everything goes through the gateway's public API with the admin key, as an operator or an
internal service would send it, and can run again on the same data (existing queues, agents
and customers are reused).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

QUEUES = ("support", "senior")
# Logins of the development issuer's agents; the demo drives all but the first, whom the
# person watching can play in the agent desktop.
AGENT_USERS = {"agent": "agent-1", "agent2": "agent-2", "agent3": "agent-3", "agent4": "agent-4"}


@dataclass
class World:
    """The customers the day's callers are, and the agents who take the calls."""

    customers: dict[str, str] = field(default_factory=dict)  # phone → customer id
    agents: dict[str, str] = field(default_factory=dict)  # login → agent id


class DemoError(RuntimeError):
    """The running system refused the demo's setup."""


def _ok(answer: httpx.Response, *accepted: int) -> Any:
    """The decoded body of an accepted answer; anything else stops the demo."""
    if answer.status_code not in accepted:
        raise DemoError(f"{answer.request.method} {answer.request.url.path}: {answer.text}")
    return answer.json() if answer.content else {}


async def build(client: httpx.AsyncClient, rng: random.Random, size: int) -> World:
    """Queues, agents and `size` customers with a year of orders; the model fitted on them."""
    world = World()
    existing = {q["name"] for q in _ok(await client.get("/v1/queues"), 200)}
    for name in QUEUES:
        if name not in existing:
            _ok(await client.post("/v1/queues", json={"name": name}), 201)
    agents = {a["login"]: a["id"] for a in _ok(await client.get("/v1/agents"), 200)}
    for login in AGENT_USERS.values():
        if login not in agents:
            body = {"login": login, "name": login, "capacity": {"voice": 1, "chat": 2}}
            agents[login] = _ok(await client.post("/v1/agents", json=body), 201)["id"]
    world.agents = agents
    orders: list[dict[str, Any]] = []
    for n in range(size):
        phone = f"+1415555{n:04d}"
        world.customers[phone] = await _customer(client, phone, f"Customer {n:04d}")
        orders += history(world.customers[phone], rng)
    for start in range(0, len(orders), 5000):
        _ok(
            await client.post("/v1/transactions", json={"transactions": orders[start:][:5000]}), 200
        )
    _ok(await client.post("/v1/model/refit"), 201, 409)
    return world


async def _customer(client: httpx.AsyncClient, phone: str, name: str) -> str:
    found = _ok(await client.get("/v1/customers/identify", params={"phone": phone}), 200)
    if found.get("match") == "one":
        return str(found["customer"]["customer_id"])
    created = _ok(await client.post("/v1/customers", json={"name": name, "phones": [phone]}), 201)
    return str(created["customer_id"])


def history(customer_id: str, rng: random.Random) -> list[dict[str, Any]]:
    """A year of orders at a customer's own rate: most buy rarely, a few often and big."""
    now = dt.datetime.now(dt.UTC)
    rate = rng.gammavariate(0.6, 1 / 25)  # purchases a day
    spend = rng.lognormvariate(3.5, 0.8)
    day = rng.uniform(20, 365)
    out = []
    while day > 1:
        out.append(order(customer_id, spend * rng.uniform(0.7, 1.3), now - dt.timedelta(days=day)))
        if rate <= 0:
            break
        day -= rng.expovariate(rate)
    return out


def order(customer_id: str, amount: float, at: dt.datetime) -> dict[str, Any]:
    return {
        "transaction_id": f"demo-{uuid.uuid4().hex}",
        "customer_id": customer_id,
        "amount": f"{amount:.2f}",
        "occurred_at": at.isoformat(),
    }
