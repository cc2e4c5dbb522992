"""The customer state rule: prospect → current → lost → won back, each move dated."""

from __future__ import annotations

import datetime as dt

from services.scoring.states.rule import Facts, Move, moves

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
# 39 weeks = 273 days without a purchase make a customer lost.
HORIZON = 39.0


def test_first_contact_makes_a_prospect() -> None:
    facts = Facts(first_contact_at=T0, first_purchase_at=None, last_purchase_at=None)
    assert moves(None, facts, now=T0 + DAY, horizon_weeks=HORIZON) == [
        Move(None, "prospect", "first_contact", T0)
    ]
    # Already a prospect: nothing more to say.
    assert moves("prospect", facts, now=T0 + DAY, horizon_weeks=HORIZON) == []


def test_prospect_current_lost_won_back() -> None:
    bought = T0 + 10 * DAY
    facts = Facts(first_contact_at=T0, first_purchase_at=bought, last_purchase_at=bought)
    assert moves("prospect", facts, now=bought, horizon_weeks=HORIZON) == [
        Move("prospect", "current", "first_purchase", bought)
    ]
    # 272 days later still current; on day 273 lost, dated then (not when it was noticed).
    assert moves("current", facts, now=bought + 272 * DAY, horizon_weeks=HORIZON) == []
    lost_at = bought + 273 * DAY
    assert moves("current", facts, now=lost_at + 40 * DAY, horizon_weeks=HORIZON) == [
        Move("current", "lost", "churned", lost_at)
    ]
    # Buying again wins the customer back, dated at that purchase.
    again = lost_at + 50 * DAY
    back = Facts(first_contact_at=T0, first_purchase_at=bought, last_purchase_at=again)
    assert moves("lost", back, now=again + DAY, horizon_weeks=HORIZON) == [
        Move("lost", "current", "won_back", again)
    ]
    assert moves("lost", facts, now=again, horizon_weeks=HORIZON) == []


def test_an_old_history_seen_at_once_moves_through_every_state_on_its_dates() -> None:
    bought = T0
    facts = Facts(first_contact_at=None, first_purchase_at=bought, last_purchase_at=bought)
    assert moves(None, facts, now=T0 + 300 * DAY, horizon_weeks=HORIZON) == [
        Move(None, "current", "first_purchase", bought),
        Move("current", "lost", "churned", T0 + 273 * DAY),
    ]
