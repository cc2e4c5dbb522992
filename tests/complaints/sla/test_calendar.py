"""Business-time arithmetic: weekends, public holidays, split shifts, time zones, DST."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from services.complaints.sla.calendar import (
    BUILTIN_CALENDARS,
    BusinessCalendar,
    CalendarError,
    parse_shifts,
)

CN = BUILTIN_CALENDARS["cn"]
US = BUILTIN_CALENDARS["us"]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def cn(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def ny(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=NEW_YORK)


def hours(h: float) -> dt.timedelta:
    return dt.timedelta(hours=h)


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [
        pytest.param(CN, cn(2026, 11, 2, 10), hours(1), cn(2026, 11, 2, 11), id="within-shift"),
        pytest.param(CN, cn(2026, 11, 2, 10), hours(3), cn(2026, 11, 2, 14), id="skips-lunch"),
        pytest.param(CN, cn(2026, 11, 2, 12, 30), hours(1), cn(2026, 11, 2, 14), id="from-lunch"),
        pytest.param(CN, cn(2026, 11, 2, 7), hours(1), cn(2026, 11, 2, 10), id="before-opening"),
        pytest.param(CN, cn(2026, 11, 2, 10), hours(8), cn(2026, 11, 3, 10), id="full-day"),
        pytest.param(CN, cn(2026, 11, 6, 17), hours(2), cn(2026, 11, 9, 10), id="weekend"),
        pytest.param(CN, cn(2026, 11, 7, 11), hours(1), cn(2026, 11, 9, 10), id="from-saturday"),
        pytest.param(CN, cn(2026, 9, 30, 17), hours(2), cn(2026, 10, 8, 10), id="cn-national-day"),
        pytest.param(
            CN, cn(2026, 10, 9, 17), hours(2), cn(2026, 10, 10, 10), id="cn-make-up-saturday"
        ),
        pytest.param(
            CN, cn(2026, 2, 13, 17), hours(2), cn(2026, 2, 14, 10), id="cn-make-up-before-new-year"
        ),
        pytest.param(
            CN, cn(2026, 2, 14, 17), hours(2), cn(2026, 2, 24, 10), id="cn-spring-festival"
        ),
        pytest.param(
            US, ny(2026, 11, 25, 16), hours(2), ny(2026, 11, 27, 10), id="us-thanksgiving"
        ),
        pytest.param(US, ny(2026, 12, 24, 16), hours(2), ny(2026, 12, 28, 10), id="us-christmas"),
        pytest.param(US, ny(2026, 10, 30, 16), hours(2), ny(2026, 11, 2, 10), id="us-dst-ends"),
        pytest.param(US, ny(2026, 3, 6, 16), hours(2), ny(2026, 3, 9, 10), id="us-dst-starts"),
        pytest.param(CN, cn(2026, 11, 2, 10), hours(0), cn(2026, 11, 2, 10), id="zero"),
    ],
)
def test_add_business(
    calendar: BusinessCalendar, start: dt.datetime, duration: dt.timedelta, expected: dt.datetime
) -> None:
    assert calendar.add_business(start, duration) == expected


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        pytest.param(CN, cn(2026, 11, 2, 10), cn(2026, 11, 3, 10), hours(8), id="one-day"),
        pytest.param(CN, cn(2026, 11, 2, 11), cn(2026, 11, 2, 14), hours(2), id="over-lunch"),
        pytest.param(CN, cn(2026, 11, 7, 9), cn(2026, 11, 8, 18), hours(0), id="weekend"),
        pytest.param(CN, cn(2026, 10, 1, 0), cn(2026, 10, 8, 0), hours(0), id="golden-week"),
        pytest.param(CN, cn(2026, 11, 3, 10), cn(2026, 11, 2, 10), hours(0), id="backwards"),
        pytest.param(US, ny(2026, 11, 23, 9), ny(2026, 11, 30, 9), hours(32), id="thanksgiving-wk"),
    ],
)
def test_business_between(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime, expected: dt.timedelta
) -> None:
    assert calendar.business_between(start, end) == expected


def test_same_instant_in_another_zone_gives_the_same_answer() -> None:
    start = cn(2026, 11, 6, 17)
    assert CN.add_business(start.astimezone(NEW_YORK), hours(2)) == CN.add_business(start, hours(2))


@pytest.mark.parametrize("calendar", [CN, US], ids=["cn", "us"])
def test_business_between_undoes_add_business(calendar: BusinessCalendar) -> None:
    rng = random.Random(20261102)
    origin = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for _ in range(300):
        start = origin + dt.timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        duration = dt.timedelta(minutes=rng.randrange(1, 60 * 80))
        end = calendar.add_business(start, duration)
        assert end > start
        assert calendar.business_between(start, end) == duration


def test_holiday_list_can_be_extended_and_overridden() -> None:
    calendar = BusinessCalendar(
        name="team",
        timezone="Europe/Berlin",
        shifts=parse_shifts("08:00-16:00"),
        extra_holidays=frozenset({dt.date(2026, 11, 2)}),
        extra_working_days=frozenset({dt.date(2026, 11, 7)}),
    )
    berlin = ZoneInfo("Europe/Berlin")
    assert not calendar.is_working_day(dt.date(2026, 11, 2))
    assert calendar.is_working_day(dt.date(2026, 11, 7))
    # Friday 15:00 + 2h: one hour on Friday, the next on the extra working Saturday.
    assert calendar.add_business(dt.datetime(2026, 11, 6, 15, tzinfo=berlin), hours(2)) == (
        dt.datetime(2026, 11, 7, 9, tzinfo=berlin)
    )
    # Monday the 2nd is an extra holiday: Friday 30 Oct 15:00 + 2h ends Tuesday 09:00.
    assert calendar.add_business(dt.datetime(2026, 10, 30, 15, tzinfo=berlin), hours(2)) == (
        dt.datetime(2026, 11, 3, 9, tzinfo=berlin)
    )


@pytest.mark.parametrize("text", ["9-12", "09:00", "12:00-09:00", "09:00-12:00,11:00-13:00", ""])
def test_bad_shifts_are_refused(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_shifts(text)


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        CN.add_business(dt.datetime(2026, 11, 2, 10), hours(1))
    with pytest.raises(ValueError, match="negative"):
        CN.add_business(cn(2026, 11, 2, 10), hours(-1))


def test_calendar_without_working_days_fails_instead_of_looping() -> None:
    calendar = BusinessCalendar(
        name="never",
        timezone="UTC",
        shifts=parse_shifts("09:00-10:00"),
        working_weekdays=frozenset(),
    )
    with pytest.raises(CalendarError):
        calendar.add_business(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), hours(1))


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(CalendarError):
        BusinessCalendar(name="x", timezone="Mars/Olympus", shifts=parse_shifts("09:00-10:00"))
