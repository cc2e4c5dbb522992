"""Queries of programmes, their members, and the purchases members made in a window."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats, Programme, ProgrammeMember, RecordedTransaction
from shared.pagination import newest_first


async def find_programme(session: AsyncSession, programme_id: uuid.UUID) -> Programme | None:
    """The programme, if it exists."""
    return await session.get(Programme, programme_id)


async def lock_programme(session: AsyncSession, programme_id: uuid.UUID) -> Programme | None:
    """The programme, locked until the transaction ends (PostgreSQL), so two launches queue."""
    result = await session.scalars(
        select(Programme)
        .where(Programme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.one_or_none()


async def programmes(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Sequence[Programme]:
    """Programmes newest first, one past `limit`, after `cursor`."""
    query = newest_first(
        select(Programme), Programme.created_at, Programme.id, cursor=cursor, limit=limit
    )
    return (await session.scalars(query)).all()


async def candidates(session: AsyncSession) -> Sequence[Any]:
    """Every customer's last published scores and net spend, for a target to choose from."""
    result = await session.execute(
        select(
            CustomerStats.customer_id,
            CustomerStats.tier,
            CustomerStats.churn_risk,
            CustomerStats.lifecycle_stage,
            (CustomerStats.gross_spend - CustomerStats.refunded).label("net_spend"),
        )
    )
    return result.all()


async def add_members(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert member rows in bulk."""
    if rows:
        await session.execute(insert(ProgrammeMember), rows)


async def members(
    session: AsyncSession,
    programme_id: uuid.UUID,
    *,
    group: str | None,
    cursor: str | None,
    limit: int,
) -> Sequence[ProgrammeMember]:
    """A programme's members (of one group, if given), one past `limit`, after `cursor`."""
    query = select(ProgrammeMember).where(ProgrammeMember.programme_id == programme_id)
    if group is not None:
        query = query.where(ProgrammeMember.group == group)
    query = newest_first(
        query, ProgrammeMember.drawn_at, ProgrammeMember.id, cursor=cursor, limit=limit
    )
    return (await session.scalars(query)).all()


async def treated_ids(session: AsyncSession, programme_id: uuid.UUID) -> Sequence[str]:
    """The customer ids of a programme's treated group."""
    result = await session.scalars(
        select(ProgrammeMember.customer_id)
        .where(ProgrammeMember.programme_id == programme_id, ProgrammeMember.group == "treated")
        .order_by(ProgrammeMember.customer_id)
    )
    return result.all()


async def window_outcomes(
    session: AsyncSession, programme_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
) -> Sequence[tuple[str, str, int, Decimal]]:
    """Per member: group, orders in [start, end) and net spend (orders - refunds) in it.

    Members without a transaction in the window come back with 0 and 0.
    """
    in_window = (
        select(
            RecordedTransaction.customer_id,
            func.sum(case((RecordedTransaction.kind == "order", 1), else_=0)).label("orders"),
            func.sum(
                case(
                    (RecordedTransaction.kind == "refund", -RecordedTransaction.amount),
                    else_=RecordedTransaction.amount,
                )
            ).label("spend"),
        )
        .join(
            ProgrammeMember,
            (ProgrammeMember.customer_id == RecordedTransaction.customer_id)
            & (ProgrammeMember.programme_id == programme_id),
        )
        .where(RecordedTransaction.occurred_at >= start, RecordedTransaction.occurred_at < end)
        .group_by(RecordedTransaction.customer_id)
        .subquery()
    )
    result = await session.execute(
        select(
            ProgrammeMember.customer_id,
            ProgrammeMember.group,
            func.coalesce(in_window.c.orders, 0),
            func.coalesce(in_window.c.spend, 0),
        )
        .outerjoin(in_window, in_window.c.customer_id == ProgrammeMember.customer_id)
        .where(ProgrammeMember.programme_id == programme_id)
    )
    return [(r[0], r[1], int(r[2]), Decimal(str(r[3]))) for r in result.all()]
