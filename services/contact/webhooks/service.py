"""Webhook use cases: a provider's event, read and verified, stored where it belongs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.calls import service as calls
from services.contact.calls.announcements import PROVIDER_EVENTS
from services.contact.calls.callmodel import NormalizedEvent
from services.contact.calls.ingest import Ingested, ingest
from services.contact.calls.routing import QueueRouting
from services.contact.contacts.connect_events import record_connect_contact
from services.contact.settings import ContactSettings
from services.contact.webhooks.providers.connect import ChannelContact


@dataclass(frozen=True)
class Accepted:
    """What a webhook's event did: nothing new (`duplicate`), ignored, or stored to a call."""

    duplicate: bool
    ignored: bool = False
    call_id: uuid.UUID | None = None


async def record_call_event(
    session: AsyncSession, event: NormalizedEvent, *, settings: ContactSettings
) -> Ingested:
    """Store a provider's call event once and publish what its call now owes."""
    return await ingest(session, event, settings=settings, publishing=PROVIDER_EVENTS)


async def queue_incoming_call(
    session: AsyncSession,
    event: NormalizedEvent,
    *,
    settings: ContactSettings,
    queues: QueueRouting,
) -> str:
    """Store the event of a caller about to be queued, and pick the queue by value tier."""
    ingested = await record_call_event(session, event, settings=settings)
    return await calls.queue_for_call(session, ingested.call, queues)


async def record_connect_event(
    session: AsyncSession,
    event: NormalizedEvent | ChannelContact | None,
    *,
    settings: ContactSettings,
) -> Accepted:
    """A voice event feeds its call, a chat or e-mail event its contact; None is ignored."""
    if event is None:
        return Accepted(duplicate=False, ignored=True)
    if isinstance(event, ChannelContact):
        recorded = await record_connect_contact(
            session,
            event,
            region=settings.default_region,
            settle_seconds=settings.call_settle_seconds,
        )
        return Accepted(duplicate=not recorded.changed)
    ingested = await record_call_event(session, event, settings=settings)
    return Accepted(duplicate=ingested.duplicate, call_id=ingested.call.id)
