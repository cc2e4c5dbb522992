"""The screen pop of an offer: who is calling and what they are worth, from contact's own data.

Open complaints and the reasons behind the churn risk live in the other services; the gateway
adds them (the customer 360) when it delivers the pop to the agent's desktop.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.contacts.repository import history_rows
from services.contact.customers import repository as customers
from services.contact.models import Call, WorkItem
from shared.contracts.routing import ScreenPop

LAST_CONTACTS = 5


async def screen_pop(session: AsyncSession, item: WorkItem) -> ScreenPop:
    """What the agent offered `item` sees at once."""
    call = await session.get(Call, item.call_id) if item.call_id else None
    pop = ScreenPop(
        customer_id=item.customer_id,
        candidate_customer_ids=[uuid.UUID(c) for c in item.candidate_customer_ids],
        from_number=call.from_number if call else None,
    )
    if item.customer_id is None:
        return pop
    customer = await customers.find_customer(session, item.customer_id)
    if customer is not None:
        pop.name, pop.tier, pop.churn_risk = customer.name, customer.tier, customer.churn_risk
    calls, contacts = await history_rows(
        session, item.customer_id, cursor=None, limit=LAST_CONTACTS
    )
    entries = [
        {"channel": "voice", "at": c.started_at.isoformat(), "outcome": c.outcome}
        for c in calls
        if c.id != item.call_id
    ] + [
        {"channel": c.channel, "at": c.occurred_at.isoformat(), "outcome": c.disposition}
        for c in contacts
    ]
    pop.last_contacts = sorted(entries, key=lambda e: e["at"] or "", reverse=True)[:LAST_CONTACTS]
    return pop
