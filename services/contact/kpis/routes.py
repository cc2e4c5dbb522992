"""`GET /v1/kpis` and `GET /v1/queues/{queue_id}/live`: call-center KPIs, historical and live."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from services.contact.dependencies import Settings
from services.contact.kpis import definitions, intervals, service
from services.contact.kpis.errors import InvalidWindowError
from services.contact.kpis.schemas import (
    CountersRead,
    FiguresRead,
    GroupRead,
    KpiReport,
    LiveQueueRead,
)
from services.contact.kpis.service import Dimension, KpiQuery, Report
from shared.api import Session, allow, problem
from shared.db import utcnow

router = APIRouter(tags=["kpis"])
MAX_WINDOW = dt.timedelta(days=400)
NO_TIER = "none"


def report_read(report: Report, group_by: list[str]) -> KpiReport:
    """The report as answered: "" dimensions (no agent, no tier) are null."""
    return KpiReport(
        since=report.since,
        until=report.until,
        stored_until=report.stored_until,
        group_by=group_by,
        groups=[
            GroupRead(
                key={name: value or None for name, value in group.key.items()},
                counters=CountersRead(**asdict(group.counters)),
                figures=FiguresRead(**asdict(group.figures)),
            )
            for group in report.groups
        ],
    )


def _window(since: dt.datetime, until: dt.datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidWindowError("give `from` and `to` with their time zone")
    if since >= until:
        raise InvalidWindowError("`from` must come before `to`")
    if until - since > MAX_WINDOW:
        raise InvalidWindowError(f"at most {MAX_WINDOW.days} days")


@router.get(
    "/v1/kpis",
    dependencies=allow("kpis:read"),
    response_model=KpiReport,
    response_model_by_alias=True,
    summary="Call-center KPIs for any window, overall or by queue, tier, agent and channel",
    description=f"{definitions.__doc__}\n\n{intervals.__doc__}\n\n"
    "Whole intervals already rolled up are read "
    "from the stored 15-minute rows; the rest of the window (its ragged ends and what is not "
    "rolled up yet, such as the interval in progress) from the contact and presence rows, by "
    "the same code. A window reaching past now stops at now (live figures).",
    responses={422: problem("Invalid window or dimension")},
)
async def read_kpis(
    session: Session,
    settings: Settings,
    since: Annotated[dt.datetime, Query(alias="from", description="Window start (with zone).")],
    until: Annotated[dt.datetime, Query(alias="to", description="Window end, exclusive.")],
    group_by: Annotated[list[Dimension] | None, Query(description="Repeat to nest.")] = None,
    queue_id: uuid.UUID | None = None,
    tier: Annotated[str | None, Query(max_length=10, description="`none`: no tier.")] = None,
    agent_id: uuid.UUID | None = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
) -> KpiReport:
    _window(since, until)
    dims = list(dict.fromkeys(group_by or []))
    query = KpiQuery(
        since=since.astimezone(dt.UTC),
        until=until.astimezone(dt.UTC),
        group_by=tuple(dims),
        queue=str(queue_id) if queue_id else None,
        tier=("" if tier == NO_TIER else tier),
        agent=str(agent_id) if agent_id else None,
        channel=channel,
    )
    report = await service.kpi_report(session, settings, query, now=utcnow())
    return report_read(report, list(dims))


@router.get(
    "/v1/queues/{queue_id}/live",
    dependencies=allow("kpis:read"),
    response_model=LiveQueueRead,
    response_model_by_alias=True,
    summary="A queue now: waiting, longest wait, agents by presence, and today's KPIs",
    description="Waiting and offered contacts and the longest wait are read from the line "
    "as it is now; agents are those with every skill the queue requires, counted per presence "
    "state (available, on_contact, after_call_work, paused, offline). `today` holds the "
    "figures of `GET /v1/kpis` for this queue since midnight in the queue's time zone.",
    responses={404: problem("No such queue")},
)
async def read_live_queue(
    queue_id: uuid.UUID, session: Session, settings: Settings
) -> LiveQueueRead:
    live = await service.live_queue(session, settings, queue_id, now=utcnow())
    return LiveQueueRead(
        queue_id=live.queue_id,
        name=live.name,
        at=live.at,
        waiting=live.waiting,
        offered=live.offered,
        longest_wait_seconds=live.longest_wait_seconds,
        oldest_entered_at=live.oldest_entered_at,
        agents_by_presence=live.agents_by_presence,
        today=report_read(live.today, []),
    )
