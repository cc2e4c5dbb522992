"""Routing: decisions per second with 1,000 waiting contacts and 200 agents, and entry → offer.

Three figures, measured in one run on one core:
- the routing rules alone (`engine.assign`): a pass over 1,000 waiting contacts and 200 free
  agents with mixed skills makes 200 decisions; decisions per second over many passes;
- a whole routing pass with the database (SQLite file): read the line and the agents, decide,
  write the offers and their events; decisions per second;
- the time from a contact entering the line to its offer, with the router task running.
The baseline beside the first is the same pass that only sorts the line (no matching), so the
ratio shows what the matching itself costs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, select

from bench.report import figure
from services.contact.models import Agent, Offer, RoutingQueue, WorkItem
from services.contact.routing import lines
from services.contact.routing.connect import PhoneSystem
from services.contact.routing.engine import AgentSlot, Timing, Waiting, assign, line_order
from services.contact.routing.offers import routing_pass
from services.contact.routing.worker import Router
from services.contact.settings import ContactSettings
from shared.db import Database, OutboxMessage
from shared.migrations import upgrade
from tools.services import BY_NAME

WAITING = 1000
AGENTS = 200
SKILLS = ("billing", "tech", "sales", "vip")
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
TIMING = Timing(preferred_agent_seconds=30, expansion_seconds=60)


def _slots(rng: random.Random) -> list[AgentSlot]:
    return [
        AgentSlot(
            id=uuid.uuid4(),
            skills={s: rng.randint(1, 5) for s in rng.sample(SKILLS, 2)},
            capacity={"voice": 1, "chat": 3},
            load={},
            idle_since=NOW - dt.timedelta(seconds=rng.randint(0, 3600)),
            available=True,
            signed_in=True,
        )
        for _ in range(AGENTS)
    ]


def _line(rng: random.Random) -> list[Waiting]:
    return line_order(
        Waiting(
            id=uuid.uuid4(),
            channel=rng.choice(("voice", "chat")),
            required={rng.choice(SKILLS): rng.randint(1, 4)},
            entered_at=NOW - dt.timedelta(seconds=rng.randint(0, 600)),
            priority=float(rng.choice((0, 10, 20, 30, 45))),
        )
        for _ in range(WAITING)
    )


def engine_figures(passes: int = 300) -> dict[str, Any]:
    rng = random.Random(1)
    line = _line(rng)
    decided = 0
    began = time.perf_counter()
    for _ in range(passes):
        decided += len(assign(line, _slots(rng), now=NOW, timing=TIMING))
    matching = time.perf_counter() - began
    began = time.perf_counter()
    for _ in range(passes):
        _slots(rng)
        line_order(line)
    baseline = time.perf_counter() - began
    return {
        "waiting": WAITING,
        "agents": AGENTS,
        "decisions_per_pass": decided / passes,
        "decisions_per_second": round(decided / matching),
        "pass_ms": round(1000 * matching / passes, 2),
        "baseline_sort_only_pass_ms": round(1000 * baseline / passes, 2),
        "matching_cost_ratio": round(matching / baseline, 2),
    }


async def _seed(db: Database, rng: random.Random) -> None:
    async with db.sessionmaker() as session:
        await session.execute(delete(Offer))
        await session.execute(delete(WorkItem))
        await session.execute(delete(Agent))
        await session.execute(delete(OutboxMessage))
        queue = await session.scalar(select(RoutingQueue)) or RoutingQueue(
            id=uuid.uuid4(), name="support", required_skills={"billing": 1}
        )
        session.add(queue)
        for n in range(AGENTS):
            session.add(
                Agent(
                    id=uuid.uuid4(),
                    login=f"b{n}",
                    name=f"B{n}",
                    skills={"billing": rng.randint(1, 5)},
                    capacity={"voice": 1},
                    presence="available",
                    presence_since=NOW,
                    idle_since=NOW - dt.timedelta(seconds=n),
                )
            )
        await session.flush()
        for n in range(WAITING):
            session.add(
                WorkItem(
                    id=uuid.uuid4(),
                    queue_id=queue.id,
                    channel="voice",
                    entered_at=NOW - dt.timedelta(seconds=n),
                    state="waiting",
                    priority=float(n % 4 * 10),
                )
            )
        await session.commit()


async def database_figures(url: str, rounds: int = 5) -> dict[str, Any]:
    settings = ContactSettings(database_url=url)
    db = Database(url)
    rng = random.Random(2)
    timings: list[float] = []
    made = 0
    try:
        for _ in range(rounds):
            await _seed(db, rng)
            began = time.perf_counter()
            async with db.sessionmaker() as session:
                made += await routing_pass(session, settings, NOW)
                await session.commit()
            timings.append(time.perf_counter() - began)
    finally:
        await db.dispose()
    return {
        "decisions_per_second": round(made / sum(timings)),
        "pass_ms_median": round(1000 * statistics.median(timings), 1),
    }


async def entry_to_offer(url: str, contacts: int = 100) -> dict[str, Any]:
    settings = ContactSettings(database_url=url, routing_interval_seconds=0.25)
    db = Database(url)
    rng = random.Random(3)
    await _seed(db, rng)
    async with db.sessionmaker() as session:
        await session.execute(delete(WorkItem))
        await session.commit()
    latencies: list[float] = []
    async with httpx.AsyncClient() as http:
        router = Router(db, settings, PhoneSystem(settings, http))
        db.on_commit(router.wake)
        task = asyncio.create_task(router.run())
        try:
            for _ in range(contacts):
                async with db.sessionmaker() as session:
                    item = await lines.enter_line(
                        session,
                        settings,
                        queue_name="support",
                        channel="voice",
                        entered_at=dt.datetime.now(dt.UTC),
                        customer_id=None,
                    )
                    await session.commit()
                began = time.perf_counter()
                db.committed()
                latencies.append(await _until_offered(db, item.id) - began)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await db.dispose()
    latencies.sort()
    return {
        "contacts": contacts,
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99) - 1], 1),
    }


async def _until_offered(db: Database, item_id: uuid.UUID) -> float:
    while True:
        async with db.sessionmaker() as session:
            if await session.scalar(select(Offer.id).where(Offer.work_item_id == item_id)):
                return time.perf_counter()
        await asyncio.sleep(0.002)


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'contact.db'}"
        upgrade(BY_NAME["contact"].migrations_dir, url)
        engine = engine_figures()
        database = asyncio.run(database_figures(url))
        latency = asyncio.run(entry_to_offer(url))
    per_pass = engine["decisions_per_pass"]
    return {
        "engine": engine,
        "routing_pass_sqlite": database,
        "entry_to_offer_sqlite": latency,
        "target_decisions_per_second": 5000,
        "figures": [
            figure(
                "routing decisions, rules alone (1,000 waiting, 200 agents)",
                engine["decisions_per_second"],
                "decisions/s",
                "building the pass's inputs and sorting the line only",
                round(1000 * per_pass / engine["baseline_sort_only_pass_ms"]),
                higher=True,
            ),
            figure(
                "routing decisions, whole pass on SQLite (read, decide, write offers)",
                database["decisions_per_second"],
                "decisions/s",
                "the rules alone",
                engine["decisions_per_second"],
                higher=True,
            ),
            figure(
                "contact entering the line to its offer, p50",
                latency["p50_ms"],
                "ms",
                "the router's idle interval",
                250.0,
                higher=False,
            ),
        ],
    }
