"""HTTP routes of retention programmes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from services.scoring.programmes import service
from services.scoring.programmes.effect import Interval
from services.scoring.programmes.schemas import (
    EffectRead,
    Group,
    GroupOutcomeRead,
    IntervalRead,
    MemberPage,
    MemberRead,
    ProgrammeCreate,
    ProgrammePage,
    ProgrammeRead,
)
from shared.api import Session, allow, problem
from shared.db import utcnow

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No such programme")}


@router.post(
    "",
    dependencies=allow("programmes:manage"),
    response_model=ProgrammeRead,
    status_code=201,
    summary="Define a retention programme (a draft: nobody is contacted until launch)",
    responses={422: problem("Invalid programme")},
)
async def create_programme(
    data: ProgrammeCreate, session: Session, response: Response
) -> ProgrammeRead:
    """Define whom, the goal, the content, the cost, the channel and frequency, and the window."""
    programme = await service.create_programme(session, data, now=utcnow())
    response.headers["Location"] = f"/v1/programmes/{programme.id}"
    return ProgrammeRead.model_validate(programme)


@router.get(
    "",
    dependencies=allow("programmes:read"),
    response_model=ProgrammePage,
    summary="List retention programmes, newest first",
    responses={400: problem("Bad cursor")},
)
async def list_programmes(
    session: Session,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> ProgrammePage:
    """Retention programmes, newest first."""
    page, next_cursor = await service.list_programmes(session, cursor=cursor, limit=limit)
    return ProgrammePage(
        items=[ProgrammeRead.model_validate(p) for p in page], next_cursor=next_cursor
    )


@router.get(
    "/{programme_id}",
    dependencies=allow("programmes:read"),
    response_model=ProgrammeRead,
    summary="Read a retention programme",
    responses=NOT_FOUND,
)
async def read_programme(programme_id: uuid.UUID, session: Session) -> ProgrammeRead:
    """A retention programme and how many it treated and held out."""
    return ProgrammeRead.model_validate(await service.get_programme(session, programme_id))


@router.post(
    "/{programme_id}/launch",
    dependencies=allow("programmes:manage"),
    response_model=ProgrammeRead,
    summary="Launch: draw the target, hold out a random control group, request outreach",
    description=(
        "Customers matching the target by their last published scores are split at random "
        "(seeded; the seed is recorded) into a treated and a control group. Each treated "
        "customer gets one `scoring.outreach_requested` event, which the contact service turns "
        "into a task in the programme's queue; control customers are left untouched."
    ),
    responses={
        **NOT_FOUND,
        409: problem("Launched already, or the target is too small for two groups"),
    },
)
async def launch_programme(programme_id: uuid.UUID, session: Session) -> ProgrammeRead:
    """Draw the groups and request the first round of contact."""
    programme = await service.launch_programme(session, programme_id, now=utcnow())
    return ProgrammeRead.model_validate(programme)


@router.post(
    "/{programme_id}/rounds",
    dependencies=allow("programmes:manage"),
    response_model=ProgrammeRead,
    summary="Request the next round of contact for the treated group",
    description="Allowed `interval_days` after the last round, up to `contacts_per_member`.",
    responses={**NOT_FOUND, 409: problem("Not launched, not due yet, or every round sent")},
)
async def send_next_round(programme_id: uuid.UUID, session: Session) -> ProgrammeRead:
    """Request the next round of contact."""
    programme = await service.send_next_round(session, programme_id, now=utcnow())
    return ProgrammeRead.model_validate(programme)


@router.get(
    "/{programme_id}/members",
    dependencies=allow("programmes:read"),
    response_model=MemberPage,
    summary="Export a programme's members: who was treated and who held out",
    responses={**NOT_FOUND, 400: problem("Bad cursor")},
)
async def list_members(
    programme_id: uuid.UUID,
    session: Session,
    group: Group | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> MemberPage:
    """A programme's members with their group, scores and net spend at the draw."""
    page, next_cursor = await service.list_members(
        session, programme_id, group=group, cursor=cursor, limit=limit
    )
    return MemberPage(items=[MemberRead.model_validate(m) for m in page], next_cursor=next_cursor)


@router.get(
    "/{programme_id}/effect",
    dependencies=allow("programmes:read"),
    response_model=EffectRead,
    summary="The measured effect: retention and spend of treated against control",
    description=(
        "Retention is an order in the window from launch to `as_of` (at most "
        "`measurement_days`); its uplift has Newcombe's hybrid score interval, the spend "
        "uplift Welch's interval; cost per retained customer = total cost / (uplift x treated)."
    ),
    responses={**NOT_FOUND, 409: problem("Not launched yet")},
)
async def read_effect(
    programme_id: uuid.UUID,
    session: Session,
    as_of: AwareDatetime | None = None,
    confidence: Annotated[float, Query(ge=0.5, le=0.999)] = 0.95,
) -> EffectRead:
    """Treated against control, measured now or as of a moment."""
    effect = await service.measure_effect(
        session, programme_id, as_of=as_of or utcnow(), confidence=confidence
    )
    return _effect_read(effect)


def _effect_read(effect: service.Effect) -> EffectRead:
    c = effect.comparison
    return EffectRead(
        programme_id=effect.programme_id,
        window_start=effect.window_start,
        window_end=effect.window_end,
        complete=effect.complete,
        confidence=effect.confidence,
        treated=GroupOutcomeRead.model_validate(c.treated, from_attributes=True),
        control=GroupOutcomeRead.model_validate(c.control, from_attributes=True),
        retention_uplift=_interval(c.retention_uplift, "newcombe-hybrid-score"),
        spend_uplift=_interval(c.spend_uplift, "welch") if c.spend_uplift else None,
        contacts_requested=effect.contacts_requested,
        total_cost=effect.total_cost,
        retained_by_programme=c.retained_by_programme,
        cost_per_retained_customer=c.cost_per_retained_customer,
    )


def _interval(value: Interval, method: str) -> IntervalRead:
    return IntervalRead(estimate=value.estimate, low=value.low, high=value.high, method=method)
