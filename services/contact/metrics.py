"""Contact's own series: callers waiting per queue and the longest wait, from its calls."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client.core import Metric
from sqlalchemy import func, select

from services.contact.models import Agent, RoutingQueue, WorkItem
from shared.metrics import age_seconds, gauge


async def queue_metrics(app: FastAPI) -> list[Metric]:
    """Contacts waiting per queue and the longest wait (every channel), agents by presence."""
    async with app.state.db.read_sessionmaker() as session:
        waiting_rows = (
            await session.execute(
                select(RoutingQueue.name, func.count(), func.min(WorkItem.entered_at))
                .join(RoutingQueue, RoutingQueue.id == WorkItem.queue_id)
                .where(WorkItem.state.in_(("waiting", "offered")))
                .group_by(RoutingQueue.name)
            )
        ).all()
        presence_rows = (
            await session.execute(select(Agent.presence, func.count()).group_by(Agent.presence))
        ).all()
    waiting = gauge("rapport_contact_waiting_calls", "Contacts waiting in a queue.", ["queue"])
    longest = gauge(
        "rapport_contact_longest_wait_seconds", "Longest current wait in a queue.", ["queue"]
    )
    for queue, count, oldest in waiting_rows:
        waiting.add_metric([queue], float(count))
        longest.add_metric([queue], age_seconds(oldest))
    agents = gauge("rapport_contact_agents", "Agents per presence state.", ["state"])
    for state, count in presence_rows:
        agents.add_metric([state], float(count))
    return [waiting, longest, agents]
