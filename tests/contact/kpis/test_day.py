"""A simulated day through the contact service: every KPI equals the test's own calculation."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from services.contact.kpis.service import roll_up
from services.contact.main import create_app
from services.contact.models import Customer
from tests.builders import contact_settings
from tests.conftest import serve
from tests.contact.conftest import WEBHOOK_SECRET
from tests.contact.kpis.expected import Expected, Totals, service_level
from tests.contact.kpis.simulation import Agent, Clock, Contact, Day
from tests.kafka_helpers import eventually

MONDAY = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
NINE = MONDAY + dt.timedelta(hours=9)
THRESHOLDS = {"support": 20, "priority": 10, "chat": 60}
TIERS = ["gold"] * 4 + ["silver"] * 4 + ["bronze"] * 4 + [""] * 4
CALLS_PER_INTERVAL = [4, 6, 7, 8, 7, 6, 5, 6, 7, 6, 5, 4]
CHATS_PER_INTERVAL = 1.5
REASONS = ["billing", "delivery", "returns"]


@pytest.fixture
async def contact(
    make_database: Callable[[str], str],
    broker: str,
    topic_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[httpx.AsyncClient, Clock]]:
    clock = Clock(NINE)
    for module in ("routing.routes", "agents.routes", "kpis.routes", "staffing.routes"):
        monkeypatch.setattr(f"services.contact.{module}.utcnow", clock)
    settings = contact_settings(
        make_database("contact"),
        broker,
        topic_prefix,
        webhook_secrets=[WEBHOOK_SECRET],
        routing_wrap_up_seconds=30.0,
        routing_offer_timeout_seconds=600.0,
        routing_preferred_agent_seconds=0.0,
        # The simulation runs each routing pass and roll-up itself, at simulated times.
        routing_interval_seconds=3600.0,
        kpi_rollup_interval_seconds=3600.0,
        kafka_session_timeout_ms=2000,
    ).model_copy(update={"relay_poll_interval_seconds": 3600.0})
    app = create_app(settings)
    async for client in serve(app):
        client.app = app  # type: ignore[attr-defined]
        # No wake-ups: the router's passes are the simulation's, and no event needs relaying.
        app.state.db.commit_hooks.clear()
        await eventually(lambda: app.state.router.passes >= 1, what="the router's first pass")
        # The roll-up job's run at start, on the real clock, must find the database empty:
        # one that waited for the lock until the simulated day had begun would store its
        # first intervals half-filled.
        await eventually(lambda: app.state.kpi_rollup.runs >= 1, what="the roll-up at start")
        yield client, clock


async def _setup(day: Day, client: httpx.AsyncClient) -> dict[str, str]:
    """Queues, agents and tiered customers; their ids by name."""
    ids: dict[str, str] = {}
    skills = {"support": "phone", "priority": "phone", "chat": "chat"}
    for name, seconds in THRESHOLDS.items():
        body = {
            "name": name,
            "service_level_seconds": seconds,
            "required_skills": {skills[name]: 1},
        }
        ids[name] = (await client.post("/v1/queues", json=body)).json()["id"]
    for login, channel, skill in [
        ("v1", "voice", "phone"),
        ("v2", "voice", "phone"),
        ("v3", "voice", "phone"),
        ("c1", "chat", "chat"),
        ("c2", "chat", "chat"),
    ]:
        body = {"login": login, "name": login, "skills": {skill: 2}, "capacity": {channel: 1}}
        agent = (await client.post("/v1/agents", json=body)).json()
        ids[login] = agent["id"]
        day.agents[login] = Agent(login, agent["id"])
    return ids


async def _customers(client: httpx.AsyncClient) -> list[tuple[str, str, str]]:
    """(id, phone, tier) of 16 customers, four per tier and four without one."""
    out = []
    for i, tier in enumerate(TIERS):
        phone = f"+1415555{100 + i:04d}"
        answer = await client.post("/v1/customers", json={"name": f"C{i}", "phones": [phone]})
        assert answer.status_code == 201, answer.text
        found = answer.json()
        out.append((found["customer_id"], phone, tier))
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        for customer, _, tier in out:
            await session.execute(
                update(Customer).where(Customer.id == uuid.UUID(customer)).values(tier=tier or None)
            )
        await session.commit()
    return out


def _plan(day: Day, customers: list[tuple[str, str, str]], rng: random.Random) -> None:
    """Poisson arrivals per 15-minute interval, exponential handle times and patience."""
    for i, calls in enumerate(CALLS_PER_INTERVAL):
        start = NINE + dt.timedelta(minutes=15 * i)
        for channel, rate in (("voice", calls), ("chat", CHATS_PER_INTERVAL)):
            t = rng.expovariate(rate / 900)
            while t < 900:
                customer, phone, tier = rng.choice(customers)
                queue = "chat" if channel == "chat" else "priority" if tier == "gold" else "support"
                day.plan(
                    Contact(
                        channel=channel,
                        queue=queue,
                        customer=customer,
                        tier=tier,
                        reason=rng.choice(REASONS),
                        phone=phone,
                        entered=start + dt.timedelta(seconds=round(t, 3)),
                        handle=round(
                            10 + rng.expovariate(1 / (200 if channel == "voice" else 300)), 3
                        ),
                        patience=round(rng.expovariate(1 / 90), 3) if channel == "voice" else None,
                        transfer=channel == "voice" and rng.random() < 0.1,
                    )
                )
                t += rng.expovariate(rate / 900)
    for n, login in enumerate(day.agents):
        agent = day.agents[login]
        day.at(NINE - dt.timedelta(minutes=5), "sign_in", agent)
        day.at(NINE + dt.timedelta(minutes=60 + 15 * n), "pause", agent)
        day.at(NINE + dt.timedelta(hours=3, minutes=30), "sign_out", agent)


async def _report(
    client: httpx.AsyncClient, since: dt.datetime, until: dt.datetime, group_by: tuple[str, ...]
) -> tuple[dict[str, Any], dict[tuple[str, ...], dict[str, Any]]]:
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("from", since.isoformat()),
        ("to", until.isoformat()),
    ]
    params += [("group_by", g) for g in group_by]
    answer = await client.get("/v1/kpis", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    groups = {tuple(g["key"][d] or "" for d in group_by): g for g in body["groups"]}
    return body, groups


def _ratio(x: float, y: float) -> float | None:
    return x / y if y else None


def _same(got: float | None, want: float | None) -> bool:
    return (got is None and want is None) or (
        got is not None and want is not None and math.isclose(got, want, abs_tol=1e-6)
    )


def _compare(
    got: dict[tuple[str, ...], dict[str, Any]],
    want: dict[tuple[str, ...], Totals],
    *,
    hours: float,
    fcr: dict[tuple[str, ...], float] | None,
) -> None:
    want = {k: v for k, v in want.items() if any(v.values())}
    assert set(got) == set(want)
    for key, totals in want.items():
        counters, figures = got[key]["counters"], got[key]["figures"]
        for name, value in counters.items():
            assert _same(value, totals.get(name, 0.0)), (key, name, value, totals.get(name))
        t = dict(totals)
        for name in ("answered", "handled", "abandoned", "abandoned_short"):
            t.setdefault(name, 0.0)
        busy = t.get("on_contact_seconds", 0.0) + t.get("wrap_up_seconds", 0.0)
        expected = {
            "asa_seconds": _ratio(t.get("answer_wait_seconds", 0.0), t["answered"]),
            "aht_seconds": _ratio(
                t.get("talk_seconds", 0.0) + t.get("after_call_work_seconds", 0.0), t["handled"]
            ),
            "abandonment_rate": _ratio(t["abandoned"], t["answered"] + t["abandoned"]),
            "contacts_per_hour": t["handled"] / hours,
            "transfer_rate": _ratio(t.get("transferred", 0.0), t["handled"]),
        }
        if "staffed_seconds" in t:
            expected["occupancy"] = _ratio(busy, t.get("available_seconds", 0.0) + busy)
        if fcr is not None:
            expected["first_contact_resolution"] = fcr.get(key)
        for name, value in expected.items():
            assert _same(figures[name], value), (key, name, figures[name], value)
        for variant, value in service_level(totals).items():
            assert _same(figures["service_level"][variant], value), (key, variant)


async def _check_window(
    client: httpx.AsyncClient,
    day: Day,
    ids: dict[str, str],
    since: dt.datetime,
    until: dt.datetime,
    *,
    groupings: list[tuple[str, ...]],
    with_fcr: bool = True,
) -> dict[str, Any]:
    thresholds = {name: THRESHOLDS[name] for name in THRESHOLDS}
    body: dict[str, Any] = {}
    for group_by in groupings:
        body, got = await _report(client, since, until, group_by)
        expected = Expected(day, ids, thresholds, group_by)
        want = expected.window(since, until)
        fcr = expected.resolution(since, until) if with_fcr else None
        _compare(got, want, hours=(until - since).total_seconds() / 3600, fcr=fcr)
    return body


class _MidDay:
    """Checks made while the day runs: a queue's live state, then a roll-up and a report."""

    def __init__(self, client: httpx.AsyncClient, day: Day, ids: dict[str, str]) -> None:
        self.client, self.day, self.ids = client, day, ids
        self.live_checked = self.rolled_up = False

    async def step(self, now: dt.datetime) -> None:
        waiting = [
            c
            for c in self.day.contacts
            if c.queue == "support" and c.entered <= now and c.answered is None and c.ended is None
        ]
        if not self.live_checked and now >= NINE + dt.timedelta(hours=1) and len(waiting) >= 2:
            self.live_checked = True
            live = (await self.client.get(f"/v1/queues/{self.ids['support']}/live")).json()
            presence: dict[str, int] = {}
            for agent in self.day.agents.values():
                if agent.login.startswith("v"):
                    presence[agent.state] = presence.get(agent.state, 0) + 1
            assert (live["waiting"], live["offered"]) == (len(waiting), 0)
            oldest = min(c.entered for c in waiting)
            assert live["longest_wait_seconds"] == pytest.approx((now - oldest).total_seconds())
            assert live["agents_by_presence"] == presence
            offered = sum(c.queue == "support" and c.entered < now for c in self.day.contacts)
            assert live["today"]["groups"][0]["counters"]["offered"] == offered
        if not self.rolled_up and now >= NINE + dt.timedelta(hours=2, minutes=7):
            self.rolled_up = True
            app = self.client.app  # type: ignore[attr-defined]
            async with app.state.db.sessionmaker() as session:
                mark = await roll_up(session, app.state.settings, now)
                await session.commit()
            assert mark == NINE + dt.timedelta(hours=2)
            body = await _check_window(
                self.client,
                self.day,
                self.ids,
                NINE - dt.timedelta(minutes=15),
                now,
                groupings=[(), ("agent",)],
                with_fcr=False,
            )
            assert dt.datetime.fromisoformat(body["stored_until"]) == mark


