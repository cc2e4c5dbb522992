"""Event handlers of the contact service; the consumer runner commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.customers import service as customers
from services.contact.routing import lines, outreach
from services.contact.settings import ContactSettings
from shared.app import ConsumerSpec
from shared.contracts.scoring import (
    ChurnRiskRaisedV1,
    CustomerScoredV1,
    CustomerStateChangedV1,
    OutreachRequestedV1,
    TierChangedV1,
)
from shared.contracts.topics import SCORING_PROGRAMMES, SCORING_SCORES
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
