"""Event handlers of the contact service; the consumer runner commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.customers import service as customers
from services.contact.routing import lines
from services.contact.settings import ContactSettings
from shared.app import ConsumerSpec
from shared.contracts.scoring import (
    ChurnRiskRaisedV1,
    CustomerScoredV1,
    CustomerStateChangedV1,
    TierChangedV1,
)
from shared.contracts.topics import SCORING_SCORES
from shared.events import CloudEvent

ScoreEvent = CustomerScoredV1 | TierChangedV1 | ChurnRiskRaisedV1


def scoring_events(settings: ContactSettings) -> ConsumerSpec:
    """The consumer of scoring's events: routing priority follows tier and churn risk."""

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

    return ConsumerSpec(
        name="scoring-events",
        topics=[SCORING_SCORES],
        handlers={
            CustomerScoredV1.type: on_score,
            TierChangedV1.type: on_score,
            ChurnRiskRaisedV1.type: on_score,
            CustomerStateChangedV1.type: on_state_changed,
        },
    )


async def on_state_changed(
    session: AsyncSession, event: CustomerStateChangedV1, envelope: CloudEvent
) -> None:
    """Keep the customer state scoring derived from events on the customer record."""
    await customers.record_derived_state(session, event.customer_id, event.state)
