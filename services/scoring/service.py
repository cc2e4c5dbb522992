"""Scoring operations: fold events into statistics, score customers, publish changes, refit."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import btyd, identity, ledger, repository, scores
from services.scoring.errors import CustomerNotScoredError, ModelNotFittedError, NotEnoughDataError
from services.scoring.ledger import Ledger, Transaction
from services.scoring.models import CustomerStats, ModelFit, ScoreHistory
from services.scoring.schemas import (
    ChurnRateRead,
    ChurnRead,
    ComplaintActivity,
    ContactActivity,
    CustomerScoreRead,
    DistributionRead,
    EquityRead,
    HistoryEntry,
    LifecycleRead,
    ModelRead,
    ModelRef,
    PurchaseActivity,
    ReasonRead,
    RfmRead,
    ScoreHistoryRead,
    TransactionsRecorded,
    ValueRead,
)
from services.scoring.settings import ScoringSettings
from shared.contracts.scoring import ChurnRiskRaisedV1, CustomerScoredV1, TierChangedV1
from shared.db import Database, utcnow
from shared.events import Event
from shared.outbox import stage_event

SOURCE = "scoring"

# While rebuilding from the event log, scores are recomputed but nothing is published.
_publishing: contextvars.ContextVar[bool] = contextvars.ContextVar("publishing", default=True)


@contextlib.contextmanager
def events_suppressed() -> Iterator[None]:
    """Within the block, rescoring updates stored scores and history but stages no events."""
    token = _publishing.set(False)
    try:
        yield
    finally:
        _publishing.reset(token)


def policy_of(settings: ScoringSettings) -> scores.Policy:
    """The score policy the settings describe."""
    return scores.Policy(
        clv_horizon_months=settings.clv_horizon_months,
        clv_monthly_discount_rate=settings.clv_monthly_discount_rate,
        clv_annual_discount_rate=settings.clv_annual_discount_rate,
        churn_horizon_weeks=settings.churn_horizon_weeks,
        churn_risk_threshold=settings.churn_risk_threshold,
    )


# --- statistics -------------------------------------------------------------------------------


async def record_call_event(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    occurred_at: dt.datetime,
    first_event_of_call: bool,
) -> CustomerStats | None:
    """Count a call event; the first event of a call also counts one contact.

    Counted for the survivor if the customer was merged; ignored (None) if they were erased.
    """
    cid = await identity.resolve_id(session, str(customer_id))
    if cid is None:
        identity.log_ignored(customer_id, "call_event")
        return None
    stats = await ledger.stats_for_update(session, cid)
    ledger.record_contact(stats, occurred_at, channel="call", new_contact=first_event_of_call)
    await session.flush()
    return stats


async def record_contact(
    session: AsyncSession, *, customer_id: uuid.UUID, occurred_at: dt.datetime, channel: str
) -> CustomerStats | None:
    """Count a non-voice contact (e-mail, chat, web form, SMS) under its channel.

    Counted for the survivor if the customer was merged; ignored (None) if they were erased.
    """
    cid = await identity.resolve_id(session, str(customer_id))
    if cid is None:
        identity.log_ignored(customer_id, "contact")
        return None
    stats = await ledger.stats_for_update(session, cid)
    ledger.record_contact(stats, occurred_at, channel=channel, new_contact=True, call_event=False)
    await session.flush()
    return stats


async def record_transactions(
    session: AsyncSession,
    items: Sequence[Transaction],
    *,
    settings: ScoringSettings,
    now: dt.datetime | None = None,
) -> TransactionsRecorded:
    """Apply each transaction not seen before, then rescore every customer it touched.

    Transactions of merged customers count for the survivor; those of erased customers are
    dropped (counted neither as accepted nor as duplicates).
    """
    now = now or utcnow()
    items = await _resolve_transactions(session, items)
    book = Ledger(session)
    fresh = await book.new_only(items)
    touched: dict[str, CustomerStats] = {}
    if fresh:
        await book.load(fresh)
        for item in fresh:
            stats = await book.apply(item)
            touched[stats.customer_id] = stats
        await session.flush()
    model = await current_model(session)
    published = await rescore_many(
        session, list(touched.values()), model=model, settings=settings, now=now
    )
    return TransactionsRecorded(
        accepted=len(fresh),
        duplicates=len(items) - len(fresh),
        customers=len(touched),
        events_published=published,
    )


async def _resolve_transactions(
    session: AsyncSession, items: Sequence[Transaction]
) -> list[Transaction]:
    """The items with merged customer ids replaced by the survivor's, erased customers' dropped."""
    ids = await identity.resolve_ids(session, (str(t.customer_id) for t in items))
    out: list[Transaction] = []
    ignored: Counter[str] = Counter()
    for item in items:
        cid = ids[str(item.customer_id)]
        if cid is None:
            ignored[str(item.customer_id)] += 1
        elif cid == str(item.customer_id):
            out.append(item)
        else:
            out.append(replace(item, customer_id=uuid.UUID(cid)))
    for customer_id, count in ignored.items():
        identity.log_ignored(customer_id, "transaction", count)
    return out


@dataclass(frozen=True)
class ComplaintChange:
    """What one complaint event says about a complaint."""

    complaint_id: uuid.UUID
    customer_id: uuid.UUID
    at: dt.datetime
    is_open: bool | None = None
    root_cause: str | None = None
    escalated: bool = False


async def record_complaint(
    session: AsyncSession, change: ComplaintChange, *, settings: ScoringSettings
) -> None:
    """Update complaint counts (open, total, by root cause) and rescore the customer.

    Counted for the survivor if the customer was merged; ignored if they were erased.
    """
    cid = await identity.resolve_id(session, str(change.customer_id))
    if cid is None:
        identity.log_ignored(change.customer_id, "complaint")
        return
    stats = await ledger.stats_for_update(session, cid)
    opened = change.is_open is not False
    state, _ = await ledger.complaint_state(session, stats, change.complaint_id, is_open=opened)
    if change.is_open is not None:
        ledger.set_open(stats, state, change.is_open)
    if change.root_cause is not None:
        ledger.set_root_cause(stats, state, change.root_cause)
    if change.escalated:
        stats.complaints_escalated += 1
    ledger.touch_complaint_time(stats, change.at)
    await session.flush()
    await rescore(session, stats, model=await current_model(session), settings=settings)


async def record_survey(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    csat: int,
    nps: int | None,
    surveyed_at: dt.datetime,
    settings: ScoringSettings,
) -> None:
    """Keep the latest satisfaction answer and rescore the customer.

    Counted for the survivor if the customer was merged; ignored if they were erased.
    """
    cid = await identity.resolve_id(session, str(customer_id))
    if cid is None:
        identity.log_ignored(customer_id, "survey")
        return
    stats = await ledger.stats_for_update(session, cid)
    if stats.last_surveyed_at is None or surveyed_at >= stats.last_surveyed_at:
        stats.last_csat = csat
        stats.last_nps = nps
        stats.last_surveyed_at = surveyed_at
    await session.flush()
    await rescore(session, stats, model=await current_model(session), settings=settings)


async def merge_customers(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    merged_customer_id: uuid.UUID,
    merged_at: dt.datetime,
    settings: ScoringSettings,
) -> int:
    """Fold the merged customer into the survivor and rescore it; returns events staged.

    Later events for the merged id count for the survivor. A merge with nothing to move (a
    redelivery, or a customer scoring never saw) only records the alias.
    """
    survivor = await identity.merge(
        session, source=str(merged_customer_id), target=str(customer_id), at=merged_at
    )
    if survivor is None:
        return 0
    model = await current_model(session)
    return await rescore(session, survivor, model=model, settings=settings, cause="merge")


async def erase_customer(
    session: AsyncSession, *, customer_id: uuid.UUID, erased_at: dt.datetime
) -> None:
    """Delete everything scoring keeps about the customer; later events about it are ignored."""
    await identity.erase(session, str(customer_id), erased_at)


# --- scoring one customer --------------------------------------------------------------------


# The latest fit per database, re-read at most this often: every event needs it, fits are rare.
MODEL_CACHE_SECONDS = 5.0
_models: dict[str, tuple[float, scores.PopulationModel | None]] = {}


def _database_key(session: AsyncSession) -> str:
    return str(session.get_bind().engine.url)


async def current_model(session: AsyncSession) -> scores.PopulationModel | None:
    """The latest fit, if any (a fit made by another process shows within 5 seconds)."""
    key = _database_key(session)
    cached = _models.get(key)
    if cached is not None and time.monotonic() - cached[0] < MODEL_CACHE_SECONDS:
        return cached[1]
    row = await repository.latest_fit(session)
    model = None if row is None else scores.model_snapshot(row)
    _models[key] = (time.monotonic(), model)
    return model


@dataclass
class Card:
    """Every score of one customer with its inputs."""

    purchases: PurchaseActivity
    value: ValueRead | None
    rfm: RfmRead | None
    churn: ChurnRead
    lifecycle: LifecycleRead


def _history_of(rows: Sequence[Any], today: dt.date) -> scores.History:
    return scores.history(
        [r.first_purchase_day for r in rows],
        [r.last_purchase_day for r in rows],
        [r.purchase_days for r in rows],
        [float(r.gross_spend - r.refunded) for r in rows],
        [float(r.first_day_spend) for r in rows],
        today,
    )


def _signals(stats: Any) -> scores.Signals:
    return scores.Signals(
        complaints_open=stats.complaints_open,
        last_complaint_at=stats.last_complaint_at,
        last_csat=stats.last_csat,
        last_nps=stats.last_nps,
    )


def _reasons(items: Sequence[scores.Reason]) -> list[ReasonRead]:
    return [ReasonRead(code=r.code, detail=r.detail, contribution=r.contribution) for r in items]


@dataclass
class _Batch:
    """Vectorised model outputs for several customers at once."""

    h: scores.History
    ratios: np.ndarray[Any, np.dtype[np.float64]]
    values: scores.ValueScores | None = None
    p_sched: np.ndarray[Any, np.dtype[np.float64]] | None = None
    tiers: list[str] | None = None
    rfm: tuple[Any, Any, Any] | None = None


def _batch(
    stats: Sequence[CustomerStats],
    model: scores.PopulationModel | None,
    policy: scores.Policy,
    now: dt.datetime,
) -> _Batch:
    h = _history_of(stats, now.date())
    out = _Batch(h=h, ratios=scores.overdue_ratios(h))
    if model is not None:
        out.values = scores.value_scores(model, h, policy)
        out.p_sched = btyd.probability_no_purchase(
            model.bg, policy.churn_horizon_weeks, h.x, h.t_x, scores.on_schedule_age(h)
        )
        out.tiers = scores.tiers(out.values.clv, model.thresholds)
        if all(model.rfm_edges.get(d) for d in scores.RFM_DIMENSIONS):
            out.rfm = scores.rfm_scores(h, model.rfm_edges)
    return out


def score_cards(
    stats: Sequence[CustomerStats],
    model: scores.PopulationModel | None,
    policy: scores.Policy,
    now: dt.datetime,
) -> list[Card]:
    """All scores of several customers, computed together from statistics and `now`."""
    if not stats:
        return []
    batch = _batch(stats, model, policy, now)
    return [_card(row, i, batch, model, policy, now) for i, row in enumerate(stats)]


def score_card(
    stats: CustomerStats,
    model: scores.PopulationModel | None,
    policy: scores.Policy,
    now: dt.datetime,
) -> Card:
    """All scores of one customer, computed from stored statistics and `now`."""
    return score_cards([stats], model, policy, now)[0]


def _card(
    stats: CustomerStats,
    i: int,
    batch: _Batch,
    model: scores.PopulationModel | None,
    policy: scores.Policy,
    now: dt.datetime,
) -> Card:
    h = batch.h
    x = float(h.x[i])
    raw_ratio = float(batch.ratios[i])
    ratio = None if math.isnan(raw_ratio) else raw_ratio
    purchases = PurchaseActivity(
        orders=stats.order_count,
        refunds=stats.refund_count,
        gross_spend=stats.gross_spend,
        refunded=stats.refunded,
        net_spend=stats.net_spend,
        purchase_days=stats.purchase_days,
        first_purchase_at=stats.first_purchase_at,
        last_purchase_at=stats.last_purchase_at,
        x=int(x),
        t_x_weeks=round(float(h.t_x[i]), 6),
        T_weeks=round(float(h.T[i]), 6),
        recency_days=int(h.recency_days[i]) if stats.purchase_days else None,
        mean_repeat_spend=round(float(h.monetary_mean[i]), 6),
    )
    value = rfm = None
    p_none: float | None = None
    if model is not None and stats.purchase_days > 0:
        value, p_none, parts = _value(model, batch, i, policy, ratio)
        rfm = _rfm(model, batch, i)
    elif model is None:
        parts = [scores.Reason("no-model", "no population model fitted yet", 0.0)]
    else:
        parts = [scores.Reason("no-purchase", "no purchase yet", 0.0)]
    risk = scores.churn_risk(parts, _signals(stats), now)
    stage, rule = scores.lifecycle_stage(
        stats.purchase_days, x, risk.risk, ratio, policy.churn_risk_threshold
    )
    return Card(
        purchases=purchases,
        value=value,
        rfm=rfm,
        churn=ChurnRead(
            risk=risk.risk,
            horizon_weeks=policy.churn_horizon_weeks,
            threshold=policy.churn_risk_threshold,
            p_no_purchase=p_none,
            reasons=_reasons(risk.reasons),
        ),
        lifecycle=LifecycleRead(stage=stage, rule=rule),
    )


def _value(
    model: scores.PopulationModel,
    batch: _Batch,
    i: int,
    policy: scores.Policy,
    ratio: float | None,
) -> tuple[ValueRead, float, list[scores.Reason]]:
    v, h = batch.values, batch.h
    assert v is not None and batch.tiers is not None and batch.p_sched is not None
    clv = float(v.clv[i])
    tier = batch.tiers[i]
    cut = model.thresholds.get(tier, 0.0) if tier != "iron" else model.thresholds["bronze"]
    relation = "at or above" if tier != "iron" else "below"
    value_reasons = [
        scores.Reason(
            "expected-purchases",
            f"{float(v.expected_purchases[i]):.3f} repeat purchases expected in "
            f"{policy.churn_horizon_weeks:g} weeks",
            0.0,
        ),
        scores.Reason(
            "expected-spend",
            f"{float(v.expected_spend[i]):.2f} expected per purchase (Gamma-Gamma)",
            0.0,
        ),
        scores.Reason("tier-cut", f"CLV {clv:.2f} is {relation} the {tier} cut {cut:.2f}", 0.0),
    ]
    p_none = float(v.p_no_purchase[i])
    parts = scores.purchase_reasons(
        p_none, float(batch.p_sched[i]), float(h.x[i]), ratio, policy.churn_horizon_weeks
    )
    value = ValueRead(
        clv=round(clv, 6),
        clv_textbook=round(float(v.clv_textbook[i]), 6),
        horizon_months=policy.clv_horizon_months,
        expected_purchases=round(float(v.expected_purchases[i]), 9),
        p_alive=round(float(v.p_alive[i]), 9),
        expected_spend_per_purchase=round(float(v.expected_spend[i]), 6),
        tier=tier,
        tier_thresholds=model.thresholds,
        reasons=_reasons(value_reasons),
    )
    return value, p_none, parts


def _rfm(model: scores.PopulationModel, batch: _Batch, i: int) -> RfmRead | None:
    if batch.rfm is None:
        return None
    r, f, m = (int(a[i]) for a in batch.rfm)
    return RfmRead(
        recency=r,
        frequency=f,
        monetary=m,
        score=f"{r}{f}{m}",
        segment=scores.rfm_segment(r, f, m),
        edges=model.rfm_edges,
    )


async def rescore(
    session: AsyncSession,
    stats: CustomerStats,
    *,
    model: scores.PopulationModel | None,
    settings: ScoringSettings,
    now: dt.datetime | None = None,
    cause: str = "event",
) -> int:
    """Score the customer and stage the events a meaningful change calls for; returns how many."""
    return await rescore_many(
        session, [stats], model=model, settings=settings, now=now, cause=cause
    )


async def rescore_many(
    session: AsyncSession,
    stats: Sequence[CustomerStats],
    *,
    model: scores.PopulationModel | None,
    settings: ScoringSettings,
    now: dt.datetime | None = None,
    cause: str = "event",
) -> int:
    """Score customers together and stage the events their changes call for."""
    now = now or utcnow()
    cards = score_cards(stats, model, policy_of(settings), now)
    events: list[Event] = []
    for row, card in zip(stats, cards, strict=True):
        events += _changes(session, row, card, settings, now, cause)
    if not stats:
        return 0
    # One flush for the statistics and history rows, so each stage_event flushes one row.
    await session.flush()
    if not _publishing.get():
        return 0
    for event in events:
        await stage_event(session, event, source=SOURCE)
    return len(events)


def _changes(
    session: AsyncSession,
    stats: CustomerStats,
    card: Card,
    settings: ScoringSettings,
    now: dt.datetime,
    cause: str,
) -> list[Event]:
    """The events a customer's new scores call for; records them as the last published."""
    customer_id = uuid.UUID(stats.customer_id)
    tier = card.value.tier if card.value else None
    clv = card.value.clv if card.value else None
    risk = card.churn.risk
    segment = card.rfm.segment if card.rfm else None
    stage = card.lifecycle.stage
    events: list[Event] = []
    if tier is not None and clv is not None and tier != stats.tier:
        events.append(
            TierChangedV1(
                customer_id=customer_id,
                previous_tier=stats.tier,
                tier=tier,
                clv=clv,
                churn_risk=risk,
                changed_at=now,
            )
        )
    previous_risk = stats.churn_risk
    threshold = settings.churn_risk_threshold
    # A first score is no crossing: its risk travels in customer_scored and tier_changed.
    if previous_risk is not None and previous_risk < threshold <= risk:
        events.append(
            ChurnRiskRaisedV1(
                customer_id=customer_id,
                previous_risk=previous_risk,
                churn_risk=risk,
                threshold=threshold,
                tier=tier,
                reasons=[r.code for r in card.churn.reasons if r.contribution > 0],
                raised_at=now,
            )
        )
    if events or _changed_enough(stats, clv, risk, segment, stage, settings):
        events.insert(
            0,
            CustomerScoredV1(
                customer_id=customer_id,
                tier=tier,
                clv=clv,
                churn_risk=risk,
                rfm_segment=segment,
                lifecycle_stage=stage,
                scored_at=now,
            ),
        )
    if not events:
        return []
    stats.tier, stats.clv, stats.churn_risk = tier, clv, risk
    stats.rfm_segment, stats.lifecycle_stage, stats.scored_at = segment, stage, now
    session.add(
        ScoreHistory(
            customer_id=stats.customer_id,
            scored_at=now,
            tier=tier,
            clv=clv,
            churn_risk=risk,
            rfm_segment=segment,
            lifecycle_stage=stage,
            cause=cause,
        )
    )
    return events


