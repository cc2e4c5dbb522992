"""HTTP routes of the population model: read the latest fit, refit now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request

from services.scoring.dependencies import Scoring
from services.scoring.model import jobs, service
from services.scoring.model.schemas import ModelRead
from services.scoring.models import ModelFit
from shared.api import Session, allow, problem

router = APIRouter(prefix="/v1/model", tags=["model"])


@router.get(
    "",
    dependencies=allow("model:read"),
    response_model=ModelRead,
    summary="The latest fit: parameters, log-likelihood, fit time, tier cut points",
    responses={404: problem("No model fitted yet")},
)
async def read_model(session: Session) -> ModelFit:
    """The latest fit."""
    return await service.get_model(session)


@router.post(
    "/refit",
    dependencies=allow("model:refit"),
    response_model=ModelRead,
    status_code=201,
    summary="Fit BG/NBD and Gamma-Gamma on every buyer now and rebuild the thresholds",
    responses={409: problem("Too few customers to fit")},
)
async def refit(
    session: Session,
    scorer: Scoring,
    request: Request,
    background: BackgroundTasks,
    rescore: Annotated[
        bool, Query(description="Afterwards, rescore everyone and publish what changed.")
    ] = False,
) -> ModelFit:
    """Fit the models now; with `rescore`, rescore everyone once the response is sent."""
    fit = await service.refit(
        session, settings=scorer.settings, models=scorer.models, trigger="api"
    )
    if rescore:
        background.add_task(jobs.rescore_all, request.app.state.db, scorer=scorer)
    return fit
