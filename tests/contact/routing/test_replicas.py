"""Two contact replicas on one database never offer a contact twice, nor one agent two contacts."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.contact.models import Agent, Offer, RoutingQueue, WorkItem
from services.contact.routing.connect import PhoneSystem
from services.contact.routing.worker import Router
from shared.db import Database
from tests.builders import contact_settings

NOW = dt.datetime.now(dt.UTC)


async def _seed(db: Database, *, agents: int, items: int) -> None:
    async with db.sessionmaker() as session:
        queue = RoutingQueue(id=uuid.uuid4(), name="support")
        session.add(queue)
        for n in range(agents):
            session.add(
                Agent(
                    id=uuid.uuid4(),
                    login=f"a{n}",
                    name=f"A{n}",
                    capacity={"chat": 3},
                    presence="available",
                    presence_since=NOW,
                    idle_since=NOW - dt.timedelta(seconds=n),
                )
            )
        await session.flush()
        for n in range(items):
            session.add(
                WorkItem(
                    id=uuid.uuid4(),
                    queue_id=queue.id,
                    channel="chat",
                    entered_at=NOW - dt.timedelta(seconds=n),
                    state="waiting",
                    priority=float(n % 3),
                )
            )
        await session.commit()


@pytest.fixture(params=["postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Several replicas share a database only on PostgreSQL (SQLite is one process's file)."""
    return str(request.param)


async def test_two_routers_on_one_database_offer_each_contact_once(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> None:
    url = make_database("contact")
    settings = contact_settings(url, broker, topic_prefix, routing_offer_timeout_seconds=60)
    replicas = [Database(url), Database(url)]
    await _seed(replicas[0], agents=30, items=50)
    async with httpx.AsyncClient() as http:
        routers = [Router(db, settings, PhoneSystem(settings, http)) for db in replicas]
        tasks = [asyncio.create_task(r.run()) for r in routers]
        for _ in range(20):
            for router in routers:
                router.wake()
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    async with replicas[0].sessionmaker() as session:
        per_item = (
            await session.execute(
                select(Offer.work_item_id, func.count()).group_by(Offer.work_item_id)
            )
        ).all()
        per_agent = (
            await session.execute(select(Offer.agent_id, func.count()).group_by(Offer.agent_id))
        ).all()
    for db in replicas:
        await db.dispose()

    assert len(per_item) == 30  # every free agent got one
    assert all(count == 1 for _, count in per_item)
    assert all(count == 1 for _, count in per_agent)
    assert sorted(r.passes > 0 for r in routers) == [False, True]  # one led, one waited


async def test_the_database_itself_refuses_a_second_pending_offer(
    make_database: Callable[[str], str],
) -> None:
    db = Database(make_database("contact"))
    await _seed(db, agents=2, items=1)
    async with db.sessionmaker() as session:
        item = (await session.scalars(select(WorkItem))).one()
        first, second = (await session.scalars(select(Agent).order_by(Agent.login))).all()
        session.add(Offer(work_item_id=item.id, agent_id=first.id, offered_at=NOW, expires_at=NOW))
        await session.flush()
        session.add(Offer(work_item_id=item.id, agent_id=second.id, offered_at=NOW, expires_at=NOW))
        with pytest.raises(IntegrityError):
            await session.flush()
    await db.dispose()