def _changed_enough(
    stats: CustomerStats,
    clv: float | None,
    risk: float,
    segment: str | None,
    stage: str,
    settings: ScoringSettings,
) -> bool:
    if stats.scored_at is None:
        # A first score is news once it says something: a value, or some risk.
        return clv is not None or risk > 0
    if segment != stats.rfm_segment or stage != stats.lifecycle_stage:
        return True
    if abs(risk - (stats.churn_risk or 0.0)) >= settings.score_risk_delta:
        return True
    if clv is None or stats.clv is None:
        return clv != stats.clv
    return abs(clv - stats.clv) >= settings.score_clv_delta * max(abs(stats.clv), 1.0)


async def get_score(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    settings: ScoringSettings,
    now: dt.datetime | None = None,
) -> CustomerScoreRead:
    """The customer's current scores; raises `CustomerNotScoredError`."""
    now = now or utcnow()
    stats = await repository.find_stats(session, str(customer_id))
    if stats is None:
        raise CustomerNotScoredError(customer_id)
    model = await current_model(session)
    card = score_card(stats, model, policy_of(settings), now)
    return CustomerScoreRead(
        customer_id=customer_id,
        contacts=ContactActivity(
            count=stats.contact_count,
            call_events=stats.call_event_count,
            first_contact_at=stats.first_contact_at,
            last_contact_at=stats.last_contact_at,
            by_channel=stats.contacts_by_channel or {},
        ),
        purchases=card.purchases,
        complaints=ComplaintActivity(
            total=stats.complaints_total,
            open=stats.complaints_open,
            escalations=stats.complaints_escalated,
            by_root_cause={k: v for k, v in (stats.complaints_by_root_cause or {}).items() if v},
            last_complaint_at=stats.last_complaint_at,
            last_csat=stats.last_csat,
            last_nps=stats.last_nps,
        ),
        model=None if model is None else ModelRef(fit_id=model.fit_id, fitted_at=model.fitted_at),
        value=card.value,
        rfm=card.rfm,
        churn=card.churn,
        lifecycle=card.lifecycle,
        computed_at=now,
    )


