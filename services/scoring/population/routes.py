"""HTTP routes of the population views, each scoring every customer now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.scoring.dependencies import Models, Settings
from services.scoring.population import reports, service
from services.scoring.population.schemas import ChurnRateRead, DistributionRead, EquityRead
from shared.api import Session, allow, problem

router = APIRouter(
    prefix="/v1/scores",
    tags=["population"],
    responses={404: problem("No model fitted yet")},
)


async def _everyone(session: Session, settings: Settings, models: Models) -> reports.Population:
    return await service.score_everyone(session, settings=settings, models=models)


# Every customer scored now with the latest model (404 before the first fit).
Everyone = Annotated[reports.Population, Depends(_everyone)]


@router.get(
    "/distribution",
    response_model=DistributionRead,
    summary="Customers by tier and stage",
    dependencies=allow("scores:population"),
)
async def read_distribution(everyone: Everyone) -> reports.Distribution:
    """Customers per tier, RFM segment and lifecycle stage, scored now."""
    return reports.distribution(everyone)


@router.get(
    "/equity",
    response_model=EquityRead,
    summary="Customer equity: the sum of all CLV",
    dependencies=allow("scores:population"),
)
async def read_equity(everyone: Everyone) -> reports.Equity:
    """Customer equity: the sum of every customer's CLV, in total and by tier."""
    return reports.equity(everyone)


@router.get(
    "/churn-rate",
    response_model=ChurnRateRead,
    summary="Churn rate and average lifetime",
    dependencies=allow("scores:population"),
)
async def read_churn_rate(everyone: Everyone) -> reports.ChurnRate:
    """Population churn rate over the horizon and the average lifetime it implies."""
    return reports.churn_rate(everyone)
