"""What routes, consumers and the timer are handed: settings, clock, actor, If-Match."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from services.complaints.complaints.etag import expected_version
from services.complaints.settings import ComplaintsSettings
from shared.api import problem, settings_dependency
from shared.identity import Caller

# The source of the current time: `create_app(clock=...)` lets tests drive it.
Clock = Callable[[], dt.datetime]

Settings = Annotated[ComplaintsSettings, Depends(settings_dependency(ComplaintsSettings))]


async def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


Now = Annotated[dt.datetime, Depends(_now)]


def _actor(caller: Caller) -> str:
    return caller.actor


# Who is acting, for the audit trail: the agent id of a person, else the caller's subject, as
# the gateway vouched for it (never a header the client sets).
Actor = Annotated[str, Depends(_actor)]
_IfMatch = Annotated[str | None, Header(alias="If-Match")]


def _version_required(if_match: _IfMatch = None) -> int | None:
    return expected_version(if_match, required=True)


def _version_if_sent(if_match: _IfMatch = None) -> int | None:
    return expected_version(if_match, required=False)


# The version `If-Match` names: required (428 without it), or checked only when sent.
RequiredVersion = Annotated[int | None, Depends(_version_required)]
VersionIfSent = Annotated[int | None, Depends(_version_if_sent)]

# OpenAPI `responses` of the errors the complaint routes answer with.
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No such complaint")}
INVALID: dict[int | str, dict[str, Any]] = {422: problem("Invalid request")}
ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: problem("Not allowed in the complaint's state"),
    412: problem("If-Match does not match the current version"),
    **INVALID,
}
