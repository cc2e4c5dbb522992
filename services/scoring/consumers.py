"""Event handlers of the scoring service; the consumer runner commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.customers.service import erase_customer, merge_customers
from services.scoring.scores.service import Scorer, rescore
from services.scoring.statistics import service as statistics
from services.scoring.statistics.ledger import Transaction
from services.scoring.statistics.service import ComplaintChange
from shared.app import ConsumerSpec
from shared.contracts import complaints as complaint_events
from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.contact import (
    CallAbandonedV1,
    CallEndedV1,
    CallEventRecordedV2,
    ContactRecordedV1,
    CustomerDeletedV1,
    CustomersMergedV1,
    SurveyCompletedV1,
)
from shared.contracts.topics import (
    COMMERCE_TRANSACTIONS,
    COMPLAINTS_COMPLAINTS,
    CONTACT_CALLS,
    CONTACT_CUSTOMERS,
    CONTACT_SURVEYS,
)
from shared.events import CloudEvent
from shared.inbox import BatchHandler, Handler

# Complaint lifecycle events, each folded into the customer's complaint counts.
COMPLAINT_CLASSES = (
    complaint_events.ComplaintFiledV1,
    complaint_events.ComplaintAcknowledgedV1,
    complaint_events.ComplaintEscalatedV1,
    complaint_events.ComplaintSlaBreachedV1,
    complaint_events.ComplaintResolvedV1,
    complaint_events.ComplaintClosedV1,
    complaint_events.ComplaintReopenedV1,
)


async def on_call_event_recorded(
    session: AsyncSession, event: CallEventRecordedV2, envelope: CloudEvent
) -> None:
    """Count the contact for its customer."""
    first = event.first_event_of_call
    await statistics.record_call_event(
        session, event.customer_id, event.occurred_at, first_event_of_call=first
    )


async def on_contact_recorded(
    session: AsyncSession, event: ContactRecordedV1, envelope: CloudEvent
) -> None:
    """Count a non-voice contact under its channel."""
    await statistics.record_contact(
        session, customer_id=event.customer_id, occurred_at=event.occurred_at, channel=event.channel
    )


async def on_customer_deleted(
    session: AsyncSession, event: CustomerDeletedV1, envelope: CloudEvent
) -> None:
    """Erase everything scoring keeps about the customer."""
    await erase_customer(session, event.customer_id, erased_at=event.deleted_at)


def handlers(scorer: Scorer) -> dict[str, Handler]:
    """Handlers of commerce, complaint and customer events, rescoring with `scorer`."""

    async def on_transactions_recorded(
        session: AsyncSession, events: list[tuple[TransactionRecordedV1, CloudEvent]]
    ) -> None:
        """Apply orders and refunds (once per transaction id); rescore each customer once."""
        items = [transaction_of(event) for event, _ in events]
        limit = scorer.settings.max_batch_transactions
        for start in range(0, len(items), limit):
            # A published refund is a fact even if its order predates what Rapport recorded.
            await statistics.record_transactions(
                session, items[start : start + limit], scorer=scorer, known_orders_only=False
            )

    async def on_complaint_event(session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        """Fold a complaint lifecycle event into the customer's complaint counts."""
        await statistics.record_complaint(session, complaint_change(event), scorer=scorer)

    async def on_satisfaction_surveyed(
        session: AsyncSession, event: complaint_events.SatisfactionSurveyedV1, envelope: CloudEvent
    ) -> None:
        """Keep the customer's latest CSAT and NPS."""
        await statistics.record_survey(
            session, event.customer_id, event.csat, event.nps, at=event.surveyed_at, scorer=scorer
        )

    async def on_survey_completed(
        session: AsyncSession, event: SurveyCompletedV1, envelope: CloudEvent
    ) -> None:
        """Keep the customer's latest post-contact CSAT, NPS and quality class; rescore."""
        await statistics.record_contact_survey(
            session,
            event.customer_id,
            csat=event.csat,
            nps=event.nps,
            quality=event.quality,
            at=event.answered_at,
            scorer=scorer,
        )

    async def on_customers_merged(
        session: AsyncSession, event: CustomersMergedV1, envelope: CloudEvent
    ) -> None:
        """Fold the merged customer into the survivor and rescore the survivor."""
        survivor, merged = event.customer_id, event.merged_customer_id
        await merge_customers(session, survivor, merged, merged_at=event.merged_at, scorer=scorer)

    out: dict[str, Handler] = {TransactionRecordedV1.type: BatchHandler(on_transactions_recorded)}
    out.update({cls.type: on_complaint_event for cls in COMPLAINT_CLASSES})
    out[complaint_events.SatisfactionSurveyedV1.type] = on_satisfaction_surveyed
    out[SurveyCompletedV1.type] = on_survey_completed
    out[CustomersMergedV1.type] = on_customers_merged
    out[CustomerDeletedV1.type] = on_customer_deleted
    return out


