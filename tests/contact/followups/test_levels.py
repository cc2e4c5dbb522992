"""What each relationship level does after each trigger: the decision table, case by case."""

from __future__ import annotations

from services.contact.followups.levels import (
    LEVELS,
    ChurnRiskRaised,
    ComplaintClosed,
    FirstPurchase,
    SurveyAnswered,
    Trigger,
    follow_up_for,
)

CLOSED = ComplaintClosed(outcome="accepted")
WITHDRAWN = ComplaintClosed(outcome="withdrawn")
WELCOME = FirstPurchase(tier="silver")
CSAT_1 = SurveyAnswered(csat=1, nps=None, quality=None)
CSAT_3 = SurveyAnswered(csat=3, nps=None, quality=None)
BELOW = SurveyAnswered(csat=None, nps=None, quality="unacceptable")
DETRACTOR = SurveyAnswered(csat=None, nps=5, quality=None)
RISK = ChurnRiskRaised(churn_risk=0.82, threshold=0.7)


def _acts(trigger: Trigger, *, csat_at_most: int = 2) -> list[str]:
    """The levels that create a call-back task after `trigger`."""
    return [
        level
        for level in LEVELS
        if follow_up_for(level, trigger, csat_at_most=csat_at_most) is not None
    ]


def test_each_level_does_what_the_one_before_does_and_more() -> None:
    assert _acts(CLOSED) == ["responsible", "proactive", "partner"]
    assert _acts(WELCOME) == ["responsible", "proactive", "partner"]
    assert _acts(CSAT_1) == ["proactive", "partner"]
    assert _acts(BELOW) == ["proactive", "partner"]
    assert _acts(RISK) == ["proactive", "partner"]
    assert _acts(DETRACTOR) == ["partner"]
    assert _acts(CSAT_3) == []
    assert _acts(CSAT_3, csat_at_most=3) == ["proactive", "partner"]
    assert _acts(WITHDRAWN) == []


def test_the_task_says_why() -> None:
    assert (
        follow_up_for("proactive", CSAT_1, csat_at_most=2) == "Call back: CSAT 1/5 after a contact"
    )
    below = SurveyAnswered(csat=4, nps=None, quality="unacceptable")
    assert follow_up_for("proactive", below, csat_at_most=2) == (
        "Call back: quality below expectation after a contact"
    )
    assert follow_up_for("partner", RISK, csat_at_most=2) == (
        "Call back: churn risk 0.82 rose past 0.70"
    )
    assert follow_up_for("responsible", WELCOME, csat_at_most=2) == (
        "Welcome call after the first purchase (silver customer)"
    )
