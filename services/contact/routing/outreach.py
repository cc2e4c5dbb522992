"""Outreach a retention programme asks for: a task in the programme's queue, once per request.

Scoring sends one `scoring.outreach_requested` per treated customer and round. Each becomes a
waiting work item on the requested channel (a call-back, an e-mail or a chat) in the named
queue (the default queue if there is none by that name), prioritised like any other contact
by the customer's tier and churn risk. The request id is claimed first, so a request that is
published again under a new event id still makes one task.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.models import WorkItem
from services.contact.routing import lines
from services.contact.settings import ContactSettings
from shared.contracts.scoring import OutreachRequestedV1
from shared.inbox import claim

# The consumer name under which request ids are claimed, apart from event ids.
REQUESTS = "outreach-requests"


async def enter_outreach(
    session: AsyncSession,
    settings: ContactSettings,
    request: OutreachRequestedV1,
    *,
    now: dt.datetime,
) -> WorkItem | None:
    """Put the requested task in its queue's line; None if the request was carried out before."""
    if not await claim(session, consumer=REQUESTS, event_id=str(request.request_id)):
        return None
    return await lines.enter_line(
        session,
        settings,
        queue_name=request.queue,
        channel=request.channel,
        entered_at=now,
        customer_id=request.customer_id,
        subject=request.summary,
    )
