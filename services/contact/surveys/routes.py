"""`/v1/surveys`: send a survey after a contact, post the customer's answer, read them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.contact.dependencies import Settings
from services.contact.surveys import service
from services.contact.surveys.schemas import SurveyAnswer, SurveyPage, SurveyRead, SurveySend
from shared.api import Session, allow, problem
from shared.db import utcnow

router = APIRouter(tags=["surveys"])


@router.post(
    "/v1/surveys",
    dependencies=allow("surveys:send"),
    response_model=SurveyRead,
    status_code=201,
    summary="Record a survey sent after a call, chat or e-mail contact",
    description=(
        "The channel system (an IVR after the call, an SMS or e-mail sender) asks the "
        "questions; its answer is posted to `/v1/surveys/{survey_id}/answer`. One survey per "
        "contact."
    ),
    responses={
        404: problem("No such call or contact"),
        409: problem("Already surveyed, or the call has no customer yet"),
        422: problem("Invalid survey"),
    },
)
async def send_survey(data: SurveySend, session: Session) -> SurveyRead:
    return SurveyRead.model_validate(await service.send_survey(session, data, now=utcnow()))


@router.post(
    "/v1/surveys/{survey_id}/answer",
    dependencies=allow("surveys:answer"),
    response_model=SurveyRead,
    summary="Post the customer's answer; publishes `contact.survey_completed`",
    description=(
        "Answer exactly the questions asked. Quality is classified from the expected (Q0) and "
        "perceived (Q1) quality: Q1 < Q0 unacceptable, Q1 = Q0 acceptable, Q1 > Q0 delighted. "
        "The customer's follow-up policy may create a call-back task. Posting the same answer "
        "again returns the survey unchanged; a different one is a 409."
    ),
    responses={
        404: problem("No such survey"),
        409: problem("Answered already, differently"),
        422: problem("Not the questions asked"),
    },
)
async def answer_survey(
    survey_id: uuid.UUID, data: SurveyAnswer, session: Session, settings: Settings
) -> SurveyRead:
    survey = await service.answer_survey(session, settings, survey_id, data, now=utcnow())
    return SurveyRead.model_validate(survey)


@router.get(
    "/v1/surveys/{survey_id}",
    dependencies=allow("surveys:read"),
    response_model=SurveyRead,
    summary="Read a survey and its answer",
    responses={404: problem("No such survey")},
)
async def read_survey(survey_id: uuid.UUID, session: Session) -> SurveyRead:
    return SurveyRead.model_validate(await service.get_survey(session, survey_id))


@router.get(
    "/v1/customers/{customer_id}/surveys",
    dependencies=allow("surveys:read"),
    response_model=SurveyPage,
    summary="A customer's surveys, newest first",
    responses={400: problem("Invalid cursor")},
)
async def list_surveys(
    customer_id: uuid.UUID,
    session: Session,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SurveyPage:
    page, next_cursor = await service.surveys_of(session, customer_id, cursor=cursor, limit=limit)
    return SurveyPage(items=[SurveyRead.model_validate(s) for s in page], next_cursor=next_cursor)