def _wait_probability(agents: int, erlangs: float) -> float:
    """Erlang C's probability of waiting, from the closed formula term by term."""
    top = erlangs**agents / math.factorial(agents) * agents / (agents - erlangs)
    return top / (sum(erlangs**k / math.factorial(k) for k in range(agents)) + top)


async def _check_staffing(client: httpx.AsyncClient, day: Day, ids: dict[str, str]) -> None:
    """Staffing from the measured Monday load equals Erlang C on the test's own measurements."""
    since, until = NINE, NINE + dt.timedelta(hours=3)
    mine = [c for c in day.contacts if c.queue == "support"]
    offered = sum(since <= c.entered < until for c in mine)
    handled = [c for c in mine if not c.abandoned and c.ended and since <= c.ended < until]
    talk = sum((c.ended - c.answered).total_seconds() for c in handled if c.ended and c.answered)
    wraps = sum(
        (end - start).total_seconds()
        for agent in day.agents.values()
        for c, start, end in agent.wraps
        if c.queue == "support" and since <= end < until
    )
    aht = (talk + wraps) / len(handled)
    answer = await client.get(
        f"/v1/queues/{ids['support']}/staffing",
        params={"weekday": "mon", "from": "09:00", "to": "12:00", "weeks": 2},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Two Mondays measured, the earlier one empty: half the day's rate.
    assert body["measured"]["dates"] == ["2026-10-26", "2026-11-02"]
    assert body["measured"]["offered"] == offered
    assert body["measured"]["arrival_rate_per_hour"] == pytest.approx(offered / 6)
    assert body["inputs"]["aht_seconds"] == pytest.approx(aht)
    assert body["erlangs"] == pytest.approx(offered / 6 * aht / 3600)
    erlangs = offered / 6 * aht / 3600
    agents = math.floor(erlangs) + 1
    while 1 - _wait_probability(agents, erlangs) * math.exp(-(agents - erlangs) * 20 / aht) < 0.8:
        agents += 1
    assert body["required"]["agents"] == agents
    calculator = await client.post(
        "/v1/staffing/erlang",
        json={
            "arrival_rate_per_hour": 200,
            "aht_seconds": 180,
            "target_percent": 80,
            "target_seconds": 20,
        },
    )
    assert calculator.json()["required"]["agents"] == 14
    assert calculator.json()["one_fewer"]["service_level"] == pytest.approx(0.796, abs=0.001)


async def test_every_kpi_of_a_simulated_day_matches_the_raw_event_log(
    contact: tuple[httpx.AsyncClient, Clock],
) -> None:
    client, clock = contact
    day = Day(client, client.app, clock)  # type: ignore[attr-defined]
    ids = await _setup(day, client)
    _plan(day, await _customers(client), random.Random(20261102))
    midday = _MidDay(client, day, ids)
    day.on_step = midday.step

    await day.run()

    assert midday.live_checked and midday.rolled_up
    assert 60 <= len(day.contacts) <= 120
    assert any(c.abandoned for c in day.contacts) and any(c.transfer for c in day.contacts)
    since, end = NINE - dt.timedelta(minutes=15), MONDAY + dt.timedelta(hours=14)
    clock.now = end
    everything = [(), ("queue",), ("tier",), ("agent",), ("channel",), ("queue", "agent")]
    await _check_window(client, day, ids, since, end, groupings=everything)
    ragged = (NINE + dt.timedelta(minutes=65), NINE + dt.timedelta(minutes=190))
    await _check_window(client, day, ids, *ragged, groupings=[(), ("agent",)])
    # The service's own roll-up job, on the real clock: it catches up a day per transaction.
    await client.app.state.kpi_rollup.roll_up_once()  # type: ignore[attr-defined]
    body = await _check_window(client, day, ids, since, end, groupings=[(), ("tier",)])
    assert dt.datetime.fromisoformat(body["stored_until"]) == end
    clock.now = MONDAY + dt.timedelta(days=1, hours=8)
    await _check_staffing(client, day, ids)
    await _check_refusals(client, ids)


async def _check_refusals(client: httpx.AsyncClient, ids: dict[str, str]) -> None:
    backwards = await client.get(
        "/v1/kpis", params={"from": NINE.isoformat(), "to": MONDAY.isoformat()}
    )
    naive = await client.get("/v1/kpis", params={"from": "2026-11-02T09:00", "to": "2026-11-03"})
    nothing = await client.get(
        f"/v1/queues/{ids['chat']}/staffing",
        params={"weekday": "tue", "from": "09:00", "to": "10:00"},
    )
    assert [r.status_code for r in (backwards, naive, nothing)] == [422, 422, 422]
    assert backwards.json()["code"] == naive.json()["code"] == "invalid-kpi-window"
    assert nothing.json()["code"] == "no-measurements"
