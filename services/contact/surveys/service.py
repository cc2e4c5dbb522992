"""Surveys: sending one after a contact, taking the answer, reading them."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.calls import repository as calls
from services.contact.errors import (
    CallNotFoundError,
    ContactNotFoundError,
    SurveyAnsweredError,
    SurveyAnswerMismatchError,
    SurveyExistsError,
    SurveyNotFoundError,
    SurveyWithoutCustomerError,
)
from services.contact.events import stage
from services.contact.followups import service as followups
from services.contact.followups.levels import SurveyAnswered
from services.contact.models import Contact
from services.contact.settings import ContactSettings
from services.contact.surveys import repository
from services.contact.surveys.models import Survey
from services.contact.surveys.quality import classify
from services.contact.surveys.schemas import SurveyAnswer, SurveySend
from shared.contracts.contact import SurveyCompletedV1
from shared.inserts import try_insert
from shared.pagination import page_of

# The answer fields each question is answered with.
_FIELDS = {
    "csat": ("csat",),
    "nps": ("nps",),
    "quality": ("expected_quality", "perceived_quality"),
}


async def _surveyed(session: AsyncSession, data: SurveySend) -> tuple[uuid.UUID, str]:
    """The customer and channel of the contact the survey follows."""
    if data.call_id is not None:
        call = await calls.find_call_by_id(session, data.call_id)
        if call is None:
            raise CallNotFoundError(data.call_id)
        if call.customer_id is None:
            raise SurveyWithoutCustomerError(call.id)
        return call.customer_id, "voice"
    contact = await session.get(Contact, data.contact_id)
    if contact is None:
        raise ContactNotFoundError(data.contact_id)
    if contact.customer_id is None:
        raise SurveyWithoutCustomerError(contact.id, "Contact")
    return contact.customer_id, contact.channel


async def send_survey(session: AsyncSession, data: SurveySend, *, now: dt.datetime) -> Survey:
    """Record a survey sent after a call or contact; one per contact."""
    customer_id, channel = await _surveyed(session, data)
    survey = Survey(
        id=uuid.uuid4(),
        customer_id=customer_id,
        call_id=data.call_id,
        contact_id=data.contact_id,
        channel=channel,
        questions=list(data.questions),
        via=data.via,
        state="sent",
        sent_at=now,
    )
    if not await try_insert(session, survey):
        existing = await repository.survey_of_contact(
            session, call_id=data.call_id, contact_id=data.contact_id
        )
        raise SurveyExistsError(existing.id if existing else "?")
    return survey


async def get_survey(session: AsyncSession, survey_id: uuid.UUID) -> Survey:
    """The survey; raises `SurveyNotFoundError`."""
    survey = await session.get(Survey, survey_id)
    if survey is None:
        raise SurveyNotFoundError(survey_id)
    return survey


def _check_answers(survey: Survey, data: SurveyAnswer) -> None:
    given = {name for name, value in data.model_dump().items() if value is not None}
    missing = [q for q in survey.questions if not set(_FIELDS[q]) <= given]
    unasked = sorted(
        f
        for q, fields in _FIELDS.items()
        if q not in survey.questions
        for f in fields
        if f in given
    )
    if missing or unasked:
        raise SurveyAnswerMismatchError(list(survey.questions), missing, unasked)


def _same_answer(survey: Survey, data: SurveyAnswer) -> bool:
    return all(getattr(survey, name) == value for name, value in data.model_dump().items())


async def answer_survey(
    session: AsyncSession,
    settings: ContactSettings,
    survey_id: uuid.UUID,
    data: SurveyAnswer,
    *,
    now: dt.datetime,
) -> Survey:
    """Store the answer, publish `contact.survey_completed` and apply the follow-up policy.

    The same answer posted again (an adapter retrying) returns the survey unchanged.
    """
    survey = await repository.lock_survey(session, survey_id)
    if survey is None:
        raise SurveyNotFoundError(survey_id)
    if survey.state == "answered":
        if _same_answer(survey, data):
            return survey
        raise SurveyAnsweredError(survey.id)
    _check_answers(survey, data)
    for name, value in data.model_dump().items():
        setattr(survey, name, value)
    if data.expected_quality is not None and data.perceived_quality is not None:
        survey.quality = classify(data.expected_quality, data.perceived_quality)
    survey.state, survey.answered_at = "answered", now
    await session.flush()
    completed = completed_event(survey)
    await stage(session, completed, key=str(survey.customer_id))
    await followups.follow_up(
        session,
        settings,
        customer_id=survey.customer_id,
        trigger=SurveyAnswered(csat=completed.csat, nps=completed.nps, quality=completed.quality),
        trigger_key=f"survey:{survey.id}",
        now=now,
    )
    return survey


def completed_event(survey: Survey) -> SurveyCompletedV1:
    """The `contact.survey_completed` of an answered survey."""
    fields = ("call_id", "contact_id", "channel", "questions", "csat", "nps", "quality")
    return SurveyCompletedV1.model_validate(
        {
            "survey_id": survey.id,
            "customer_id": survey.customer_id,
            "expected_quality": survey.expected_quality,
            "perceived_quality": survey.perceived_quality,
            "answered_at": survey.answered_at,
            **{name: getattr(survey, name) for name in fields},
        }
    )


async def surveys_of(
    session: AsyncSession, customer_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[Survey], str | None]:
    """A page of the customer's surveys, newest first, and the next page's cursor."""
    rows = await repository.surveys_of_customer(session, customer_id, cursor=cursor, limit=limit)
    return page_of(rows, limit, lambda s: (s.sent_at, s.id))


async def erase_personal_data(
    session: AsyncSession, customer_id: uuid.UUID, erased: frozenset[str]
) -> None:
    """An erased customer's survey answers keep their scores and lose their comments."""
    await repository.blank_comments(session, customer_id)
