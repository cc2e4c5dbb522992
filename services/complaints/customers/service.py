"""What scoring and contact tell us about customers: scores, churn risk, contacts seen.

Events may name a customer id that was merged since; each use case applies to the customer
the id stands for now.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.changes import SYSTEM, save
from services.complaints.complaints.repository import open_complaints_of
from services.complaints.customers import repository
from services.complaints.escalation.service import raise_level
from services.complaints.models import Complaint, ContactSeen, CustomerProfile
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla.service import retarget


async def resolve_customer(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID:
    """The customer an id stands for now: the survivor if it was merged, else itself."""
    alias = await repository.get_alias(session, customer_id)
    return alias.customer_id if alias is not None else customer_id


async def apply_customer_scores(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    tier: str | None,
    churn_risk: float | None,
    now: dt.datetime,
    settings: ComplaintsSettings,
    reason: str,
) -> list[Complaint]:
    """Remember a customer's tier and churn risk and re-target their open complaints."""
    customer_id = await resolve_customer(session, customer_id)
    profile = await repository.get_profile(session, customer_id)
    if profile is None:
        profile = CustomerProfile(customer_id=customer_id)
        session.add(profile)
    if tier is not None:
        profile.tier = tier
    if churn_risk is not None:
        profile.churn_risk = churn_risk
    profile.updated_at = now
    complaints = await apply_profile(session, profile, now=now, settings=settings, reason=reason)
    await save(session)
    return complaints


async def apply_profile(
    session: AsyncSession,
    profile: CustomerProfile,
    *,
    now: dt.datetime,
    settings: ComplaintsSettings,
    reason: str,
) -> list[Complaint]:
    """Copy a profile's tier and churn risk onto the customer's open complaints; re-target."""
    await session.flush()
    complaints = list(await open_complaints_of(session, profile.customer_id))
    for complaint in complaints:
        complaint.tier = profile.tier
        complaint.churn_risk = profile.churn_risk
        retarget(session, complaint, actor=SYSTEM, now=now, settings=settings, reason=reason)
    return complaints


async def escalate_for_churn_risk(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    churn_risk: float,
    tier: str | None,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> list[Complaint]:
    """A churn-risk rise: re-target the customer's open complaints and escalate each one."""
    reason = f"churn risk rose to {churn_risk:.2f}"
    complaints = await apply_customer_scores(
        session,
        customer_id=customer_id,
        tier=tier,
        churn_risk=churn_risk,
        now=now,
        settings=settings,
        reason=reason,
    )
    escalated = [
        raise_level(session, complaint, reason=reason, actor=SYSTEM, now=now, settings=settings)
        for complaint in complaints
    ]
    await save(session, escalated)
    return complaints


async def record_contact(
    session: AsyncSession,
    *,
    call_event_id: uuid.UUID,
    customer_id: uuid.UUID,
    occurred_at: dt.datetime,
) -> None:
    """Count one contact for the complaints-per-contacts ratio; a repeated one counts once."""
    customer_id = await resolve_customer(session, customer_id)
    if await session.get(ContactSeen, call_event_id) is None:
        session.add(
            ContactSeen(
                call_event_id=call_event_id, customer_id=customer_id, occurred_at=occurred_at
            )
        )
        await session.flush()
