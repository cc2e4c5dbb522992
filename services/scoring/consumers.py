"""Event handlers of the scoring service; the consumer runner commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import service
from shared.app import ConsumerSpec
from shared.contracts.contact import CallEventRecordedV1
from shared.contracts.topics import CONTACT_CALLS
from shared.events import CloudEvent


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


CONTACT_EVENTS = ConsumerSpec(
    name="contact-events",
    topics=[CONTACT_CALLS],
    handlers={CallEventRecordedV1.type: on_call_event_recorded},
)
