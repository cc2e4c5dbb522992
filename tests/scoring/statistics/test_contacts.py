"""Contacts: one per call (first event of the call), and non-voice contacts by channel."""

from __future__ import annotations

import uuid
from decimal import Decimal

from services.scoring.models import CustomerStats
from services.scoring.statistics.service import record_call_event, record_contact
from shared.db import Database
from tests.scoring.conftest import NOW


async def test_contacts_keep_counting_per_call(db: Database) -> None:
    customer = uuid.uuid4()
    async with db.sessionmaker() as session:
        for first in (True, False, True):
            await record_call_event(
                session, customer_id=customer, occurred_at=NOW, first_event_of_call=first
            )
        await session.commit()
    async with db.sessionmaker() as session:
        stats = await session.get(CustomerStats, str(customer))
    assert stats is not None
    assert (stats.contact_count, stats.call_event_count) == (2, 3)
    assert stats.contacts_by_channel == {"call": 2}

    async with db.sessionmaker() as session:
        await record_contact(session, customer_id=customer, occurred_at=NOW, channel="email")
        await session.commit()
    async with db.sessionmaker() as session:
        stats = await session.get(CustomerStats, str(customer))
    assert stats is not None
    assert (stats.contact_count, stats.call_event_count) == (3, 3)
    assert stats.contacts_by_channel == {"call": 2, "email": 1}
    assert stats.net_spend == Decimal(0)
