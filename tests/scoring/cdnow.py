"""The CDNOW sample shipped with lifetimes: the summary files and the raw transaction log."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from decimal import Decimal

CALIBRATION_END = dt.date(1997, 9, 30)
HOLDOUT_END = dt.date(1998, 6, 30)


@dataclass(frozen=True)
class Purchase:
    """One line of CDNOW_sample.txt."""

    customer: int
    day: dt.date
    spend: Decimal


def sample_log() -> list[Purchase]:
    """Every transaction of the 2,357-customer CDNOW sample (1997-01-01..1998-06-30)."""
    import lifetimes.datasets

    path = os.path.join(os.path.dirname(lifetimes.datasets.__file__), "CDNOW_sample.txt")
    out: list[Purchase] = []
    with open(path) as handle:
        for line in handle:
            _, customer, ymd, _, spend = line.split()
            day = dt.datetime.strptime(ymd, "%Y%m%d").date()
            out.append(Purchase(int(customer), day, Decimal(spend)))
    return out
