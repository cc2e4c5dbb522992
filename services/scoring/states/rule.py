"""The customer state (客户状态) a customer's history puts them in, and the moves to get there.

A customer scoring has heard of is a prospect (潜在客户) from the first contact, a current
customer (现实客户) from the first purchase, and lost (流失客户) once the churn horizon the model's
churn risk is about passes with no purchase. A lost customer who buys again is won back: current
again, through a move of its own. Pure: every move is dated when it happened, not when seen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.contracts.scoring import CustomerState, StateTransition


@dataclass(frozen=True)
class Facts:
    """What the state rule reads of a customer's statistics."""

    first_contact_at: dt.datetime | None
    first_purchase_at: dt.datetime | None
    last_purchase_at: dt.datetime | None


@dataclass(frozen=True)
class Move:
    """One change of state, dated when it happened."""

    previous_state: CustomerState | None
    state: CustomerState
    transition: StateTransition
    occurred_at: dt.datetime


def lost_at(last_purchase_at: dt.datetime, horizon_weeks: float) -> dt.datetime:
    """When a customer whose last purchase was at `last_purchase_at` counts as lost."""
    return last_purchase_at + dt.timedelta(weeks=horizon_weeks)


def moves(
    state: CustomerState | None, facts: Facts, *, now: dt.datetime, horizon_weeks: float
) -> list[Move]:
    """The moves from `state` to where `facts` put the customer at `now`, oldest first."""
    if facts.first_purchase_at is None or facts.last_purchase_at is None:
        if state is None:
            return [Move(None, "prospect", "first_contact", facts.first_contact_at or now)]
        return []
    out: list[Move] = []
    if state in (None, "non_customer", "prospect"):
        out.append(Move(state, "current", "first_purchase", facts.first_purchase_at))
        state = "current"
    lost = lost_at(facts.last_purchase_at, horizon_weeks)
    if state == "lost" and lost > now:
        out.append(Move("lost", "current", "won_back", facts.last_purchase_at))
    elif state == "current" and lost <= now:
        out.append(Move("current", "lost", "churned", lost))
    return out
