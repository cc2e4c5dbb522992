"""Population views: every customer scored at once, ABC by profit, churn counted, loyalty."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.errors import ModelNotFittedError
from services.scoring.model.cache import ModelCache
from services.scoring.population import abc, repository
from services.scoring.population.churn_count import (
    TIER_KEYS,
    UNSCORED,
    Change,
    CountedChurn,
    counted_churn,
    month_starts,
)
from services.scoring.population.reports import ChurnRate, Population, churn_rate, score_population
from services.scoring.scores.loyalty import (
    RECOMMENDATION_SOURCE,
    GroupLoyalty,
    Loyalty,
    LoyaltyInputs,
    group_loyalty,
    loyalty,
)
from services.scoring.scores.policy import policy_of
from services.scoring.settings import ScoringSettings
from services.scoring.states import repository as states
from shared.db import utcnow

# A year of spend, for share of wallet.
YEAR = dt.timedelta(days=365)


async def score_everyone(
    session: AsyncSession,
    *,
    settings: ScoringSettings,
    models: ModelCache,
    now: dt.datetime | None = None,
) -> Population:
    """Score every customer with the latest model; raises `ModelNotFittedError`."""
    model = await models.current(session)
    if model is None:
        raise ModelNotFittedError()
    rows = await repository.all_stats(session)
    policy = policy_of(settings)
    return await asyncio.to_thread(score_population, rows, model, policy, now or utcnow())


@dataclass(frozen=True)
class AbcView:
    """Customers in ABC classes by profit, and the 80/20/30 view."""

    customers: int
    revenue: float
    cost_to_serve: float
    profit: float
    cost_per_handle_minute: float
    classes: dict[abc.AbcClass, abc.ClassFigures]
    pareto: abc.Pareto
    computed_at: dt.datetime


async def abc_view(session: AsyncSession, *, settings: ScoringSettings) -> AbcView:
    """ABC classes and the 80/20/30 view of every customer who ordered, profit to date."""
    rate = settings.cost_per_handle_minute
    customers = [
        abc.CustomerProfit(
            customer_id=r.customer_id,
            revenue=float(r.gross_spend - r.refunded),
            cost_to_serve=abc.cost_to_serve(r.handle_seconds, rate),
        )
        for r in await repository.profit_rows(session)
    ]
    return AbcView(
        customers=len(customers),
        revenue=round(sum(c.revenue for c in customers), 2),
        cost_to_serve=round(sum(c.cost_to_serve for c in customers), 2),
        profit=round(sum(c.profit for c in customers), 2),
        cost_per_handle_minute=rate,
        classes=abc.class_figures(customers, abc.abc_classes(customers)),
        pareto=abc.pareto(customers),
        computed_at=utcnow(),
    )


@dataclass(frozen=True)
class ChurnView:
    """Churn counted from customer states, with the model's expected churn beside it."""

    counted: CountedChurn
    model_based: ChurnRate | None
    computed_at: dt.datetime


async def churn_view(
    session: AsyncSession,
    *,
    settings: ScoringSettings,
    models: ModelCache,
    months: int,
    now: dt.datetime | None = None,
) -> ChurnView:
    """Lost ÷ active per month and tier over `months` whole months, and the model's figure."""
    now = now or utcnow()
    until = month_starts(now, months)[-1]
    changes = [
        Change(c.customer_id, c.state, c.transition, c.occurred_at, c.tier, c.causes or ())
        for c in await states.changes_until(session, until)
    ]
    counted = counted_churn(changes, now=now, months=months)
    model_based = None
    if await models.current(session) is not None:
        everyone = await score_everyone(session, settings=settings, models=models, now=now)
        model_based = churn_rate(everyone)
    return ChurnView(counted=counted, model_based=model_based, computed_at=now)


@dataclass(frozen=True)
class LoyaltyView:
    """Loyalty measures of everyone and of each tier."""

    everyone: GroupLoyalty
    by_tier: dict[str, GroupLoyalty]
    recommendation_source: str
    computed_at: dt.datetime


async def loyalty_view(session: AsyncSession, *, now: dt.datetime | None = None) -> LoyaltyView:
    """Repeat purchase, share of wallet, price tolerance and NPS, in total and per tier."""
    now = now or utcnow()
    spend = await repository.spend_since(session, (now - YEAR).date())
    by_tier: dict[str, list[Loyalty]] = defaultdict(list)
    everyone: list[Loyalty] = []
    for r in await repository.loyalty_rows(session):
        measures = loyalty(
            LoyaltyInputs(
                purchase_days=r.purchase_days,
                gross_spend=r.gross_spend,
                discounted=r.discounted,
                spend_last_year=spend.get(r.customer_id, Decimal(0)),
                declared_wallet=r.declared_wallet,
                last_nps=r.last_nps,
            )
        )
        everyone.append(measures)
        by_tier[r.tier or UNSCORED].append(measures)
    return LoyaltyView(
        everyone=group_loyalty(everyone),
        by_tier={t: group_loyalty(by_tier[t]) for t in TIER_KEYS},
        recommendation_source=RECOMMENDATION_SOURCE,
        computed_at=now,
    )