def transaction_of(e: TransactionRecordedV1) -> Transaction:
    """The transaction an event records (field by field: no dump of the event)."""
    return Transaction(
        e.transaction_id,
        e.customer_id,
        e.kind,
        e.amount,
        e.currency,
        e.occurred_at,
        e.refers_to,
        e.discount,
    )


def complaint_change(event: Any) -> ComplaintChange:
    """What a complaint lifecycle event says about its complaint."""
    base = {"complaint_id": event.complaint_id, "customer_id": event.customer_id}
    if isinstance(event, complaint_events.ComplaintFiledV1):
        return ComplaintChange(**base, at=event.filed_at, is_open=True)
    if isinstance(event, complaint_events.ComplaintResolvedV1):
        return ComplaintChange(
            **base, at=event.resolved_at, is_open=False, root_cause=event.root_cause
        )
    if isinstance(event, complaint_events.ComplaintClosedV1):
        return ComplaintChange(
            **base, at=event.closed_at, is_open=False, root_cause=event.root_cause
        )
    if isinstance(event, complaint_events.ComplaintReopenedV1):
        return ComplaintChange(**base, at=event.reopened_at, is_open=True)
    if isinstance(event, complaint_events.ComplaintEscalatedV1):
        return ComplaintChange(**base, at=event.escalated_at, escalated=True)
    if isinstance(event, complaint_events.ComplaintAcknowledgedV1):
        return ComplaintChange(**base, at=event.acknowledged_at)
    assert isinstance(event, complaint_events.ComplaintSlaBreachedV1)
    return ComplaintChange(**base, at=event.breached_at)


def contact_handlers(scorer: Scorer) -> dict[str, Handler]:
    """Handlers of contact events: contacts counted, a first contact places a prospect, calls'
    handle time (cost to serve) and unanswered calls counted."""

    async def place(session: AsyncSession, customer_id: uuid.UUID) -> None:
        stats = await statistics.unplaced(session, customer_id)
        if stats is not None:
            await rescore(session, stats, scorer=scorer, cause="contact")

    async def on_call_event(
        session: AsyncSession, event: CallEventRecordedV2, envelope: CloudEvent
    ) -> None:
        """Count the contact; a customer's first contact makes them a prospect."""
        await on_call_event_recorded(session, event, envelope)
        if event.first_event_of_call:
            await place(session, event.customer_id)

    async def on_contact(
        session: AsyncSession, event: ContactRecordedV1, envelope: CloudEvent
    ) -> None:
        """Count the contact under its channel; a first contact makes the customer a prospect."""
        await on_contact_recorded(session, event, envelope)
        await place(session, event.customer_id)

    async def on_call_ended(
        session: AsyncSession, event: CallEndedV1, envelope: CloudEvent
    ) -> None:
        """Add the call's duration to the customer's handle time."""
        seconds = event.duration_seconds or 0
        await statistics.record_handle_time(session, event.customer_id, seconds=seconds)

    async def on_call_abandoned(
        session: AsyncSession, event: CallAbandonedV1, envelope: CloudEvent
    ) -> None:
        """Count a call nobody answered before the caller hung up."""
        await statistics.record_abandoned_call(session, event.customer_id)

    return {
        CallEventRecordedV2.type: on_call_event,
        ContactRecordedV1.type: on_contact,
        CallEndedV1.type: on_call_ended,
        CallAbandonedV1.type: on_call_abandoned,
    }


def sla_breach_handler(scorer: Scorer) -> Handler:
    """The handler of SLA breaches: a broken promise counted, then folded as complaint news."""

    async def on_sla_breached(
        session: AsyncSession, event: complaint_events.ComplaintSlaBreachedV1, envelope: CloudEvent
    ) -> None:
        """Count the breach, then fold it into the complaint counts and rescore."""
        await statistics.record_sla_breach(session, event.customer_id)
        await statistics.record_complaint(session, complaint_change(event), scorer=scorer)

    return on_sla_breached


def consumer_specs(scorer: Scorer) -> list[ConsumerSpec]:
    """Every consumer group of the scoring service, rescoring with `scorer`."""
    bound = handlers(scorer)
    complaint_types = [c.type for c in COMPLAINT_CLASSES]
    complaint_types.append(complaint_events.SatisfactionSurveyedV1.type)
    bound[complaint_events.ComplaintSlaBreachedV1.type] = sla_breach_handler(scorer)
    return [
        ConsumerSpec(
            name="contact-events", topics=[CONTACT_CALLS], handlers=contact_handlers(scorer)
        ),
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
        ConsumerSpec(
            name="survey-events",
            topics=[CONTACT_SURVEYS],
            handlers={SurveyCompletedV1.type: bound[SurveyCompletedV1.type]},
        ),
    ]