async def get_history(
    session: AsyncSession, customer_id: uuid.UUID, *, limit: int
) -> ScoreHistoryRead:
    """Published scores of the customer, newest first."""
    if await repository.find_stats(session, str(customer_id)) is None:
        raise CustomerNotScoredError(customer_id)
    rows = await repository.history(session, str(customer_id), limit=limit)
    return ScoreHistoryRead(
        customer_id=customer_id, entries=[HistoryEntry.model_validate(r) for r in rows]
    )


# --- the population --------------------------------------------------------------------------


@dataclass
class Fitted:
    """The numeric outcome of a refit, before it is stored."""

    bg: btyd.FitResult[btyd.BetaGeoParams]
    gg: btyd.FitResult[btyd.GammaGammaParams] | None
    thresholds: dict[str, float]
    rfm_edges: dict[str, list[float]]
    seconds: float
    repeat_purchases: dict[str, float]


def fit_population(h: scores.History, settings: ScoringSettings) -> Fitted:
    """Fit BG/NBD and Gamma-Gamma on buyers, then derive tier cut points and RFM edges."""
    started = time.perf_counter()
    try:
        bg = btyd.fit_bgnbd(h.x, h.t_x, h.T)
    except btyd.FitError as exc:
        raise NotEnoughDataError(str(exc)) from exc
    try:
        gg: btyd.FitResult[btyd.GammaGammaParams] | None = btyd.fit_gamma_gamma(
            h.x, h.monetary_mean
        )
    except btyd.FitError:
        # Too few repeat buyers with spend: expected spend falls back to the customer's own mean.
        gg = None
    model = scores.PopulationModel(
        0, utcnow(), bg.params, gg.params if gg else None, {}, scores.rfm_edges(h)
    )
    clv = scores.value_scores(model, h, policy_of(settings)).clv
    shares = (settings.tier_gold_share, settings.tier_silver_share, settings.tier_bronze_share)
    # Fit quality in the units that matter: repeat purchases the model expects each customer
    # to have made by now, summed, against those actually made.
    expected = float(btyd.expected_purchases_new_customer(bg.params, h.T).sum())
    return Fitted(
        bg=bg,
        gg=gg,
        thresholds=scores.tier_thresholds(clv, shares),
        rfm_edges=model.rfm_edges,
        seconds=time.perf_counter() - started,
        repeat_purchases={"expected": round(expected, 3), "actual": float(h.x.sum())},
    )


