"""`/v1/follow-up-policies`: the relationship level per tier and kind of customer; follow-ups."""

from __future__ import annotations

import uuid
from typing import Annotated, cast

from fastapi import APIRouter, Query

from services.contact.followups import service
from services.contact.followups.levels import DOES, LEVELS, Level
from services.contact.followups.models import FollowUpPolicy
from services.contact.followups.schemas import (
    CustomerKind,
    FollowUpPage,
    FollowUpRead,
    LevelRead,
    PolicyRead,
    PolicyTier,
    PolicyWrite,
)
from shared.api import Session, allow, problem
from shared.i18n import name_of

router = APIRouter(tags=["follow-ups"])


def _names(level: Level) -> tuple[str, str]:
    """The level's Chinese and English names, from the catalogue."""
    return (
        name_of("relationship_level", level, "zh") or level,
        name_of("relationship_level", level, "en") or level,
    )


def _read(policy: FollowUpPolicy) -> PolicyRead:
    level = cast(Level, policy.level)
    zh, en = _names(level)
    return PolicyRead.model_validate(
        {
            "tier": policy.tier,
            "customer_kind": policy.customer_kind,
            "level": level,
            "queue": policy.queue,
            "csat_at_most": policy.csat_at_most,
            "level_name_zh": zh,
            "level_name_en": en,
            "updated_at": policy.updated_at,
        }
    )


@router.get(
    "/v1/follow-up-levels",
    dependencies=allow("follow-ups:read"),
    response_model=list[LevelRead],
    summary="The relationship levels (基本型 … 伙伴型) and what each does after contacts",
)
async def list_levels() -> list[LevelRead]:
    return [
        LevelRead(level=level, name_zh=_names(level)[0], name_en=_names(level)[1], does=DOES[level])
        for level in LEVELS
    ]


@router.get(
    "/v1/follow-up-policies",
    dependencies=allow("follow-ups:read"),
    response_model=list[PolicyRead],
    summary="The relationship level kept with each tier and kind of customer",
)
async def list_policies(session: Session) -> list[PolicyRead]:
    return [_read(p) for p in await service.list_policies(session)]


@router.put(
    "/v1/follow-up-policies/{tier}/{customer_kind}",
    dependencies=allow("follow-ups:manage"),
    response_model=PolicyRead,
    summary="Set the relationship level, call-back queue and low-score bound of a policy",
    responses={404: problem("No such policy"), 422: problem("Invalid policy")},
)
async def set_policy(
    tier: PolicyTier, customer_kind: CustomerKind, data: PolicyWrite, session: Session
) -> PolicyRead:
    policy = await service.set_policy(session, tier=tier, kind=customer_kind, data=data)
    return _read(policy)


@router.get(
    "/v1/customers/{customer_id}/follow-ups",
    dependencies=allow("follow-ups:read"),
    response_model=FollowUpPage,
    summary="The call-back tasks follow-up policies created for a customer, newest first",
    responses={400: problem("Invalid cursor")},
)
async def list_follow_ups(
    customer_id: uuid.UUID,
    session: Session,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> FollowUpPage:
    page, next_cursor = await service.follow_ups_of(
        session, customer_id, cursor=cursor, limit=limit
    )
    return FollowUpPage(
        items=[FollowUpRead.model_validate(f) for f in page], next_cursor=next_cursor
    )
