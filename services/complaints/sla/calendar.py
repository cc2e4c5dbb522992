"""Business calendars: working hours in a time zone, split shifts, public holidays.

Pure arithmetic on aware datetimes: `add_business(start, duration)` and
`business_between(start, end)`. Everything is computed on local wall-clock intervals and
converted to UTC per day, so daylight-saving changes shorten or lengthen a day correctly.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

# The `holidays` package names a CN bridge day "Day off (substituted from 01/04/2026)": that
# weekend date becomes a working day (调休).
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
# A duration longer than this many calendar days of searching means the calendar has no
# working time at all; stop instead of looping forever.
_MAX_SEARCH_DAYS = 3660

Shift = tuple[dt.time, dt.time]


class CalendarError(ValueError):
    """A calendar that cannot be built or has no working time."""


def parse_shifts(text: str) -> tuple[Shift, ...]:
    """`"09:00-12:00,13:00-18:00"` → shifts, checked to be ordered and non-overlapping."""
    shifts: list[Shift] = []
    for part in text.split(","):
        start_text, sep, end_text = part.strip().partition("-")
        if not sep:
            raise CalendarError(f"shift {part!r} is not HH:MM-HH:MM")
        try:
            start, end = dt.time.fromisoformat(start_text), dt.time.fromisoformat(end_text)
        except ValueError as exc:
            raise CalendarError(f"shift {part!r} is not HH:MM-HH:MM") from exc
        if end <= start or (shifts and start < shifts[-1][1]):
            raise CalendarError(f"shift {part!r} is empty or overlaps the previous one")
        shifts.append((start, end))
    return tuple(shifts)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time of a team: shifts on working weekdays in a zone, minus public holidays."""

    name: str
    timezone: str
    shifts: tuple[Shift, ...]
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holiday_country: str | None = None
    extra_holidays: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.shifts:
            raise CalendarError(f"calendar {self.name} has no shifts")
        try:
            zone = ZoneInfo(self.timezone)
        except Exception as exc:
            raise CalendarError(f"unknown time zone {self.timezone!r}") from exc
        object.__setattr__(self, "_zone", zone)

    def is_working_day(self, day: dt.date) -> bool:
        """True if `day` (local date) has working hours."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        if self.holiday_country is not None:
            if day in _substituted_workdays(self.holiday_country, day.year):
                return True
            if day in _holidays(self.holiday_country, day.year):
                return False
        return day.weekday() in self.working_weekdays

    def intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of a local date, as UTC instants."""
        if not self.is_working_day(day):
            return []
        out = []
        for start, end in self.shifts:
            local_start = dt.datetime.combine(day, start, tzinfo=self._zone)
            local_end = dt.datetime.combine(day, end, tzinfo=self._zone)
            out.append((local_start.astimezone(dt.UTC), local_end.astimezone(dt.UTC)))
        return out

    def _intervals_from(self, instant: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        # Start a day early: an instant just after local midnight may still be in the previous
        # local day's late shift only if shifts crossed midnight, which parse_shifts forbids,
        # but a day early is cheap and keeps the loop obviously correct.
        day = instant.astimezone(self._zone).date() - dt.timedelta(days=1)
        for offset in range(_MAX_SEARCH_DAYS):
            for start, end in self.intervals(day + dt.timedelta(days=offset)):
                if end > instant:
                    yield max(start, instant), end
        raise CalendarError(f"calendar {self.name} has no working time in ten years")

    def add_business(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant when `duration` of working time has passed after `start`."""
        _require_aware(start)
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        if duration == dt.timedelta(0):
            return start.astimezone(dt.UTC)
        remaining = duration
        for begin, end in self._intervals_from(start):
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _intervals_from raises when exhausted")

    def business_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time in `[start, end)`; zero when `end` is not after `start`."""
        _require_aware(start)
        _require_aware(end)
        total = dt.timedelta(0)
        if end <= start:
            return total
        for begin, stop in self._intervals_from(start):
            if begin >= end:
                break
            total += min(stop, end) - begin
        return total


def _require_aware(value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("business-time arithmetic needs aware datetimes")


@functools.lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[dt.date]:
    try:
        found = holidays.country_holidays(country, years=year)
    except NotImplementedError as exc:
        raise CalendarError(f"no public holidays known for {country!r}") from exc
    return frozenset(found.keys())


@functools.lru_cache(maxsize=256)
def _substituted_workdays(country: str, year: int) -> frozenset[dt.date]:
    # A bridge day taken in January can be paid back on a date of the previous year's December
    # and vice versa, so look at the neighbouring years too.
    days: set[dt.date] = set()
    for y in (year - 1, year, year + 1):
        try:
            found = holidays.country_holidays(country, years=y)
        except NotImplementedError as exc:
            raise CalendarError(f"no public holidays known for {country!r}") from exc
        for name in found.values():
            for month, day, yr in _SUBSTITUTED.findall(str(name)):
                date = dt.date(int(yr), int(month), int(day))
                if date.year == year:
                    days.add(date)
    return frozenset(days)


BUILTIN_CALENDARS: dict[str, BusinessCalendar] = {
    "cn": BusinessCalendar(
        name="cn",
        timezone="Asia/Shanghai",
        shifts=parse_shifts("09:00-12:00,13:00-18:00"),
        holiday_country="CN",
    ),
    "us": BusinessCalendar(
        name="us",
        timezone="America/New_York",
        shifts=parse_shifts("09:00-17:00"),
        holiday_country="US",
    ),
}