def _fit_json(fit: btyd.FitResult[Any]) -> dict[str, Any]:
    params = {k: float(v) for k, v in vars(fit.params).items()}
    return {
        **params,
        "log_likelihood": fit.log_likelihood,
        "customers": fit.n,
        "distinct_histories": fit.distinct_rows,
        "iterations": fit.iterations,
        "converged": fit.converged,
        "seconds": fit.seconds,
    }


async def refit(
    session: AsyncSession,
    *,
    settings: ScoringSettings,
    trigger: str = "api",
    now: dt.datetime | None = None,
) -> ModelRead:
    """Fit the models on every buyer and store the fit with its thresholds."""
    now = now or utcnow()
    rows = await repository.buyers(session)
    if len(rows) < settings.refit_min_customers:
        raise NotEnoughDataError(
            f"{len(rows)} customers with purchases; a refit needs {settings.refit_min_customers}."
        )
    h = _history_of(rows, now.date())
    fitted = await asyncio.to_thread(fit_population, h, settings)
    row = ModelFit(
        fitted_at=now,
        trigger=trigger,
        customers=h.size,
        repeat_buyers=int((h.x > 0).sum()),
        bgnbd={
            **_fit_json(fitted.bg),
            "expected_repeat_purchases": fitted.repeat_purchases["expected"],
            "actual_repeat_purchases": fitted.repeat_purchases["actual"],
        },
        gamma_gamma=_fit_json(fitted.gg) if fitted.gg else None,
        thresholds=fitted.thresholds,
        rfm_edges=fitted.rfm_edges,
        fit_seconds=fitted.seconds,
    )
    session.add(row)
    await session.flush()
    # This process reads the new fit at once (once committed); others within the cache time.
    _models.pop(_database_key(session), None)
    return model_read(row)


