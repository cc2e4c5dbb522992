"""Queries of the SLA timers: what is due, what is at risk, what is breached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.lifecycle.lifecycle import CLOSED
from services.complaints.models import Complaint
from services.complaints.sla.deadlines import MET_AT
from services.complaints.sla.policy import TARGETS


def due_query(now: dt.datetime, limit: int) -> Select[Complaint]:
    """Complaints with a warning or deadline at or before `now`, earliest first.

    Served by `ix_complaint_next_due_at`: the scan reads only the due rows, however many
    complaints are open. `SKIP LOCKED` lets several replicas share the work on PostgreSQL.
    """
    return (
        select(Complaint)
        .where(Complaint.next_due_at <= now)
        .order_by(Complaint.next_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def due_complaints(
    session: AsyncSession, *, now: dt.datetime, limit: int
) -> Sequence[Complaint]:
    """The next `limit` due complaints, locked for this transaction."""
    return (await session.scalars(due_query(now, limit))).all()


def breached() -> ColumnElement[bool]:
    """Complaints that missed any target."""
    return or_(*(getattr(Complaint, f"{t}_breached_at").is_not(None) for t in TARGETS))


def at_risk() -> ColumnElement[bool]:
    """Open complaints with a target warned, not yet met and not yet breached."""
    return and_(
        Complaint.state.not_in(CLOSED),
        or_(
            *(
                and_(
                    getattr(Complaint, f"{t}_warned").is_(True),
                    getattr(Complaint, f"{t}_breached_at").is_(None),
                    getattr(Complaint, MET_AT[t]).is_(None),
                )
                for t in TARGETS
            )
        ),
    )
