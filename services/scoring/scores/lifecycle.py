"""The relationship's lifecycle stage, and the rule that chose it."""

from __future__ import annotations

import math
from typing import get_args

import numpy as np

from services.scoring.model.btyd import Array
from shared.contracts.scoring import LifecycleStage

# Repeat-purchase days from which a relationship counts as stable rather than forming.
STABILITY_MIN_REPEATS = 4
# Every stage, in the order a relationship usually goes through them.
STAGES: tuple[LifecycleStage, ...] = get_args(LifecycleStage)


def lifecycle_stage(
    purchase_days: int, x: float, risk: float, overdue_ratio: float | None, threshold: float
) -> tuple[LifecycleStage, str]:
    """The relationship stage and the rule that chose it."""
    if purchase_days == 0:
        return "exploration", "no purchase yet"
    if risk >= threshold:
        return "decline", f"churn risk {risk:.2f} at or above {threshold:.2f}"
    if overdue_ratio is not None and not math.isnan(overdue_ratio) and overdue_ratio >= 2:
        return "decline", f"{overdue_ratio:.1f}x the usual gap since the last purchase"
    if x == 0:
        return "exploration", "one purchase day so far"
    if x < STABILITY_MIN_REPEATS:
        return "formation", f"{int(x)} repeat purchase day(s), fewer than {STABILITY_MIN_REPEATS}"
    return "stability", f"{int(x)} repeat purchase days and churn risk below {threshold:.2f}"


def lifecycle_stages(
    purchase_days: Array, x: Array, risk: Array, overdue_ratio: Array, threshold: float
) -> list[LifecycleStage]:
    """`lifecycle_stage` of many customers (a NaN ratio is no usual gap), without the rules."""
    with np.errstate(invalid="ignore"):
        overdue = ~np.isnan(overdue_ratio) & (overdue_ratio >= 2)
    conditions = [purchase_days == 0, risk >= threshold, overdue, x == 0, x < STABILITY_MIN_REPEATS]
    choices = ["exploration", "decline", "decline", "exploration", "formation"]
    stages: list[LifecycleStage] = np.select(conditions, choices, "stability").tolist()
    return stages
