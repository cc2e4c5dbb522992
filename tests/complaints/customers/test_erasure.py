"""Customer erasure from `contact.customers`, on both databases and over the broker.

Most tests call the consumer group's handlers with a real session, as the consumer runner
does (it commits after the handler); the last one goes through the real broker and the API.
"""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit.repository import audit_trail
from services.complaints.complaints.schemas import ComplaintUpdate
from services.complaints.complaints.service import update_complaint
from services.complaints.models import (
    Complaint,
    ComplaintAudit,
    ContactSeen,
    CustomerAlias,
    SatisfactionSurvey,
)
from services.complaints.reports.service import complaint_report
from services.complaints.settings import ComplaintsSettings
from services.complaints.surveys.schemas import SurveyCreate
from services.complaints.surveys.service import record_survey
from shared.contracts.contact import CustomerDeletedV1
from shared.contracts.topics import CONTACT_CUSTOMERS
from shared.db import Database
from tests.complaints.conftest import MONDAY_10_CN, new_customer
from tests.complaints.customers.helpers import (
    END,
    MONDAY,
    START,
    actions_of,
    complaint,
    consume,
    contact,
    count,
    merged,
    profile,
    tier_changed,
)
from tests.complaints.helpers import close_accepted, cn, file, file_via_api, publish
from tests.kafka_helpers import eventually


async def _closed_complaint_with_personal_text(
    session: AsyncSession, settings: ComplaintsSettings, customer: uuid.UUID
) -> Complaint:
    """A complaint whose text, edits and survey comment name people and places; closed."""
    first = await file(
        session,
        settings,
        MONDAY,
        customer_id=customer,
        description="My neighbour Li Wei at 12 Garden Road saw the courier throw it.",
        remedy_sought="Call me on 138 0013 8000.",
    )
    await update_complaint(
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
    await close_accepted(
        session, settings, first, acknowledged=cn(2026, 11, 2, 11), decided=cn(2026, 11, 3, 10)
    )
    await record_survey(
        session, first.id, SurveyCreate(csat=4, comment="Thanks, Li Wei"), now=cn(2026, 11, 3, 11)
    )
    await session.commit()
    return first


async def test_deletion_erases_personal_text_but_keeps_the_complaints(
    session: AsyncSession, settings: ComplaintsSettings, db: Database
) -> None:
    erased_customer, other = uuid.uuid4(), uuid.uuid4()
    first = await _closed_complaint_with_personal_text(session, settings, erased_customer)
    second = await file(session, settings, MONDAY, customer_id=erased_customer, category="delivery")
    untouched = await file(session, settings, MONDAY, customer_id=other)
    await consume(session, settings, tier_changed(erased_customer, "gold"))
    await consume(session, settings, contact(erased_customer))
    await consume(session, settings, contact(other))
    report_before = await complaint_report(session, start=START, end=END, now=END)

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
        trail = list(await audit_trail(s, first.id))
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
    assert (await actions_of(db, second.id))[-1] == "personal_data_erased"
    assert (await complaint(db, untouched.id)).description == "Charged twice."
    assert await profile(db, erased_customer) is None
    assert await count(db, ContactSeen, ContactSeen.customer_id == erased_customer) == 0
    assert await count(db, ContactSeen, ContactSeen.customer_id == other) == 1

    report_after = await complaint_report(session, start=START, end=END, now=END)
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
    assert (await actions_of(db, theirs.id)).count("personal_data_erased") == 1


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
