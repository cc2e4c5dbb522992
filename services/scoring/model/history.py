"""Purchase histories in model terms: x, t_x and T in weeks and the mean repeat spend.

Everything time-dependent is derived from stored days and `today`, so scores age correctly
without new events. One array entry per customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.scoring.model.btyd import Array


@dataclass
class History:
    """The purchase history of customers in model terms (weeks), one array entry per customer."""

    purchase_days: Array
    x: Array
    t_x: Array
    T: Array
    recency_days: Array
    monetary_mean: Array
    net_spend: Array

    @property
    def size(self) -> int:
        """Number of customers."""
        return int(self.x.size)


def history(
    first_days: list[dt.date | None],
    last_days: list[dt.date | None],
    purchase_days: list[int],
    net_spend: list[float],
    first_day_spend: list[float],
    today: dt.date,
) -> History:
    """Model inputs from stored statistics: x, t_x, T in weeks and m̄ of repeat purchases."""
    n = len(purchase_days)
    days = np.asarray(purchase_days, dtype=np.float64)
    first = np.array([(today - d).days if d else 0 for d in first_days], dtype=np.float64)
    last = np.array([(today - d).days if d else 0 for d in last_days], dtype=np.float64)
    x = np.maximum(days - 1, 0)
    spend = np.asarray(net_spend, dtype=np.float64).reshape(n)
    repeat_spend = spend - np.asarray(first_day_spend, dtype=np.float64).reshape(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(x > 0, np.maximum(repeat_spend, 0) / np.maximum(x, 1), 0.0)
    age = np.maximum(first, 0) / 7.0
    # Purchases dated in the future (clock skew) must not make t_x exceed T.
    return History(
        purchase_days=days,
        x=x,
        t_x=np.minimum(np.maximum(first - last, 0) / 7.0, age),
        T=age,
        recency_days=np.maximum(last, 0),
        monetary_mean=mean,
        net_spend=spend,
    )


def history_of(rows: Sequence[Any], today: dt.date) -> History:
    """The history of statistics rows (ORM rows or rows of the repository's history columns)."""
    return history(
        [r.first_purchase_day for r in rows],
        [r.last_purchase_day for r in rows],
        [r.purchase_days for r in rows],
        [float(r.gross_spend - r.refunded) for r in rows],
        [float(r.first_day_spend) for r in rows],
        today,
    )
