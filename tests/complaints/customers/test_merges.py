"""Customer merges from `contact.customers`, applied as the consumer does, on both databases."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit.repository import audit_trail
from services.complaints.models import (
    ContactSeen,
    CustomerAlias,
)
from services.complaints.reports.service import complaint_report
from services.complaints.settings import ComplaintsSettings
from shared.db import Database
from tests.complaints.customers.helpers import (
    END,
    MONDAY,
    START,
    actions_of,
    complaint,
    consume,
    contact,
    count,
    listed,
    merged,
    profile,
    tier_changed,
)
from tests.complaints.helpers import file, move


async def test_merge_moves_complaints_and_contacts_to_the_survivor(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    survivor, gone = uuid.uuid4(), uuid.uuid4()
    own = await file(session, settings, MONDAY, customer_id=survivor)
    open_one = await file(session, settings, MONDAY, customer_id=gone)
    closed = await file(session, settings, MONDAY, customer_id=gone, category="delivery")
    await move(session, settings, closed, MONDAY, "withdrawn")
    await consume(session, settings, contact(gone))
    await consume(session, settings, contact(survivor))
    version_before = (await complaint(db, open_one.id)).version

    await consume(session, settings, merged(survivor, gone))

    assert await listed(db, survivor) == {own.id, open_one.id, closed.id}
    assert await listed(db, gone) == set()
    for moved in (open_one, closed):
        assert (await actions_of(db, moved.id))[-1] == "customer_merged"
    async with db.sessionmaker() as s:
        entry = (await audit_trail(s, open_one.id))[-1]
    assert entry.actor == "system"
    assert entry.details["customer_id"] == {"from": str(gone), "to": str(survivor)}
    assert "merged" in (entry.reason or "")
    assert (await complaint(db, open_one.id)).version > version_before
    assert await actions_of(db, own.id) == ["filed"]
    assert await count(db, ContactSeen, ContactSeen.customer_id == survivor) == 2
    assert await count(db, ContactSeen, ContactSeen.customer_id == gone) == 0
    report = await complaint_report(session, start=START, end=END, now=END)
    assert report.repeat_complainants >= 1


async def test_survivor_without_a_profile_adopts_the_merged_one(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    survivor, gone = uuid.uuid4(), uuid.uuid4()
    own = await file(session, settings, MONDAY, customer_id=survivor, severity="high")
    assert own.priority == "p3"
    await consume(session, settings, tier_changed(gone, "gold"))

    await consume(session, settings, merged(survivor, gone))

    adopted = await profile(db, survivor)
    assert adopted is not None and adopted.tier == "gold"
    assert await profile(db, gone) is None
    # The survivor's own open complaint now carries the adopted tier: re-targeted as scoring
    # would have done, with the same audit entry.
    after = await complaint(db, own.id)
    assert (after.tier, after.priority) == ("gold", "p2")
    assert (await actions_of(db, own.id))[-1] == "sla_retargeted"


async def test_survivor_keeps_its_profile_and_moved_complaints_follow_it(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    survivor, gone = uuid.uuid4(), uuid.uuid4()
    await consume(session, settings, tier_changed(survivor, "iron", previous="bronze"))
    await consume(session, settings, tier_changed(gone, "gold"))
    theirs = await file(session, settings, MONDAY, customer_id=gone, severity="high")
    assert theirs.priority == "p2"  # high + gold

    await consume(session, settings, merged(survivor, gone))

    kept = await profile(db, survivor)
    assert kept is not None and kept.tier == "iron"
    assert await profile(db, gone) is None
    after = await complaint(db, theirs.id)
    assert (after.customer_id, after.tier, after.priority) == (survivor, "iron", "p3")
    assert (await actions_of(db, theirs.id))[-2:] == ["customer_merged", "sla_retargeted"]


async def test_later_score_and_contact_events_for_the_merged_id_land_on_the_survivor(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    survivor, gone = uuid.uuid4(), uuid.uuid4()
    theirs = await file(session, settings, MONDAY, customer_id=gone, severity="high")
    await consume(session, settings, merged(survivor, gone))

    await consume(session, settings, tier_changed(gone, "gold"))
    await consume(session, settings, contact(gone))

    updated = await profile(db, survivor)
    assert updated is not None and updated.tier == "gold"
    assert await profile(db, gone) is None
    assert (await complaint(db, theirs.id)).priority == "p2"
    assert await count(db, ContactSeen, ContactSeen.customer_id == survivor) == 1
    assert await count(db, ContactSeen, ContactSeen.customer_id == gone) == 0


async def test_a_merged_survivor_takes_its_aliases_along(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    first, second, last = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    theirs = await file(session, settings, MONDAY, customer_id=first)
    await consume(session, settings, merged(second, first))
    await consume(session, settings, merged(last, second))

    await consume(session, settings, tier_changed(first, "silver"))

    assert (await complaint(db, theirs.id)).customer_id == last
    silver = await profile(db, last)
    assert silver is not None and silver.tier == "silver"
    async with db.sessionmaker() as s:
        aliases = {a.merged_id: a.customer_id for a in await s.scalars(select(CustomerAlias))}
    assert aliases[first] == last and aliases[second] == last


async def test_a_redelivered_merge_changes_nothing(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    survivor, gone = uuid.uuid4(), uuid.uuid4()
    theirs = await file(session, settings, MONDAY, customer_id=gone)
    await consume(session, settings, tier_changed(gone, "gold"))
    event = merged(survivor, gone)
    await consume(session, settings, event)
    before = await complaint(db, theirs.id)
    trail = await actions_of(db, theirs.id)

    await consume(session, settings, event, at=MONDAY + dt.timedelta(hours=1))

    after = await complaint(db, theirs.id)
    assert (after.customer_id, after.version, after.priority) == (
        survivor,
        before.version,
        before.priority,
    )
    assert await actions_of(db, theirs.id) == trail
    assert await count(db, CustomerAlias, CustomerAlias.merged_id == gone) == 1
    kept = await profile(db, survivor)
    assert kept is not None and kept.tier == "gold"
