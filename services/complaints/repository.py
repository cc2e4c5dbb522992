"""Queries of the complaints service's database."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.complaints.lifecycle import CLOSED
from services.complaints.models import (
    Complaint,
    ComplaintAudit,
    CustomerAlias,
    CustomerProfile,
    SatisfactionSurvey,
)
from services.complaints.sla import TARGETS


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


async def open_complaints_of(session: AsyncSession, customer_id: uuid.UUID) -> Sequence[Complaint]:
    """A customer's complaints that are not closed or withdrawn."""
    result = await session.scalars(
        select(Complaint)
        .where(Complaint.customer_id == customer_id, Complaint.state.not_in(CLOSED))
        .order_by(Complaint.received_at)
    )
    return result.all()


async def page_of_complaints(
    session: AsyncSession,
    *,
    limit: int,
    after: tuple[dt.datetime, uuid.UUID] | None,
    customer_id: uuid.UUID | None = None,
    state: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    sla: str | None = None,
) -> Sequence[Complaint]:
    """Up to `limit` complaints, newest first, strictly after the cursor position `after`."""
    query = select(Complaint)
    if sla == "breached":
        query = query.where(or_(*(_breached(t) for t in TARGETS)))
    elif sla == "at_risk":
        query = query.where(Complaint.state.not_in(CLOSED), or_(*(_at_risk(t) for t in TARGETS)))
    if customer_id is not None:
        query = query.where(Complaint.customer_id == customer_id)
    if state is not None:
        query = query.where(Complaint.state == state)
    if category is not None:
        query = query.where(Complaint.category == category)
    if priority is not None:
        query = query.where(Complaint.priority == priority)
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                Complaint.received_at < at,
                and_(Complaint.received_at == at, Complaint.id < last_id),
            )
        )
    query = query.order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


def _breached(target: str) -> ColumnElement[bool]:
    column: InstrumentedAttribute[dt.datetime | None] = getattr(Complaint, f"{target}_breached_at")
    return column.is_not(None)


def _at_risk(target: str) -> ColumnElement[bool]:
    """Warned, not yet met and not yet breached."""
    met = {
        "acknowledgement": Complaint.acknowledged_at,
        "first_response": Complaint.responded_at,
        "resolution": Complaint.decision_communicated_at,
    }[target]
    return and_(
        getattr(Complaint, f"{target}_warned").is_(True),
        getattr(Complaint, f"{target}_breached_at").is_(None),
        met.is_(None),
    )


async def audit_trail(session: AsyncSession, complaint_id: uuid.UUID) -> Sequence[ComplaintAudit]:
    """A complaint's audit entries in the order they were written."""
    result = await session.scalars(
        select(ComplaintAudit)
        .where(ComplaintAudit.complaint_id == complaint_id)
        .order_by(ComplaintAudit.id)
    )
    return result.all()


async def get_profile(session: AsyncSession, customer_id: uuid.UUID) -> CustomerProfile | None:
    """What scoring last said about the customer, if anything."""
    return await session.get(CustomerProfile, customer_id)


async def complaints_of(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> Sequence[Complaint]:
    """Every complaint of these customers, open or closed, oldest first."""
    result = await session.scalars(
        select(Complaint)
        .where(Complaint.customer_id.in_(customer_ids))
        .order_by(Complaint.received_at, Complaint.id)
    )
    return result.all()


async def surveys_of(
    session: AsyncSession, complaint_ids: Sequence[uuid.UUID]
) -> Sequence[SatisfactionSurvey]:
    """The satisfaction surveys of these complaints."""
    result = await session.scalars(
        select(SatisfactionSurvey).where(SatisfactionSurvey.complaint_id.in_(complaint_ids))
    )
    return result.all()


async def get_alias(session: AsyncSession, merged_id: uuid.UUID) -> CustomerAlias | None:
    """Where a merged customer id now points, if it was merged."""
    return await session.get(CustomerAlias, merged_id)


async def ids_merged_into(session: AsyncSession, customer_id: uuid.UUID) -> list[uuid.UUID]:
    """The customer ids that were merged into `customer_id`."""
    result = await session.scalars(
        select(CustomerAlias.merged_id).where(CustomerAlias.customer_id == customer_id)
    )
    return list(result.all())
