"""Event handlers of the complaints service; the consumer runner commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.customers import erasure, merges
from services.complaints.customers import service as customers
from services.complaints.dependencies import Clock
from services.complaints.settings import ComplaintsSettings
from services.complaints.surveys.low_scores import record_low_score
from shared.app import ConsumerSpec
from shared.contracts.contact import (
    CallEventRecordedV2,
    CustomerDeletedV1,
    CustomersMergedV1,
    SurveyCompletedV1,
)
from shared.contracts.scoring import ChurnRiskRaisedV1, CustomerScoredV1, TierChangedV1
from shared.contracts.topics import (
    CONTACT_CALLS,
    CONTACT_CUSTOMERS,
    CONTACT_SURVEYS,
    SCORING_SCORES,
)
from shared.events import CloudEvent


@dataclass(frozen=True)
class _Handlers:
    """The handlers, bound to the service's settings and clock."""

    settings: ComplaintsSettings
    clock: Clock

    async def on_tier_changed(
        self, session: AsyncSession, event: TierChangedV1, envelope: CloudEvent
    ) -> None:
        """Re-prioritise the customer's open complaints for the new tier."""
        reason = f"tier changed from {event.previous_tier} to {event.tier}"
        await self._apply_scores(session, event, reason=reason)

    async def on_customer_scored(
        self, session: AsyncSession, event: CustomerScoredV1, envelope: CloudEvent
    ) -> None:
        """Keep tier and churn risk current; re-prioritise if they move the priority."""
        await self._apply_scores(session, event, reason="customer re-scored")

    async def _apply_scores(
        self, session: AsyncSession, event: TierChangedV1 | CustomerScoredV1, *, reason: str
    ) -> None:
        await customers.apply_customer_scores(
            session,
            customer_id=event.customer_id,
            tier=event.tier,
            churn_risk=event.churn_risk,
            now=self.clock(),
            settings=self.settings,
            reason=reason,
        )

    async def on_churn_risk_raised(
        self, session: AsyncSession, event: ChurnRiskRaisedV1, envelope: CloudEvent
    ) -> None:
        """A customer about to leave: escalate every open complaint of theirs."""
        await customers.escalate_for_churn_risk(
            session,
            customer_id=event.customer_id,
            churn_risk=event.churn_risk,
            tier=event.tier,
            now=self.clock(),
            settings=self.settings,
        )

    async def on_call_event_recorded(
        self, session: AsyncSession, event: CallEventRecordedV2, envelope: CloudEvent
    ) -> None:
        """Count contacts (first event of each call) for complaints per 1,000 contacts."""
        if event.first_event_of_call:
            await customers.record_contact(
                session,
                call_event_id=event.call_event_id,
                customer_id=event.customer_id,
                occurred_at=event.occurred_at,
            )

    async def on_customers_merged(
        self, session: AsyncSession, event: CustomersMergedV1, envelope: CloudEvent
    ) -> None:
        """Move the merged customer's complaints, contacts and profile to the survivor."""
        await merges.merge_customers(
            session,
            survivor_id=event.customer_id,
            merged_id=event.merged_customer_id,
            merged_at=event.merged_at,
            now=self.clock(),
            settings=self.settings,
        )

    async def on_customer_deleted(
        self, session: AsyncSession, event: CustomerDeletedV1, envelope: CloudEvent
    ) -> None:
        """Right to be forgotten: keep the complaints, erase the personal data around them."""
        await erasure.erase_customer(
            session, customer_id=event.customer_id, deleted_at=event.deleted_at, now=self.clock()
        )

    async def on_survey_completed(
        self, session: AsyncSession, event: SurveyCompletedV1, envelope: CloudEvent
    ) -> None:
        """A low score soon after a closure is recorded on the closed complaint."""
        await record_low_score(
            session,
            customer_id=event.customer_id,
            survey_id=event.survey_id,
            csat=event.csat,
            quality=event.quality,
            answered_at=event.answered_at,
            window_days=self.settings.low_score_window_days,
        )


def make_consumers(settings: ComplaintsSettings, clock: Clock) -> list[ConsumerSpec]:
    """The consumer groups, with handlers bound to the service's settings and clock."""
    handlers = _Handlers(settings, clock)
    return [
        ConsumerSpec(
            name="scores",
            topics=[SCORING_SCORES],
            handlers={
                TierChangedV1.type: handlers.on_tier_changed,
                CustomerScoredV1.type: handlers.on_customer_scored,
                ChurnRiskRaisedV1.type: handlers.on_churn_risk_raised,
            },
        ),
        ConsumerSpec(
            name="contacts",
            topics=[CONTACT_CALLS],
            handlers={CallEventRecordedV2.type: handlers.on_call_event_recorded},
        ),
        ConsumerSpec(
            name="customer-events",
            topics=[CONTACT_CUSTOMERS],
            handlers={
                CustomersMergedV1.type: handlers.on_customers_merged,
                CustomerDeletedV1.type: handlers.on_customer_deleted,
            },
        ),
        ConsumerSpec(
            name="survey-events",
            topics=[CONTACT_SURVEYS],
            handlers={SurveyCompletedV1.type: handlers.on_survey_completed},
        ),
    ]
