"""Contact's own series: callers waiting per queue and the longest wait, from its calls."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client.core import Metric
from sqlalchemy import func, select

from services.contact.models import Call
from shared.metrics import age_seconds, gauge


async def queue_metrics(app: FastAPI) -> list[Metric]:
    """Calls in state `queued` per queue and how long the longest of them has waited."""
    async with app.state.db.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Call.queue, func.count(), func.min(Call.queued_at))
                .where(Call.state == "queued")
                .group_by(Call.queue)
            )
        ).all()
    waiting = gauge("rapport_contact_waiting_calls", "Callers waiting in a queue.", ["queue"])
    longest = gauge(
        "rapport_contact_longest_wait_seconds", "Longest current wait in a queue.", ["queue"]
    )
    for queue, count, oldest in rows:
        name = queue or "(none)"
        waiting.add_metric([name], float(count))
        longest.add_metric([name], age_seconds(oldest))
    return [waiting, longest, *agents_by_presence(app)]


def agents_by_presence(app: FastAPI) -> list[Metric]:
    """Agents per presence state and queue: none yet, as contact does not track presence.

    When agent presence is recorded, return here a gauge `rapport_contact_agents` labelled
    `queue` and `state` (available, busy, wrap_up, away); `queue_metrics` already includes it.
    """
    return []