async def rescore_all(db: Database, *, settings: ScoringSettings, chunk: int = 500) -> int:
    """Rescore every customer against the latest model, one transaction per chunk.

    Run after a refit: new thresholds and time passing move tiers and risks without new
    events, and this publishes those changes. Returns the number of events staged.
    """
    published = 0
    after = ""
    while True:
        async with db.sessionmaker() as session:
            model = await current_model(session)
            batch = await repository.stats_page(session, after=after, limit=chunk)
            if not batch:
                return published
            published += await rescore_many(
                session, batch, model=model, settings=settings, cause="refit"
            )
            await session.commit()
        db.committed()
        after = batch[-1].customer_id


def model_read(row: ModelFit) -> ModelRead:
    """The HTTP shape of a stored fit."""
    return ModelRead(
        fit_id=row.id,
        fitted_at=row.fitted_at,
        trigger=row.trigger,
        customers=row.customers,
        repeat_buyers=row.repeat_buyers,
        bgnbd=row.bgnbd,
        gamma_gamma=row.gamma_gamma,
        tier_thresholds=row.thresholds,
        rfm_edges=row.rfm_edges,
        fit_seconds=row.fit_seconds,
    )


async def get_model(session: AsyncSession) -> ModelRead:
    """The latest fit; raises `ModelNotFittedError`."""
    row = await repository.latest_fit(session)
    if row is None:
        raise ModelNotFittedError()
    return model_read(row)


