"""Customer merges from contact: the merged id's complaints, contacts and profile move over."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.audit.details import change
from services.complaints.changes import SYSTEM, save
from services.complaints.complaints.repository import complaints_of
from services.complaints.customers import repository
from services.complaints.customers.service import apply_profile, resolve_customer
from services.complaints.models import Complaint, CustomerAlias, CustomerProfile
from services.complaints.settings import ComplaintsSettings


async def merge_customers(
    session: AsyncSession,
    *,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    merged_at: dt.datetime,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> list[Complaint]:
    """Fold `merged_id` into `survivor_id`; returns the complaints moved.

    Complaints and contacts move to the survivor (each complaint audited), the survivor keeps
    its profile or adopts the merged one's, and open complaints are re-targeted for it. The
    merged id becomes an alias so later score and contact events land on the survivor.
    Applying the same merge again changes nothing.
    """
    survivor_id = await resolve_customer(session, survivor_id)
    if survivor_id == merged_id:
        return []
    await _record_alias(session, merged_id=merged_id, survivor_id=survivor_id, at=merged_at)
    moved = await _move_complaints(
        session, merged_id=merged_id, survivor_id=survivor_id, merged_at=merged_at, now=now
    )
    await repository.move_contacts(session, merged_id=merged_id, survivor_id=survivor_id)
    profile = await _merge_profiles(session, merged_id=merged_id, survivor_id=survivor_id)
    if profile is not None:
        reason = f"customer {merged_id} merged into {survivor_id}"
        await apply_profile(session, profile, now=now, settings=settings, reason=reason)
    await save(session)
    return moved


async def _record_alias(
    session: AsyncSession, *, merged_id: uuid.UUID, survivor_id: uuid.UUID, at: dt.datetime
) -> None:
    """Point `merged_id`, and every id merged into it before, at the survivor."""
    alias = await repository.get_alias(session, merged_id)
    if alias is None:
        session.add(CustomerAlias(merged_id=merged_id, customer_id=survivor_id, merged_at=at))
    else:
        alias.customer_id = survivor_id
    await repository.repoint_aliases(session, merged_id=merged_id, survivor_id=survivor_id)


async def _move_complaints(
    session: AsyncSession,
    *,
    merged_id: uuid.UUID,
    survivor_id: uuid.UUID,
    merged_at: dt.datetime,
    now: dt.datetime,
) -> list[Complaint]:
    """Re-key the merged customer's complaints to the survivor, one audit entry each."""
    complaints = list(await complaints_of(session, [merged_id]))
    for complaint in complaints:
        complaint.customer_id = survivor_id
        complaint.updated_at = now
        audit.add_entry(
            session,
            complaint.id,
            actor=SYSTEM,
            action="customer_merged",
            at=now,
            reason=f"customer {merged_id} merged into {survivor_id}",
            details={
                "customer_id": change(str(merged_id), str(survivor_id)),
                "merged_at": merged_at.isoformat(),
            },
        )
    return complaints


async def _merge_profiles(
    session: AsyncSession, *, merged_id: uuid.UUID, survivor_id: uuid.UUID
) -> CustomerProfile | None:
    """The survivor keeps its profile, or adopts the merged one's; the merged one's goes."""
    survivor = await repository.get_profile(session, survivor_id)
    merged = await repository.get_profile(session, merged_id)
    if merged is None:
        return survivor
    if survivor is None:
        survivor = CustomerProfile(
            customer_id=survivor_id,
            tier=merged.tier,
            churn_risk=merged.churn_risk,
            updated_at=merged.updated_at,
        )
        session.add(survivor)
    await session.delete(merged)
    return survivor
