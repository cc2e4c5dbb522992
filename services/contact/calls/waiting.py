"""The waiting-list order: value tier, then churn risk, then the longest wait."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from services.contact.models import Call, Customer
from shared.contracts.scoring import TIERS

# Value tiers, most valuable first; a caller scoring has not placed yet comes after them all.
TIER_RANK: dict[str, int] = {tier: rank for rank, tier in enumerate(TIERS)}


@dataclass(frozen=True)
class Waiting:
    """A queued call and what puts it where it is in the waiting list."""

    call: Call
    tier: str | None
    churn_risk: float | None
    at_risk: bool


def caller_ids(call: Call) -> list[uuid.UUID]:
    """The call's customer, or the candidates of a call held for a shared number."""
    ids = [call.customer_id] if call.customer_id is not None else call.candidate_customer_ids
    return [uuid.UUID(str(c)) for c in ids]


def waiting(call: Call, people: Mapping[uuid.UUID, Customer], *, threshold: float) -> Waiting:
    """Where a queued call stands; a held call counts by the best of its candidates."""
    callers = [people[i] for i in caller_ids(call) if i in people]
    tiers = sorted((c.tier for c in callers if c.tier in TIER_RANK), key=TIER_RANK.__getitem__)
    risks = [c.churn_risk for c in callers if c.churn_risk is not None]
    risk = max(risks) if risks else None
    return Waiting(
        call=call,
        tier=tiers[0] if tiers else None,
        churn_risk=risk,
        at_risk=risk is not None and risk >= threshold,
    )


def in_order(found: list[Waiting]) -> list[Waiting]:
    """Most valuable caller first, then callers at risk, then the longest waiting."""
    return sorted(
        found,
        key=lambda w: (
            TIER_RANK.get(w.tier or "", len(TIER_RANK)),
            not w.at_risk,
            w.call.queued_at or w.call.started_at,
            w.call.id,
        ),
    )
