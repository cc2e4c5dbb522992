"""Event handlers of the scoring service; the consumer runner commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import service
from services.scoring.ledger import Transaction
from services.scoring.settings import ScoringSettings
from shared.app import ConsumerSpec
from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.complaints import (
    ComplaintAcknowledgedV1,
    ComplaintClosedV1,
    ComplaintEscalatedV1,
    ComplaintFiledV1,
    ComplaintReopenedV1,
    ComplaintResolvedV1,
    ComplaintSlaBreachedV1,
    SatisfactionSurveyedV1,
)
from shared.contracts.contact import (
    CallEventRecordedV1,
    ContactRecordedV1,
    CustomerDeletedV1,
    CustomersMergedV1,
)
from shared.contracts.topics import (
    COMMERCE_TRANSACTIONS,
    COMPLAINTS_COMPLAINTS,
    CONTACT_CALLS,
    CONTACT_CUSTOMERS,
)
from shared.events import CloudEvent
from shared.inbox import Handler


async def on_call_event_recorded(
    session: AsyncSession, event: CallEventRecordedV1, envelope: CloudEvent
) -> None:
    """Count the contact for its customer."""
    await service.record_call_event(
        session,
        customer_id=event.customer_id,
        occurred_at=event.occurred_at,
        first_event_of_call=event.first_event_of_call,
    )


def handlers(settings: ScoringSettings) -> dict[str, Handler]:
    """Handlers of commerce, complaint and customer events, bound to the app's settings."""

    async def on_transaction_recorded(
        session: AsyncSession, event: TransactionRecordedV1, envelope: CloudEvent
    ) -> None:
        """Apply an order or refund (once per transaction id) and rescore the customer."""
        item = Transaction(
            transaction_id=event.transaction_id,
            customer_id=event.customer_id,
            kind=event.kind,
            amount=event.amount,
            currency=event.currency,
            occurred_at=event.occurred_at,
            refers_to=event.refers_to,
        )
        await service.record_transactions(session, [item], settings=settings)

    async def on_complaint_event(session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        """Fold a complaint lifecycle event into the customer's complaint counts."""
        await service.record_complaint(session, _complaint_change(event), settings=settings)

    async def on_satisfaction_surveyed(
        session: AsyncSession, event: SatisfactionSurveyedV1, envelope: CloudEvent
    ) -> None:
        """Keep the customer's latest CSAT and NPS."""
        await service.record_survey(
            session,
            customer_id=event.customer_id,
            csat=event.csat,
            nps=event.nps,
            surveyed_at=event.surveyed_at,
            settings=settings,
        )

    async def on_customers_merged(
        session: AsyncSession, event: CustomersMergedV1, envelope: CloudEvent
    ) -> None:
        """Fold the merged customer into the survivor and rescore the survivor."""
        await service.merge_customers(
            session,
            customer_id=event.customer_id,
            merged_customer_id=event.merged_customer_id,
            merged_at=event.merged_at,
            settings=settings,
        )

    out: dict[str, Handler] = {TransactionRecordedV1.type: on_transaction_recorded}
    out.update({cls.type: on_complaint_event for cls in COMPLAINT_CLASSES})
    out[SatisfactionSurveyedV1.type] = on_satisfaction_surveyed
    out[CustomersMergedV1.type] = on_customers_merged
    out[CustomerDeletedV1.type] = on_customer_deleted
    return out


def _complaint_change(event: Any) -> service.ComplaintChange:
    base = {"complaint_id": event.complaint_id, "customer_id": event.customer_id}
    if isinstance(event, ComplaintFiledV1):
        return service.ComplaintChange(**base, at=event.filed_at, is_open=True)
    if isinstance(event, ComplaintResolvedV1):
        return service.ComplaintChange(
            **base, at=event.resolved_at, is_open=False, root_cause=event.root_cause
        )
    if isinstance(event, ComplaintClosedV1):
        return service.ComplaintChange(
            **base, at=event.closed_at, is_open=False, root_cause=event.root_cause
        )
    if isinstance(event, ComplaintReopenedV1):
        return service.ComplaintChange(**base, at=event.reopened_at, is_open=True)
    if isinstance(event, ComplaintEscalatedV1):
        return service.ComplaintChange(**base, at=event.escalated_at, escalated=True)
    if isinstance(event, ComplaintAcknowledgedV1):
        return service.ComplaintChange(**base, at=event.acknowledged_at)
    assert isinstance(event, ComplaintSlaBreachedV1)
    return service.ComplaintChange(**base, at=event.breached_at)


async def on_contact_recorded(
    session: AsyncSession, event: ContactRecordedV1, envelope: CloudEvent
) -> None:
    """Count a non-voice contact under its channel."""
    await service.record_contact(
        session, customer_id=event.customer_id, occurred_at=event.occurred_at, channel=event.channel
    )


async def on_customer_deleted(
    session: AsyncSession, event: CustomerDeletedV1, envelope: CloudEvent
) -> None:
    """Erase everything scoring keeps about the customer."""
    await service.erase_customer(session, customer_id=event.customer_id, erased_at=event.deleted_at)


CONTACT_EVENTS = ConsumerSpec(
    name="contact-events",
    topics=[CONTACT_CALLS],
    handlers={
        CallEventRecordedV1.type: on_call_event_recorded,
        ContactRecordedV1.type: on_contact_recorded,
    },
)
COMPLAINT_CLASSES = (
    ComplaintFiledV1,
    ComplaintAcknowledgedV1,
    ComplaintEscalatedV1,
    ComplaintSlaBreachedV1,
    ComplaintResolvedV1,
    ComplaintClosedV1,
    ComplaintReopenedV1,
)


def consumer_specs(settings: ScoringSettings) -> list[ConsumerSpec]:
    """Every consumer group of the scoring service."""
    bound = handlers(settings)
    complaint_types = [c.type for c in COMPLAINT_CLASSES] + [SatisfactionSurveyedV1.type]
    return [
        CONTACT_EVENTS,
        ConsumerSpec(
            name="commerce-events",
            topics=[COMMERCE_TRANSACTIONS],
            handlers={TransactionRecordedV1.type: bound[TransactionRecordedV1.type]},
        ),
        ConsumerSpec(
            name="complaint-events",
            topics=[COMPLAINTS_COMPLAINTS],
            handlers={t: bound[t] for t in complaint_types},
        ),
        ConsumerSpec(
            name="customer-events",
            topics=[CONTACT_CUSTOMERS],
            handlers={t: bound[t] for t in (CustomersMergedV1.type, CustomerDeletedV1.type)},
        ),
    ]