@dataclass
class Population:
    """Every buyer's scores at one moment, as arrays."""

    customers: int
    h: scores.History
    model: scores.PopulationModel
    values: scores.ValueScores
    risk: np.ndarray[Any, np.dtype[np.float64]]
    tiers: list[str]
    segments: list[str]
    stages: list[str]


async def population(
    session: AsyncSession, *, settings: ScoringSettings, now: dt.datetime | None = None
) -> Population:
    """Score every customer with the latest model; raises `ModelNotFittedError`."""
    now = now or utcnow()
    model = await current_model(session)
    if model is None:
        raise ModelNotFittedError()
    rows = await repository.all_stats(session)
    return await asyncio.to_thread(_score_population, rows, model, policy_of(settings), now)


def _score_population(
    rows: Sequence[Any], model: scores.PopulationModel, policy: scores.Policy, now: dt.datetime
) -> Population:
    h = _history_of(rows, now.date())
    values = scores.value_scores(model, h, policy)
    base = np.where(h.purchase_days > 0, values.p_no_purchase, 0.0)
    risk = 1 - (1 - base) * (1 - _service_risk(rows, now))
    tiers = scores.tiers(values.clv, model.thresholds)
    segments: list[str] = []
    if all(model.rfm_edges.get(d) for d in scores.RFM_DIMENSIONS):
        r, f, m = scores.rfm_scores(h, model.rfm_edges)
        segments = [
            scores.rfm_segment(int(a), int(b), int(c)) if days > 0 else "No purchase"
            for a, b, c, days in zip(r, f, m, h.purchase_days, strict=True)
        ]
    ratios = scores.overdue_ratios(h)
    stages = [
        scores.lifecycle_stage(
            int(days),
            float(x),
            float(k),
            None if math.isnan(q) else float(q),
            policy.churn_risk_threshold,
        )[0]
        for days, x, k, q in zip(h.purchase_days, h.x, risk, ratios, strict=True)
    ]
    return Population(len(rows), h, model, values, risk, tiers, segments, stages)


