"""Priority from severity, tier and churn risk; SLA policies per priority and category."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from services.complaints.sla.calendar import BUILTIN_CALENDARS
from services.complaints.sla.policy import policy_for, schedule
from services.complaints.sla.priority import PRIORITIES, compute_priority


@pytest.mark.parametrize(
    ("severity", "tier", "risk", "expected"),
    [
        ("low", None, None, "p4"),
        ("medium", None, None, "p4"),
        ("high", None, None, "p3"),
        ("critical", None, None, "p2"),
        ("medium", "iron", 0.1, "p4"),
        ("medium", "bronze", 0.0, "p3"),
        ("medium", "silver", 0.5, "p2"),
        ("medium", "gold", 0.9, "p2"),
        ("high", "gold", 0.9, "p1"),
        ("critical", "gold", 0.0, "p1"),
        ("low", "gold", 0.69, "p3"),
        ("low", "gold", 0.7, "p2"),
    ],
)
def test_priority(severity: str, tier: str | None, risk: float | None, expected: str) -> None:
    assert compute_priority(severity, tier, risk) == expected


def test_higher_priority_never_gets_a_looser_target() -> None:
    for category in ("billing", "staff_conduct", "delivery"):
        targets = [policy_for(p, category) for p in PRIORITIES]
        for tighter, looser in itertools.pairwise(targets):
            assert tighter.acknowledgement <= looser.acknowledgement
            assert tighter.first_response <= looser.first_response
            assert tighter.resolution <= looser.resolution


def test_category_overrides_the_priority_default() -> None:
    assert policy_for("p4", "staff_conduct").acknowledgement == dt.timedelta(hours=4)
    assert policy_for("p4", "delivery").acknowledgement == dt.timedelta(hours=8)


def test_schedule_adds_paused_time_to_every_target() -> None:
    calendar = BUILTIN_CALENDARS["cn"]
    start = dt.datetime(2026, 11, 2, 2, tzinfo=dt.UTC)  # Monday 10:00 Shanghai
    plain = schedule(
        policy_for("p4", "billing"),
        calendar,
        started_at=start,
        paused=dt.timedelta(0),
        warn_fraction=0.5,
    )
    paused = schedule(
        policy_for("p4", "billing"),
        calendar,
        started_at=start,
        paused=dt.timedelta(hours=8),
        warn_fraction=0.5,
    )
    for target in plain:
        assert calendar.business_between(plain[target].due_at, paused[target].due_at) == (
            dt.timedelta(hours=8)
        )
        assert plain[target].warn_at < plain[target].due_at
