"""Event handlers of the contact service; the consumer runner commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.customers import service as customers
from services.contact.followups import service as followups
from services.contact.followups.levels import ChurnRiskRaised, ComplaintClosed, FirstPurchase
from services.contact.routing import lines, outreach
from services.contact.settings import ContactSettings
from shared.app import ConsumerSpec
from shared.contracts.complaints import ComplaintClosedV1
from shared.contracts.scoring import (
    ChurnRiskRaisedV1,
    CustomerScoredV1,
    CustomerStateChangedV1,
    OutreachRequestedV1,
    TierChangedV1,
)
from shared.contracts.topics import COMPLAINTS_COMPLAINTS, SCORING_PROGRAMMES, SCORING_SCORES
from shared.db import utcnow
from shared.events import CloudEvent

ScoreEvent = CustomerScoredV1 | TierChangedV1 | ChurnRiskRaisedV1


def scoring_events(settings: ContactSettings) -> ConsumerSpec:
    """The consumer of scoring's events: routing priority follows tier and churn risk, and
    retention programmes' outreach requests become tasks in their queues."""

    async def on_score(session: AsyncSession, event: ScoreEvent, envelope: CloudEvent) -> None:
        """Keep the customer's newest tier and churn risk; waiting contacts move with them.

        Every score event carries both; an older report than the one kept changes nothing, so
        a falling risk (`customer_scored`) is kept as well as a rising one.
        """
        at = (
            event.scored_at
            if isinstance(event, CustomerScoredV1)
            else (event.changed_at if isinstance(event, TierChangedV1) else event.raised_at)
        )
        kept = await customers.record_scores(
            session, event.customer_id, tier=event.tier, churn_risk=event.churn_risk, at=at
        )
        if kept is not None:
            await lines.reprioritise(session, settings, kept)
            await _follow_up_scores(session, settings, event)

    async def on_outreach(
        session: AsyncSession, event: OutreachRequestedV1, envelope: CloudEvent
    ) -> None:
        """Put the task a retention programme asks for in its queue's line."""
        await outreach.enter_outreach(session, settings, event, now=utcnow())

    return ConsumerSpec(
        name="scoring-events",
        topics=[SCORING_SCORES, SCORING_PROGRAMMES],
        handlers={
            CustomerScoredV1.type: on_score,
            TierChangedV1.type: on_score,
            ChurnRiskRaisedV1.type: on_score,
            CustomerStateChangedV1.type: on_state_changed,
            OutreachRequestedV1.type: on_outreach,
        },
    )


async def on_state_changed(
    session: AsyncSession, event: CustomerStateChangedV1, envelope: CloudEvent
) -> None:
    """Keep the customer state scoring derived from events on the customer record."""
    await customers.record_derived_state(session, event.customer_id, event.state)


async def _follow_up_scores(
    session: AsyncSession, settings: ContactSettings, event: ScoreEvent
) -> None:
    """A first tier (the first purchase) or a churn risk crossing may call for a call-back."""
    if isinstance(event, TierChangedV1) and event.previous_tier is None:
        await followups.follow_up(
            session,
            settings,
            customer_id=event.customer_id,
            trigger=FirstPurchase(tier=event.tier),
            trigger_key=f"first-purchase:{event.customer_id}",
            now=utcnow(),
        )
    elif isinstance(event, ChurnRiskRaisedV1):
        await followups.follow_up(
            session,
            settings,
            customer_id=event.customer_id,
            trigger=ChurnRiskRaised(churn_risk=event.churn_risk, threshold=event.threshold),
            trigger_key=f"churn-risk:{event.customer_id}:{event.raised_at.isoformat()}",
            now=utcnow(),
        )


def complaint_events(settings: ContactSettings) -> ConsumerSpec:
    """The consumer of complaint closures: the customer's policy may call for a follow-up."""

    async def on_complaint_closed(
        session: AsyncSession, event: ComplaintClosedV1, envelope: CloudEvent
    ) -> None:
        """Create the follow-up call the customer's relationship level keeps after a closure."""
        await followups.follow_up(
            session,
            settings,
            customer_id=event.customer_id,
            trigger=ComplaintClosed(outcome=event.outcome),
            trigger_key=f"complaint-closed:{event.complaint_id}:{event.closed_at.isoformat()}",
            now=utcnow(),
        )

    return ConsumerSpec(
        name="complaint-events",
        topics=[COMPLAINTS_COMPLAINTS],
        handlers={ComplaintClosedV1.type: on_complaint_closed},
    )