def _service_risk(rows: Sequence[Any], now: dt.datetime) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The complaint and satisfaction part of churn risk, as `scores.churn_risk` weighs it."""
    n = len(rows)
    open_ = np.array([r.complaints_open for r in rows], dtype=np.float64).reshape(n)
    days = np.array(
        [(now - r.last_complaint_at).days if r.last_complaint_at else 1e9 for r in rows],
        dtype=np.float64,
    ).reshape(n)
    csat = np.array([r.last_csat if r.last_csat is not None else 99 for r in rows]).reshape(n)
    nps = np.array([r.last_nps if r.last_nps is not None else 99 for r in rows]).reshape(n)
    parts = [
        np.minimum(0.3, 0.15 * open_),
        np.where((open_ == 0) & (days < scores.RECENT_COMPLAINT_DAYS), 0.1, 0.0),
        np.where(csat <= 2, 0.2, np.where(csat == 3, 0.05, 0.0)),
        np.where(nps <= 6, 0.1, 0.0),
    ]
    keep = np.ones(n)
    for part in parts:
        keep *= 1 - part
    return np.asarray(1 - keep, dtype=np.float64)


async def distribution(session: AsyncSession, *, settings: ScoringSettings) -> DistributionRead:
    """Customers per tier, RFM segment and lifecycle stage, scored now."""
    now = utcnow()
    pop = await population(session, settings=settings, now=now)
    buyers = pop.h.purchase_days > 0
    tiers = Counter(t for t, b in zip(pop.tiers, buyers, strict=True) if b)
    return DistributionRead(
        customers=pop.customers,
        buyers=int(buyers.sum()),
        tiers={t: tiers.get(t, 0) for t in scores.TIERS},
        segments=dict(sorted(Counter(pop.segments).items())),
        lifecycle_stages={
            s: Counter(pop.stages).get(s, 0)
            for s in ("exploration", "formation", "stability", "decline")
        },
        fit_id=pop.model.fit_id,
        computed_at=now,
    )


async def equity(session: AsyncSession, *, settings: ScoringSettings) -> EquityRead:
    """Customer equity Σ CLV, in total and by tier."""
    now = utcnow()
    pop = await population(session, settings=settings, now=now)
    by_tier: dict[str, float] = dict.fromkeys(scores.TIERS, 0.0)
    for tier, clv in zip(pop.tiers, pop.values.clv, strict=True):
        by_tier[tier] += float(clv)
    total = float(pop.values.clv.sum())
    return EquityRead(
        customers=pop.customers,
        equity=round(total, 2),
        equity_textbook=round(float(pop.values.clv_textbook.sum()), 2),
        average_clv=round(total / pop.customers, 4) if pop.customers else 0.0,
        by_tier={k: round(v, 2) for k, v in by_tier.items()},
        horizon_months=settings.clv_horizon_months,
        fit_id=pop.model.fit_id,
        computed_at=now,
    )


async def churn_rate(session: AsyncSession, *, settings: ScoringSettings) -> ChurnRateRead:
    """Expected share of buyers with no purchase over the horizon, and the implied lifetime."""
    now = utcnow()
    pop = await population(session, settings=settings, now=now)
    buyers = pop.h.purchase_days > 0
    n = int(buyers.sum())
    rate = float(pop.values.p_no_purchase[buyers].mean()) if n else 0.0
    horizon = settings.churn_horizon_weeks
    return ChurnRateRead(
        buyers=n,
        horizon_weeks=horizon,
        churn_rate=round(rate, 6),
        average_lifetime_weeks=round(horizon / rate, 3) if rate > 0 else None,
        at_risk=int((pop.risk[buyers] >= settings.churn_risk_threshold).sum()),
        threshold=settings.churn_risk_threshold,
        expected_inactive=round(float((1 - pop.values.p_alive[buyers]).sum()), 3),
        fit_id=pop.model.fit_id,
        computed_at=now,
    )
