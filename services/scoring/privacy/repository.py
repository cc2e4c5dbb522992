"""Queries of data protection: every row scoring keeps about some customers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import (
    ComplaintState,
    CustomerAlias,
    CustomerStats,
    ProgrammeMember,
    PurchaseDay,
    RecordedTransaction,
    ScoreHistory,
    StateChange,
)
from shared.export import rows_where


async def customer_rows(session: AsyncSession, ids: Sequence[str]) -> dict[str, list[Any]]:
    """The rows about these customers, per kind: counters, purchases, scores, states, aliases."""
    history = await rows_where(session, ScoreHistory.customer_id, ids)
    states = await rows_where(session, StateChange.customer_id, ids)
    return {
        "statistics": await rows_where(session, CustomerStats.customer_id, ids),
        "purchase_days": await rows_where(session, PurchaseDay.customer_id, ids),
        "transactions": await rows_where(session, RecordedTransaction.customer_id, ids),
        "complaint_states": await rows_where(session, ComplaintState.customer_id, ids),
        "score_history": sorted(history, key=lambda h: h.id),
        "state_changes": sorted(states, key=lambda c: c.id),
        "programme_memberships": await rows_where(session, ProgrammeMember.customer_id, ids),
        "customer_aliases": await rows_where(session, CustomerAlias.customer_id, ids),
    }
