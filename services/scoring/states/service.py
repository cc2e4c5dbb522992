"""Following customers' states as events arrive, and reading a customer's state history."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.errors import CustomerNotScoredError
from services.scoring.models import CustomerStats, StateChange
from services.scoring.scores.causes import Signals, churn_causes
from services.scoring.states import repository
from services.scoring.states.rule import Facts, Move, moves
from shared.contracts.scoring import CustomerState, CustomerStateChangedV1

_CHANGES = cast(Table, StateChange.__table__)


def facts_of(stats: CustomerStats) -> Facts:
    """What the state rule reads of a statistics row."""
    return Facts(
        first_contact_at=stats.first_contact_at,
        first_purchase_at=stats.first_purchase_at,
        last_purchase_at=stats.last_purchase_at,
    )


def signals_of(stats: CustomerStats) -> Signals:
    """The company-side signals of a statistics row that may explain a loss."""
    return Signals(
        complaints_by_root_cause=stats.complaints_by_root_cause or {},
        sla_breaches=stats.sla_breaches,
        calls_abandoned=stats.calls_abandoned,
        last_csat=stats.last_csat,
        last_nps=stats.last_nps,
    )


async def follow_states(
    session: AsyncSession,
    rows: Sequence[CustomerStats],
    *,
    now: dt.datetime,
    horizon_weeks: float,
) -> list[CustomerStateChangedV1]:
    """Move each customer to the state their statistics put them in; the events to publish.

    Each move is kept on the statistics row and in the state history (same transaction, one
    insert for all moves).
    """
    events: list[CustomerStateChangedV1] = []
    history: list[dict[str, Any]] = []
    for stats in rows:
        current = cast(CustomerState | None, stats.state)
        for move in moves(current, facts_of(stats), now=now, horizon_weeks=horizon_weeks):
            event, change = _apply(stats, move, now=now)
            events.append(event)
            history.append(change)
    if history:
        await session.execute(insert(_CHANGES), history)
    return events


def _apply(
    stats: CustomerStats, move: Move, *, now: dt.datetime
) -> tuple[CustomerStateChangedV1, dict[str, Any]]:
    causes = churn_causes(signals_of(stats)) if move.transition == "churned" else []
    stats.state, stats.state_since = move.state, move.occurred_at
    change = {
        "customer_id": stats.customer_id,
        "previous_state": move.previous_state,
        "state": move.state,
        "transition": move.transition,
        "occurred_at": move.occurred_at,
        "recorded_at": now,
        "tier": stats.tier,
        "causes": causes or None,
    }
    event = CustomerStateChangedV1(
        customer_id=uuid.UUID(stats.customer_id),
        previous_state=move.previous_state,
        state=move.state,
        transition=move.transition,
        occurred_at=move.occurred_at,
        causes=causes,
    )
    return event, change


async def get_state(
    session: AsyncSession, customer_id: uuid.UUID, *, limit: int
) -> tuple[CustomerStats, Sequence[StateChange]]:
    """A customer's state and its history, newest first; raises `CustomerNotScoredError`."""
    stats = await repository.find_stats(session, str(customer_id))
    if stats is None:
        raise CustomerNotScoredError(customer_id)
    return stats, await repository.history(session, str(customer_id), limit=limit)
