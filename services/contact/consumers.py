"""Event handlers of the contact service; the consumer runner commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import customers
from shared.app import ConsumerSpec
from shared.contracts.scoring import ChurnRiskRaisedV1, CustomerScoredV1, TierChangedV1
from shared.contracts.topics import SCORING_SCORES
from shared.events import CloudEvent


async def on_tier_changed(
    session: AsyncSession, event: TierChangedV1, envelope: CloudEvent
) -> None:
    """Keep the customer's current tier and churn risk (routing picks queues by tier)."""
    await customers.record_scores(
        session,
        event.customer_id,
        tier=event.tier,
        churn_risk=event.churn_risk,
        at=event.changed_at,
    )


async def on_churn_risk_raised(
    session: AsyncSession, event: ChurnRiskRaisedV1, envelope: CloudEvent
) -> None:
    """Keep the customer's current churn risk."""
    await customers.record_scores(
        session,
        event.customer_id,
        tier=event.tier,
        churn_risk=event.churn_risk,
        at=event.raised_at,
    )


async def on_customer_scored(
    session: AsyncSession, event: CustomerScoredV1, envelope: CloudEvent
) -> None:
    """Keep the customer's current tier and churn risk, also when the risk falls."""
    await customers.record_scores(
        session,
        event.customer_id,
        tier=event.tier,
        churn_risk=event.churn_risk,
        at=event.scored_at,
    )


SCORING_EVENTS = ConsumerSpec(
    name="scoring-events",
    topics=[SCORING_SCORES],
    handlers={
        CustomerScoredV1.type: on_customer_scored,
        TierChangedV1.type: on_tier_changed,
        ChurnRiskRaisedV1.type: on_churn_risk_raised,
    },
)
