"""Scoring customers: rescore and publish what changed, read a customer's scores and history."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.errors import CustomerNotScoredError
from services.scoring.model.cache import ModelCache
from services.scoring.model.snapshot import PopulationModel
from services.scoring.models import CustomerStats, ScoreHistory
from services.scoring.scores import repository
from services.scoring.scores.batch import Batch, batch_of
from services.scoring.scores.card import CustomerScore, card_of, customer_score, score_card
from services.scoring.scores.loyalty import Loyalty, LoyaltyInputs, loyalty
from services.scoring.scores.policy import Policy, policy_of
from services.scoring.scores.publishing import PublishedScores, events_for, published_many
from services.scoring.settings import ScoringSettings
from services.scoring.states.service import follow_states
from shared.db import utcnow
from shared.events import Event
from shared.outbox import stage_events

SOURCE = "rapport/scoring"
_HISTORY = cast(Table, ScoreHistory.__table__)


@dataclass(frozen=True)
class Scorer:
    """What rescoring needs: the settings, the app's model cache, and whether to publish.

    `publish_events=False` (rebuilding from the event log) still updates the stored scores and
    their history, but stages no events: the live service published them already.
    """

    settings: ScoringSettings
    models: ModelCache
    publish_events: bool = True


async def rescore(
    session: AsyncSession,
    stats: CustomerStats,
    *,
    scorer: Scorer,
    now: dt.datetime | None = None,
    cause: str = "event",
) -> int:
    """Score the customer and stage the events a meaningful change calls for; returns how many."""
    return await rescore_many(session, [stats], scorer=scorer, now=now, cause=cause)


async def rescore_many(
    session: AsyncSession,
    stats: Sequence[CustomerStats],
    *,
    scorer: Scorer,
    now: dt.datetime | None = None,
    cause: str = "event",
) -> int:
    """Score customers together, keep what changed and stage the events it calls for."""
    if not stats:
        return 0
    now = now or utcnow()
    model = await scorer.models.current(session)
    policy = policy_of(scorer.settings)
    batch = batch_of(stats, model, policy, now)
    news = published_many(stats, batch, model, policy, now)
    events: list[Event] = []
    history: list[dict[str, Any]] = []
    for i, (row, new) in enumerate(zip(stats, news, strict=True)):
        # The reasons of a churn-risk crossing come from the whole card, built only then.
        reasons = partial(_raising_reasons, row, i, batch, model, policy, now)
        found = events_for(row, new, reasons, settings=scorer.settings, now=now)
        if found:
            history.append(_record_published(row, new, now=now, cause=cause))
            events += found
    # States follow the same facts: prospect, current, lost, won back.
    horizon = scorer.settings.churn_horizon_weeks
    events += await follow_states(session, stats, now=now, horizon_weeks=horizon)
    # The statistics rows through the session, then history and outbox rows in bulk.
    await session.flush()
    if history:
        await session.execute(insert(_HISTORY), history)
    if not scorer.publish_events:
        return 0
    return await stage_events(session, events, source=SOURCE)


def _raising_reasons(
    row: CustomerStats,
    i: int,
    batch: Batch,
    model: PopulationModel | None,
    policy: Policy,
    now: dt.datetime,
) -> list[str]:
    """The codes of the churn reasons that add risk, from the customer's whole card."""
    card = card_of(row, i, batch, model, policy, now)
    return [r.code for r in card.churn.reasons if r.contribution > 0]


def _record_published(
    stats: CustomerStats, new: PublishedScores, *, now: dt.datetime, cause: str
) -> dict[str, Any]:
    """Keep `new` as the scores last published on the statistics row; its history row."""
    stats.tier, stats.clv, stats.churn_risk = new.tier, new.clv, new.churn_risk
    stats.rfm_segment, stats.lifecycle_stage, stats.scored_at = (
        new.rfm_segment,
        new.lifecycle_stage,
        now,
    )
    return {"customer_id": stats.customer_id, "scored_at": now, "cause": cause, **vars(new)}


async def get_score(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    settings: ScoringSettings,
    models: ModelCache,
    now: dt.datetime | None = None,
) -> CustomerScore:
    """The customer's current scores; raises `CustomerNotScoredError`."""
    now = now or utcnow()
    stats = await repository.find_stats(session, str(customer_id))
    if stats is None:
        raise CustomerNotScoredError(customer_id)
    model = await models.current(session)
    return customer_score(stats, score_card(stats, model, policy_of(settings), now), model, now)


async def get_history(
    session: AsyncSession, customer_id: uuid.UUID, *, limit: int
) -> Sequence[ScoreHistory]:
    """Published scores of the customer, newest first; raises `CustomerNotScoredError`."""
    if await repository.find_stats(session, str(customer_id)) is None:
        raise CustomerNotScoredError(customer_id)
    return await repository.history(session, str(customer_id), limit=limit)


async def get_loyalty(
    session: AsyncSession, customer_id: uuid.UUID, *, now: dt.datetime | None = None
) -> Loyalty:
    """The customer's loyalty measures; raises `CustomerNotScoredError`."""
    now = now or utcnow()
    stats = await repository.find_stats(session, str(customer_id))
    if stats is None:
        raise CustomerNotScoredError(customer_id)
    year_ago = (now - dt.timedelta(days=365)).date()
    return loyalty(
        LoyaltyInputs(
            purchase_days=stats.purchase_days,
            gross_spend=stats.gross_spend,
            discounted=stats.discounted,
            spend_last_year=await repository.spend_since(session, stats.customer_id, year_ago),
            declared_wallet=stats.declared_wallet,
            last_nps=stats.last_nps,
        )
    )


async def declare_wallet(
    session: AsyncSession, customer_id: uuid.UUID, *, annual_wallet: Decimal | None
) -> Loyalty:
    """Keep what the customer spends a year on what we sell, anywhere (none forgets it)."""
    stats = await repository.find_stats(session, str(customer_id))
    if stats is None:
        raise CustomerNotScoredError(customer_id)
    stats.declared_wallet = annual_wallet
    await session.flush()
    return await get_loyalty(session, customer_id)
