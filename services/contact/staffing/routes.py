"""`POST /v1/staffing/erlang` and `GET /v1/queues/{queue_id}/staffing`: agents a target needs."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.contact.dependencies import Settings
from services.contact.staffing import erlang as formulas
from services.contact.staffing import service
from services.contact.staffing.erlang import Service
from services.contact.staffing.schemas import (
    ErlangAnswer,
    ErlangRequest,
    MeasuredLoad,
    QueueStaffing,
    ServiceRead,
)
from services.contact.staffing.service import Staffing
from shared.api import Session, allow, problem
from shared.db import utcnow

router = APIRouter(tags=["staffing"])
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


def _read(service_: Service | None) -> ServiceRead | None:
    return None if service_ is None else ServiceRead(**asdict(service_))


def _answer(staffing: Staffing) -> dict[str, object]:
    return {
        "model": staffing.model,
        "erlangs": staffing.erlangs,
        "required": _read(staffing.required),
        "one_fewer": _read(staffing.one_fewer),
        "at_agents": _read(staffing.at_agents),
    }


@router.post(
    "/v1/staffing/erlang",
    dependencies=allow("kpis:read"),
    response_model=ErlangAnswer,
    summary="Agents needed for a service-level target (Erlang C, or Erlang A with patience)",
    description=formulas.__doc__,
    responses={422: problem("Invalid load or unreachable target")},
)
async def erlang(data: ErlangRequest) -> ErlangAnswer:
    return ErlangAnswer.model_validate(_answer(await service.solve(data)))


@router.get(
    "/v1/queues/{queue_id}/staffing",
    dependencies=allow("kpis:read"),
    response_model=QueueStaffing,
    response_model_by_alias=True,
    summary="How many agents a queue needs in a weekly window, from its measured load",
    description="The queue's arrival rate (offered / hours), AHT ((talk + after-call work) / "
    "handled) and, for Erlang A, mean patience (Σ waits / abandons) are measured over the same "
    "weekday window of the last `weeks` weeks (the queue's time zone, before today), from the "
    "KPI intervals; any of them and the target (the queue's own by default) can be given "
    "instead. `model=erlang_a` lets callers abandon.",
    responses={404: problem("No such queue"), 422: problem("Nothing measured or invalid")},
)
async def queue_staffing(
    queue_id: uuid.UUID,
    session: Session,
    settings: Settings,
    weekday: Annotated[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], Query()],
    window_from: Annotated[str, Query(alias="from", pattern=HHMM)],
    window_to: Annotated[str, Query(alias="to", pattern=HHMM)],
    weeks: Annotated[int, Query(ge=1, le=26)] = 4,
    model: Literal["erlang_c", "erlang_a"] = "erlang_c",
    arrival_rate_per_hour: Annotated[float | None, Query(gt=0)] = None,
    aht_seconds: Annotated[float | None, Query(gt=0)] = None,
    patience_seconds: Annotated[float | None, Query(gt=0)] = None,
    target_percent: Annotated[float | None, Query(gt=0, lt=100)] = None,
    target_seconds: Annotated[float | None, Query(ge=0)] = None,
) -> QueueStaffing:
    measured, inputs, staffing = await service.queue_staffing(
        session,
        settings,
        queue_id,
        service.Window(
            weekday, dt.time.fromisoformat(window_from), dt.time.fromisoformat(window_to), weeks
        ),
        given={
            "arrival_rate_per_hour": arrival_rate_per_hour,
            "aht_seconds": aht_seconds,
            "patience_seconds": patience_seconds,
            "target_percent": target_percent,
            "target_seconds": target_seconds,
        },
        erlang_a_wanted=model == "erlang_a",
        now=utcnow(),
    )
    return QueueStaffing.model_validate(
        {
            **_answer(staffing),
            "queue_id": queue_id,
            "weekday": weekday,
            "window_from": window_from,
            "window_to": window_to,
            "measured": MeasuredLoad(
                dates=measured.dates,
                hours=measured.hours,
                offered=measured.counters.offered,
                handled=measured.counters.handled,
                abandoned=measured.counters.abandoned,
                arrival_rate_per_hour=measured.arrival_rate_per_hour,
                aht_seconds=measured.aht_seconds,
                patience_seconds=measured.patience_seconds,
            ),
            "inputs": inputs,
        }
    )
