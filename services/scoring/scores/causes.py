"""Churn causes (客户流失的原因): each signal labelled with its side and category.

The textbook puts the causes of churn on the company's side (product or service defects, broken
promises, neglect, staff turnover) or the customer's (price, a competitor, moving away, other
objective reasons). Every churn reason code of a score and every cause recorded when a customer
is lost has one label here. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

CauseSide = Literal["company", "customer", "unknown"]
CauseCategory = Literal[
    "product_service_defect",
    "broken_promise",
    "neglect",
    "staff_turnover",
    "price",
    "competitor",
    "moved_away",
    "objective",
    "unknown",
]


@dataclass(frozen=True)
class Cause:
    """The side a churn cause lies on and its category."""

    side: CauseSide
    category: CauseCategory


UNKNOWN = Cause("unknown", "unknown")
DEFECT = Cause("company", "product_service_defect")
OBJECTIVE = Cause("customer", "objective")

# Every cause code, with the side and category it belongs to.
CAUSES: dict[str, Cause] = {
    # Complaint and satisfaction signals: what the customer found wrong.
    "open-complaints": DEFECT,
    "recent-complaint": DEFECT,
    "low-csat": DEFECT,
    "nps-detractor": DEFECT,
    "complaint-company-cause": DEFECT,
    "complaint-customer-cause": OBJECTIVE,
    # Promises the company made and did not keep: an SLA, a call-back.
    "sla-breach": Cause("company", "broken_promise"),
    "missed-callback": Cause("company", "broken_promise"),
    # Nobody answered: the customer hung up waiting.
    "unanswered-calls": Cause("company", "neglect"),
    "staff-turnover": Cause("company", "staff_turnover"),
    # Declared by the customer.
    "price": Cause("customer", "price"),
    "competitor": Cause("customer", "competitor"),
    "moved-away": Cause("customer", "moved_away"),
    # The purchase pattern alone: buying stopped, no company-side signal says why.
    "one-time-buyer": OBJECTIVE,
    "purchase-pattern": OBJECTIVE,
    "overdue": OBJECTIVE,
    "lapsed": OBJECTIVE,
}


def label(code: str) -> Cause:
    """The side and category of a cause code; unknown for codes that are not causes."""
    return CAUSES.get(code, UNKNOWN)


@dataclass(frozen=True)
class Signals:
    """The company-side signals of a customer that say why they may have left."""

    complaints_by_root_cause: Mapping[str, int]
    sla_breaches: int
    calls_abandoned: int
    last_csat: int | None
    last_nps: int | None


def churn_causes(signals: Signals) -> list[str]:
    """The cause codes of a lost customer; `lapsed` when nothing on record says why."""
    roots = signals.complaints_by_root_cause
    found = [
        ("complaint-company-cause", roots.get("company", 0) > 0),
        ("sla-breach", signals.sla_breaches > 0),
        ("unanswered-calls", signals.calls_abandoned > 0),
        ("low-csat", signals.last_csat is not None and signals.last_csat <= 2),
        ("nps-detractor", signals.last_nps is not None and signals.last_nps <= 6),
        ("complaint-customer-cause", roots.get("customer", 0) > 0),
    ]
    codes = [code for code, present in found if present]
    return codes or ["lapsed"]
