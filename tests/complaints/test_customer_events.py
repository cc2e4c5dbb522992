"""Customer merges and erasure from `contact.customers`, on both databases.

Most tests call the consumer group's handlers with a real session, as the consumer runner
does (it commits after the handler); the last one goes through the real broker and the API.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints import repository, service
from services.complaints.consumers import make_consumers
from services.complaints.models import (
    Complaint,
    ComplaintAudit,
    ContactSeen,
    CustomerAlias,
    CustomerProfile,
    SatisfactionSurvey,
)
from services.complaints.reports import complaint_report
from services.complaints.schemas import ComplaintUpdate, SurveyCreate
from services.complaints.settings import ComplaintsSettings
from shared.contracts.contact import CallEventRecordedV1, CustomerDeletedV1, CustomersMergedV1
from shared.contracts.scoring import TierChangedV1
from shared.contracts.topics import CONTACT_CUSTOMERS
from shared.db import Database
from shared.events import Event, to_envelope
from tests.complaints.conftest import MONDAY_10_CN, FakeClock, new_customer
from tests.complaints.test_events import file as file_via_api
from tests.complaints.test_events import publish
from tests.complaints.test_sla import cn, file, move
from tests.kafka_helpers import eventually

MONDAY = cn(2026, 11, 2, 10)
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


async def consume(
    session: AsyncSession, settings: ComplaintsSettings, event: Event, *, at: dt.datetime = MONDAY
) -> None:
    """Apply one event as the complaints consumers would, in one committed transaction."""
    handlers = {
        type_: handler
        for spec in make_consumers(settings, FakeClock(at))
        for type_, handler in spec.handlers.items()
    }
    await handlers[event.type](session, event, to_envelope(event, source="rapport/test"))
    await session.commit()


def merged(survivor: uuid.UUID, merged_id: uuid.UUID) -> CustomersMergedV1:
    """A merge of `merged_id` into `survivor`."""
    return CustomersMergedV1(
        customer_id=survivor,
        merged_customer_id=merged_id,
        identities_moved=1,
        interactions_moved=2,
        merged_at=MONDAY,
    )


def tier_changed(customer_id: uuid.UUID, tier: str, previous: str = "iron") -> TierChangedV1:
    """Scoring moving a customer to `tier`."""
    return TierChangedV1(
        customer_id=customer_id,
        previous_tier=previous,
        tier=tier,
        clv=1000.0,
        churn_risk=0.1,
        changed_at=MONDAY,
    )


def contact(customer_id: uuid.UUID, when: dt.datetime = MONDAY) -> CallEventRecordedV1:
    """The first event of a call from `customer_id`."""
    return CallEventRecordedV1(
        call_event_id=uuid.uuid4(),
        customer_id=customer_id,
        provider="asterisk",
        call_id="c-1",
        sequence_number=0,
        status="ringing",
        occurred_at=when,
        first_event_of_call=True,
    )


async def complaint(db: Database, complaint_id: uuid.UUID) -> Complaint:
    """A complaint as stored, read in a fresh session."""
    async with db.sessionmaker() as s:
        return await service.get_complaint(s, complaint_id)


async def actions(db: Database, complaint_id: uuid.UUID) -> list[str]:
    """A complaint's audit actions, oldest first."""
    async with db.sessionmaker() as s:
        return [e.action for e in await repository.audit_trail(s, complaint_id)]


