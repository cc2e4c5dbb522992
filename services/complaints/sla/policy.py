"""SLA policies: working time allowed per target, and the deadlines it gives; no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from services.complaints.sla.calendar import BusinessCalendar
from services.complaints.sla.priority import Priority

Target = Literal["acknowledgement", "first_response", "resolution"]

TARGETS: tuple[Target, ...] = ("acknowledgement", "first_response", "resolution")


@dataclass(frozen=True)
class SlaTargets:
    """Working time allowed until acknowledgement, first response and resolution."""

    acknowledgement: dt.timedelta
    first_response: dt.timedelta
    resolution: dt.timedelta

    def of(self, target: Target) -> dt.timedelta:
        """The allowance of one target."""
        value: dt.timedelta = getattr(self, target)
        return value


def _hours(ack: float, response: float, resolution: float) -> SlaTargets:
    return SlaTargets(
        dt.timedelta(hours=ack), dt.timedelta(hours=response), dt.timedelta(hours=resolution)
    )


# (priority, category) → targets in business hours; category None is the priority's default.
POLICIES: dict[tuple[Priority, str | None], SlaTargets] = {
    ("p1", None): _hours(1, 4, 16),
    ("p2", None): _hours(2, 8, 24),
    ("p3", None): _hours(4, 16, 40),
    ("p4", None): _hours(8, 24, 80),
    # Conduct complaints are answered fast whatever their priority: the complainant was hurt.
    ("p1", "staff_conduct"): _hours(0.5, 2, 16),
    ("p2", "staff_conduct"): _hours(1, 4, 24),
    ("p3", "staff_conduct"): _hours(2, 8, 40),
    ("p4", "staff_conduct"): _hours(4, 16, 80),
    # A billing error is usually quick to check and correct.
    ("p3", "billing"): _hours(4, 16, 24),
    ("p4", "billing"): _hours(8, 16, 40),
}


def policy_for(priority: Priority, category: str) -> SlaTargets:
    """The policy of a (priority, category), falling back to the priority's default."""
    return POLICIES.get((priority, category)) or POLICIES[(priority, None)]


@dataclass(frozen=True)
class Deadline:
    """When a target warns and when it is breached."""

    warn_at: dt.datetime
    due_at: dt.datetime


def schedule(
    targets: SlaTargets,
    calendar: BusinessCalendar,
    *,
    started_at: dt.datetime,
    paused: dt.timedelta,
    warn_fraction: float,
) -> dict[Target, Deadline]:
    """Deadlines of every target: business time from `started_at`, plus time spent paused."""
    out: dict[Target, Deadline] = {}
    for target in TARGETS:
        allowance = targets.of(target)
        out[target] = Deadline(
            warn_at=calendar.add_business(started_at, allowance * warn_fraction + paused),
            due_at=calendar.add_business(started_at, allowance + paused),
        )
    return out
