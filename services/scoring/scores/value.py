"""Customer value from the fitted model: expected purchases and spend, CLV, the pyramid tier."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.scoring.model import btyd
from services.scoring.model.btyd import Array
from services.scoring.model.history import History
from services.scoring.model.snapshot import PopulationModel
from services.scoring.scores import clv
from services.scoring.scores.policy import Policy
from shared.contracts.scoring import TIERS, Tier

# The tiers with a CLV cut point, best first; below the last cut is the bottom tier.
CUT_TIERS: tuple[Tier, ...] = TIERS[:-1]
BOTTOM_TIER: Tier = TIERS[-1]


@dataclass
class ValueScores:
    """Model outputs per customer."""

    expected_purchases: Array
    p_alive: Array
    p_no_purchase: Array
    expected_spend: Array
    clv: Array
    clv_textbook: Array


def cost_per_purchase(rows: Sequence[Any], h: History, policy: Policy) -> Array:
    """Each customer's cost to serve so far (handle minutes x cost per minute) per purchase day."""
    seconds = np.array([float(r.handle_seconds or 0) for r in rows], dtype=np.float64)
    cost = seconds / 60 * policy.cost_per_handle_minute
    return np.asarray(cost / np.maximum(h.purchase_days, 1), dtype=np.float64)


def value_scores(
    model: PopulationModel, h: History, policy: Policy, serving_cost: Array | None = None
) -> ValueScores:
    """Expected purchases, P(alive), P(no purchase), expected spend and CLV per customer.

    `serving_cost` is each customer's cost to serve per purchase (none: no cost known).
    """
    horizon = policy.churn_horizon_weeks
    buyers = h.purchase_days > 0
    exp_purchases = np.where(buyers, btyd.expected_purchases(model.bg, horizon, h.x, h.t_x, h.T), 0)
    p_alive = btyd.probability_alive(model.bg, h.x, h.t_x, h.T)
    p_none = btyd.probability_no_purchase(model.bg, horizon, h.x, h.t_x, h.T)
    if model.gg is not None:
        spend = btyd.expected_spend(model.gg, h.x, h.monetary_mean)
    else:
        spend = np.where(h.purchase_days > 0, h.net_spend / np.maximum(h.purchase_days, 1), 0.0)
    spend = np.where(buyers, np.maximum(spend, 0), 0.0)
    flows = btyd.monthly_cash_flows(
        model.bg, spend, h.x, h.t_x, h.T, months=policy.clv_horizon_months
    )
    flows[~buyers] = 0.0
    return ValueScores(
        expected_purchases=np.asarray(exp_purchases, dtype=np.float64),
        p_alive=p_alive,
        p_no_purchase=np.where(buyers, p_none, 1.0),
        expected_spend=spend,
        clv=btyd.discounted_clv(flows, policy.clv_monthly_discount_rate),
        clv_textbook=clv.net_textbook_clv(
            flows,
            spend,
            np.zeros(h.size) if serving_cost is None else serving_cost,
            policy.clv_annual_discount_rate,
        ),
    )


def tier_thresholds(clv: Array, shares: tuple[float, float, float]) -> dict[str, float]:
    """CLV cut points of gold, silver and bronze: exact ranks, ties at a cut go up."""
    ordered = np.sort(np.asarray(clv, dtype=np.float64))[::-1]
    n = ordered.size
    out: dict[str, float] = {}
    cumulative = 0.0
    previous_k = 0
    for name, share in zip(CUT_TIERS, shares, strict=True):
        cumulative += share
        k = max(previous_k, 1, round(n * cumulative)) if n else 0
        out[name] = float(ordered[min(k, n) - 1]) if n else math.inf
        previous_k = k
    return out


def tiers(clv: Array, thresholds: dict[str, float]) -> list[Tier]:
    """The pyramid tier of each CLV; zero CLV is always the bottom tier."""
    values = np.asarray(clv, dtype=np.float64)
    rank = np.full(values.shape, len(TIERS) - 1)
    # From the lowest cut up, so a CLV above several cuts ends in the best tier it reaches.
    for i in reversed(range(len(CUT_TIERS))):
        rank[(values >= thresholds[CUT_TIERS[i]]) & (values > 0)] = i
    return [TIERS[i] for i in rank]
