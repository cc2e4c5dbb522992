"""The arithmetic of the reports: percentiles, rates and SLA compliance; no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from services.complaints.models import Complaint
from services.complaints.reports.schemas import Percentiles
from services.complaints.sla.deadlines import met_at
from services.complaints.sla.policy import TARGETS


def percentiles(durations: Sequence[dt.timedelta]) -> Percentiles:
    """p50 and p90 of durations, in hours."""
    if not durations:
        return Percentiles(count=0, p50_hours=None, p90_hours=None)
    import numpy as np  # loaded by the first report, not at every start of the service

    hours = np.array([d.total_seconds() / 3600 for d in durations])
    p50, p90 = np.percentile(hours, [50, 90])
    return Percentiles(
        count=len(hours), p50_hours=round(float(p50), 3), p90_hours=round(float(p90), 3)
    )


def ratio(part: int, whole: int) -> float | None:
    """`part / whole` to four places; None when there is no whole."""
    return round(part / whole, 4) if whole else None


def sla_compliance(complaints: Sequence[Complaint]) -> dict[str, float | None]:
    """Per target: share met on time among those met or breached; `overall` pools them."""
    out: dict[str, float | None] = {}
    total_ok = total = 0
    for target in TARGETS:
        breached = sum(1 for c in complaints if getattr(c, f"{target}_breached_at") is not None)
        met = sum(
            1
            for c in complaints
            if getattr(c, f"{target}_breached_at") is None and met_at(c, target) is not None
        )
        out[target] = ratio(met, met + breached)
        total_ok += met
        total += met + breached
    out["overall"] = ratio(total_ok, total)
    return out
