"""Whether a queue is open: weekly opening hours in its time zone, closed on public holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_open(
    opening_hours: dict[str, list[str]],
    *,
    timezone: str,
    holiday_country: str | None,
    at: dt.datetime,
) -> bool:
    """True when `at` falls in the queue's hours (no hours at all: always open)."""
    if not opening_hours:
        return True
    local = at.astimezone(ZoneInfo(timezone))
    if holiday_country and local.date() in holidays.country_holidays(holiday_country):
        return False
    hours = opening_hours.get(_DAYS[local.weekday()])
    if not hours:
        return False
    return hours[0] <= local.strftime("%H:%M") < hours[1]
