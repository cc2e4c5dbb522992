"""The textbook customer lifetime value: CLV = Σ_{i=1..n} R_i / (1+r)^i on net cash flows.

R_i is the net cash flow of year i: revenue minus the cost to serve it. Revenue is the model's
expected spend in year i; the cost is the customer's cost to serve per purchase day so far
times the purchases expected in year i, so serving costs follow activity. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from services.scoring.model.btyd import Array


def discount_factors(rate: float, years: int) -> Array:
    """1/(1+r)^i for i = 1..years."""
    return np.asarray((1 + rate) ** -np.arange(1, years + 1, dtype=np.float64), dtype=np.float64)


def textbook_clv(net_cash_flows: Sequence[float], rate: float) -> float:
    """Σ_{i=1..n} R_i/(1+r)^i of one customer's yearly net cash flows R_1..R_n."""
    return float(
        np.asarray(net_cash_flows, dtype=np.float64) @ discount_factors(rate, len(net_cash_flows))
    )


def yearly(monthly: Array) -> Array:
    """Monthly amounts (customers x months) summed per year of 12 months, the last one partial."""
    months = monthly.shape[-1]
    years = max(1, int(np.ceil(months / 12)))
    padded = np.zeros((monthly.shape[0], years * 12))
    padded[:, :months] = monthly
    return np.asarray(padded.reshape(monthly.shape[0], years, 12).sum(axis=-1), dtype=np.float64)


def net_textbook_clv(
    monthly_spend: Array, spend_per_purchase: ArrayLike, cost_per_purchase: ArrayLike, rate: float
) -> Array:
    """The textbook CLV of each customer on net cash flows (expected spend - cost to serve)."""
    spend = np.asarray(spend_per_purchase, dtype=np.float64).reshape(-1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        purchases = np.where(spend > 0, monthly_spend / spend, 0.0)
    cost = np.asarray(cost_per_purchase, dtype=np.float64).reshape(-1, 1)
    net = yearly(monthly_spend) - yearly(purchases * cost)
    return np.asarray(net @ discount_factors(rate, net.shape[-1]), dtype=np.float64)