async def listed(db: Database, customer_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids the complaint listing shows for a customer."""
    async with db.sessionmaker() as s:
        page = await repository.page_of_complaints(
            s, limit=200, after=None, customer_id=customer_id
        )
        return {c.id for c in page}


async def profile(db: Database, customer_id: uuid.UUID) -> CustomerProfile | None:
    """The stored profile of a customer, if any."""
    async with db.sessionmaker() as s:
        return await repository.get_profile(s, customer_id)


async def count(db: Database, model: Any, *where: Any) -> int:
    """Rows of `model` matching `where`."""
    async with db.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# --- merges ----------------------------------------------------------------------------------


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
        assert (await actions(db, moved.id))[-1] == "customer_merged"
    async with db.sessionmaker() as s:
        entry = (await repository.audit_trail(s, open_one.id))[-1]
    assert entry.actor == "system"
    assert entry.details["customer_id"] == {"from": str(gone), "to": str(survivor)}
    assert "merged" in (entry.reason or "")
    assert (await complaint(db, open_one.id)).version > version_before
    assert await actions(db, own.id) == ["filed"]
    assert await count(db, ContactSeen, ContactSeen.customer_id == survivor) == 2
    assert await count(db, ContactSeen, ContactSeen.customer_id == gone) == 0
    report = await complaint_report(session, start=START, end=END)
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
    assert (await actions(db, own.id))[-1] == "sla_retargeted"


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
    assert (await actions(db, theirs.id))[-2:] == ["customer_merged", "sla_retargeted"]


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
    trail = await actions(db, theirs.id)

    await consume(session, settings, event, at=MONDAY + dt.timedelta(hours=1))

    after = await complaint(db, theirs.id)
    assert (after.customer_id, after.version, after.priority) == (
        survivor,
        before.version,
        before.priority,
    )
    assert await actions(db, theirs.id) == trail
    assert await count(db, CustomerAlias, CustomerAlias.merged_id == gone) == 1
    kept = await profile(db, survivor)
    assert kept is not None and kept.tier == "gold"


# --- erasure ---------------------------------------------------------------------------------


async def test_deletion_erases_personal_text_but_keeps_the_complaints(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    erased_customer, other = uuid.uuid4(), uuid.uuid4()
    first = await file(
        session,
        settings,
        MONDAY,
        customer_id=erased_customer,
        description="My neighbour Li Wei at 12 Garden Road saw the courier throw it.",
        remedy_sought="Call me on 138 0013 8000.",
    )
    await service.update_complaint(
        session,
        first.id,
        ComplaintUpdate(
            description="Courier threw my parcel, said Li Wei of 12 Garden Road.",
            root_cause="company",
            root_cause_detail="Courier confirmed; customer's address 12 Garden Road.",
        ),
        expected_version=None,
        actor="agent",
        now=cn(2026, 11, 2, 11),
        settings=settings,
    )
    await session.commit()
    await move(session, settings, first, cn(2026, 11, 2, 11), "acknowledged", "assessed")
    await move(
        session,
        settings,
        first,
        cn(2026, 11, 3, 10),
        "response_proposed",
        "decision_communicated",
        "closed_accepted",
    )
    await service.record_survey(
        session, first.id, SurveyCreate(csat=4, comment="Thanks, Li Wei"), now=cn(2026, 11, 3, 11)
    )
    await session.commit()
    second = await file(session, settings, MONDAY, customer_id=erased_customer, category="delivery")
    untouched = await file(session, settings, MONDAY, customer_id=other)
    await consume(session, settings, tier_changed(erased_customer, "gold"))
    await consume(session, settings, contact(erased_customer))
    await consume(session, settings, contact(other))
    report_before = await complaint_report(session, start=START, end=END)

    deletion = CustomerDeletedV1(customer_id=erased_customer, deleted_at=cn(2026, 11, 4, 9))
    await consume(session, settings, deletion, at=cn(2026, 11, 4, 9))

    kept = await complaint(db, first.id)
    assert (kept.description, kept.remedy_sought, kept.root_cause_detail) == ("", None, None)
    assert kept.decision_summary is None
    assert (kept.customer_id, kept.category, kept.state, kept.root_cause) == (
        erased_customer,
        "billing",
        "closed_accepted",
        "company",
    )
    assert kept.acknowledged_at is not None and kept.decision_communicated_at is not None
    assert kept.acknowledgement_due_at is not None
    async with db.sessionmaker() as s:
        trail = list(await repository.audit_trail(s, first.id))
        survey = await s.scalar(
            select(SatisfactionSurvey).where(SatisfactionSurvey.complaint_id == first.id)
        )
    assert trail[-1].action == "personal_data_erased"
    assert trail[-1].reason == "personal data erased"
    assert "description" in trail[-1].details["fields"]
    assert "Garden Road" not in repr([(e.reason, e.details) for e in trail])
    edit = next(e for e in trail if e.action == "updated")
    assert edit.details["description"] == {"from": "[erased]", "to": "[erased]"}
    assert edit.details["root_cause"] == {"from": "unknown", "to": "company"}
    assert survey is not None and (survey.csat, survey.comment) == (4, None)
    assert (await actions(db, second.id))[-1] == "personal_data_erased"
    assert (await complaint(db, untouched.id)).description == "Charged twice."
    assert await profile(db, erased_customer) is None
    assert await count(db, ContactSeen, ContactSeen.customer_id == erased_customer) == 0
    assert await count(db, ContactSeen, ContactSeen.customer_id == other) == 1

    report_after = await complaint_report(session, start=START, end=END)
    unchanged = {"contacts", "complaints_per_1000_contacts"}
    assert report_after.model_dump(exclude=unchanged) == report_before.model_dump(exclude=unchanged)
    assert report_after.complaints == report_before.complaints
    # The erased customer's contacts are gone from the denominator (see docs/complaints.md).
    assert report_after.contacts == report_before.contacts - 1


async def test_a_redelivered_deletion_adds_nothing(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    customer = uuid.uuid4()
    theirs = await file(session, settings, MONDAY, customer_id=customer)
    deletion = CustomerDeletedV1(customer_id=customer, deleted_at=MONDAY)
    await consume(session, settings, deletion)
    before = await complaint(db, theirs.id)

    await consume(session, settings, deletion)

    assert (await complaint(db, theirs.id)).version == before.version
    assert (await actions(db, theirs.id)).count("personal_data_erased") == 1


async def test_deleting_a_survivor_erases_complaints_filed_under_its_merged_ids(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    survivor, gone = uuid.uuid4(), uuid.uuid4()
    await consume(session, settings, merged(survivor, gone))
    # Filed through the API after the merge, under the old id: accepted as is.
    late = await file(session, settings, MONDAY, customer_id=gone)

    await consume(session, settings, CustomerDeletedV1(customer_id=survivor, deleted_at=MONDAY))

    assert (await complaint(db, late.id)).description == ""
    assert await count(db, CustomerAlias, CustomerAlias.customer_id == survivor) == 0
    assert await count(db, ComplaintAudit, ComplaintAudit.complaint_id == late.id) == 2


# --- over the broker -------------------------------------------------------------------------


async def test_merge_and_deletion_over_the_broker(api: httpx.AsyncClient) -> None:
    survivor, gone = new_customer(), new_customer()
    theirs = await file_via_api(api, customer_id=gone, description="Ring me at home, 5 Elm St.")

    await publish(api, CONTACT_CUSTOMERS, merged(uuid.UUID(survivor), uuid.UUID(gone)))

    async def moved() -> bool:
        page = (await api.get("/v1/complaints", params={"customer_id": survivor})).json()
        return [c["id"] for c in page["items"]] == [theirs["id"]]

    await eventually(moved, what="the complaint to be listed under the survivor")
    trail = (await api.get(f"/v1/complaints/{theirs['id']}/audit")).json()
    assert [e["action"] for e in trail] == ["filed", "customer_merged"]
    read = await api.get(f"/v1/complaints/{theirs['id']}")
    assert read.json()["version"] > theirs["version"]
    assert read.headers["ETag"] == f'"{read.json()["version"]}"'

    deleted_at = MONDAY_10_CN + dt.timedelta(days=1)
    await publish(
        api,
        CONTACT_CUSTOMERS,
        CustomerDeletedV1(customer_id=uuid.UUID(survivor), deleted_at=deleted_at),
    )

    async def erased() -> bool:
        body = (await api.get(f"/v1/complaints/{theirs['id']}")).json()
        return bool(body["description"] == "")

    await eventually(erased, what="the complaint's text to be erased")
    after = (await api.get(f"/v1/complaints/{theirs['id']}")).json()
    assert (after["customer_id"], after["category"], after["state"]) == (
        survivor,
        theirs["category"],
        theirs["state"],
    )
