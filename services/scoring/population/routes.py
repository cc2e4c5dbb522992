"""HTTP routes of the population views, each scoring every customer now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.scoring.dependencies import Models, Settings
from services.scoring.population import reports, service
from services.scoring.population.schemas import (
    AbcRead,
    ChurnRateRead,
    ChurnRead,
    DistributionRead,
    EquityRead,
    LoyaltyRead,
)
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
    summary="Model-based churn: mean probability of no purchase over the horizon",
    dependencies=allow("scores:population"),
)
async def read_churn_rate(everyone: Everyone) -> reports.ChurnRate:
    """Expected churn from the model over the horizon and the lifetime it implies."""
    return reports.churn_rate(everyone)


@router.get(
    "/abc",
    response_model=AbcRead,
    summary="ABC analysis by profit and the 80/20/30 view",
    dependencies=allow("scores:population"),
)
async def read_abc(session: Session, settings: Settings) -> service.AbcView:
    """Customers in ABC classes by profit (revenue - cost to serve), and the 80/20/30 view."""
    return await service.abc_view(session, settings=settings)


@router.get(
    "/churn",
    response_model=ChurnRead,
    summary="Churn counted (lost ÷ active) per month and tier, by cause, beside the model's",
    dependencies=allow("scores:population"),
)
async def read_churn(
    session: Session,
    settings: Settings,
    models: Models,
    months: Annotated[int, Query(ge=1, le=60, description="Whole months before this one.")] = 12,
) -> service.ChurnView:
    """Churn rate = lost ÷ active and lifetime = 1 ÷ churn rate, counted from customer states."""
    return await service.churn_view(session, settings=settings, models=models, months=months)


@router.get(
    "/loyalty",
    response_model=LoyaltyRead,
    summary="Loyalty per tier: repeat purchase, share of wallet, price tolerance, NPS",
    dependencies=allow("scores:population"),
)
async def read_loyalty(session: Session) -> service.LoyaltyView:
    """Loyalty measures of everyone and of each tier."""
    return await service.loyalty_view(session)
