"""The interval counters and the KPI formulas on a quarter-hour worked out by hand."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.contact.kpis.definitions import Counters, Resolution, figures
from services.contact.kpis.intervals import (
    ContactFact,
    PresenceMark,
    ReasonFact,
    aggregate,
    interval_start,
    repeated,
)

TEN = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)


def at(minutes: int, seconds: int = 0) -> dt.datetime:
    return TEN + dt.timedelta(minutes=minutes, seconds=seconds)


def _voice(entered: dt.datetime, state: str, **times: dt.datetime | None) -> ContactFact:
    return ContactFact(
        id=uuid.uuid4(),
        queue="q",
        tier="gold",
        channel="voice",
        threshold_seconds=20,
        state=state,
        entered_at=entered,
        assigned_at=times.get("assigned"),
        ended_at=times.get("ended"),
        agent="a" if times.get("assigned") else "",
        transferred=bool(times.get("transferred")),
    )


def test_a_quarter_hour_adds_up_as_worked_out_by_hand() -> None:
    contacts = [
        _voice(at(0), "completed", assigned=at(0, 10), ended=at(3, 10), transferred=at(1)),
        _voice(at(1), "abandoned", ended=at(1, 3)),  # short, within T
        _voice(at(2), "abandoned", ended=at(2, 30)),  # neither
        _voice(at(5), "assigned", assigned=at(5, 25)),  # answered late, still talking
        _voice(at(14), "assigned", assigned=at(16)),  # answered in the next quarter
    ]
    presence = [
        PresenceMark("a", "available", TEN - dt.timedelta(minutes=5)),
        PresenceMark("a", "on_contact", at(0, 10)),
        PresenceMark("a", "after_call_work", at(3, 10)),
        PresenceMark("a", "available", at(3, 40)),
        PresenceMark("a", "on_contact", at(5, 25)),
    ]

    rows = aggregate(contacts, presence, since=TEN, until=at(15), short_abandon_seconds=5)
    total = Counters()
    for (start, _), counters in rows.items():
        assert start == TEN
        total.add(counters)
    result = figures(total, window_seconds=900, agent_time=True, resolution=Resolution(4, 3))

    assert (total.offered, total.answered, total.answered_in_threshold) == (5, 2, 1)
    assert (total.abandoned, total.abandoned_short, total.abandoned_in_threshold) == (2, 1, 1)
    assert (total.answer_wait_seconds, total.abandon_wait_seconds) == (35, 33)
    assert (total.handled, total.talk_seconds, total.transferred) == (1, 180, 1)
    assert total.after_call_work_seconds == 30
    assert (total.available_seconds, total.on_contact_seconds) == (115, 755)
    assert (total.wrap_up_seconds, total.staffed_seconds) == (30, 900)
    assert result.service_level == {
        "offered": pytest.approx(1 / 3),
        "answered": 0.5,
        "abandons_in_threshold_met": 0.5,
        "abandons_in_threshold_ignored": pytest.approx(1 / 3),
    }
    assert (result.asa_seconds, result.aht_seconds) == (17.5, 210)
    assert result.abandonment_rate == 0.5
    assert result.abandonment_rate_excluding_short == pytest.approx(1 / 3)
    assert result.occupancy == pytest.approx(785 / 900)
    assert (result.contacts_per_hour, result.contacts_per_staffed_hour) == (4, 4)
    assert (result.transfer_rate, result.first_contact_resolution) == (1, 0.75)


def test_figures_with_nothing_to_divide_by_are_null() -> None:
    result = figures(Counters(), window_seconds=900, agent_time=False, resolution=None)

    assert set(result.service_level.values()) == {None}
    assert result.asa_seconds is result.occupancy is result.first_contact_resolution is None


def test_intervals_start_on_the_quarter_hour() -> None:
    assert interval_start(at(29, 59)) == at(15)
    assert interval_start(at(30)) == at(30)


def test_a_repeat_on_the_same_reason_within_the_days_unresolves_the_first_contact() -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    first = ReasonFact(uuid.uuid4(), me, "billing", at(0), at(5))
    repeat = ReasonFact(uuid.uuid4(), me, "billing", at(0) + dt.timedelta(days=7), None)
    too_late = ReasonFact(uuid.uuid4(), me, "delivery", at(6), at(9))
    elsewhere = ReasonFact(uuid.uuid4(), other, "delivery", at(7), at(8))
    late_repeat = ReasonFact(uuid.uuid4(), me, "delivery", at(9) + dt.timedelta(days=8), None)

    found = repeated(
        [first, too_late, elsewhere],
        [first, repeat, too_late, elsewhere, late_repeat],
        days=7,
    )

    assert found == {first.id}
