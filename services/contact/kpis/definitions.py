"""The KPI formulas, pure: additive counters per interval, and the figures computed from them.

Counters are sums, so any window's figures are the sums of its intervals' counters, divided at
the end (a ratio of sums, never an average of ratios). With A answered, A_T answered within the
queue's threshold T, B abandoned, B_T abandoned within T and B_s short abandons (the caller hung
up within `short_abandon_seconds`, too soon to be served by anyone):

- service level, `offered` (the default; short abandons left out) = A_T / (A + B - B_s)
- service level, `answered` (abandons ignored)                     = A_T / A
- service level, `abandons_in_threshold_met` (they count as met)   = (A_T + B_T) / (A + B)
- service level, `abandons_in_threshold_ignored`                   = A_T / (A + B - B_T)
- average speed of answer ASA = Σ wait of answered / A
- average handle time AHT = (Σ talk + Σ hold + Σ after-call work) / handled; the phone systems
  report hold inside the connected time, so it is part of talk here
- abandonment rate = B / (A + B); excluding short abandons = (B - B_s) / (A + B - B_s)
- occupancy = (on-contact + after-call-work time) / (available + on-contact + after-call-work)
- contacts per hour = handled / window hours; per staffed hour = handled / signed-in hours
- transfer rate = transferred / handled
- first-contact resolution = handled contacts with no repeat / handled contacts judged
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

ServiceLevelVariant = Literal[
    "offered", "answered", "abandons_in_threshold_met", "abandons_in_threshold_ignored"
]
VARIANTS: tuple[ServiceLevelVariant, ...] = (
    "offered",
    "answered",
    "abandons_in_threshold_met",
    "abandons_in_threshold_ignored",
)


@dataclass
class Counters:
    """What one interval adds up for one queue x tier x agent x channel (all sums)."""

    offered: int = 0
    answered: int = 0
    answered_in_threshold: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    abandoned_in_threshold: int = 0
    answer_wait_seconds: float = 0.0
    abandon_wait_seconds: float = 0.0
    handled: int = 0
    talk_seconds: float = 0.0
    after_call_work_seconds: float = 0.0
    transferred: int = 0
    staffed_seconds: float = 0.0
    available_seconds: float = 0.0
    on_contact_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    paused_seconds: float = 0.0

    def add(self, other: Counters) -> None:
        """Add `other` into this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


COUNTER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Counters))


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator > 0 else None


def service_levels(c: Counters) -> dict[ServiceLevelVariant, float | None]:
    """Each variant of the service level."""
    a, a_t, b = c.answered, c.answered_in_threshold, c.abandoned
    return {
        "offered": ratio(a_t, a + b - c.abandoned_short),
        "answered": ratio(a_t, a),
        "abandons_in_threshold_met": ratio(a_t + c.abandoned_in_threshold, a + b),
        "abandons_in_threshold_ignored": ratio(a_t, a + b - c.abandoned_in_threshold),
    }


@dataclass(frozen=True)
class Resolution:
    """First-contact resolution: handled contacts judged, and those with no repeat."""

    judged: int
    resolved: int


@dataclass(frozen=True)
class Figures:
    """The KPIs of one group over one window."""

    service_level: dict[ServiceLevelVariant, float | None]
    asa_seconds: float | None
    aht_seconds: float | None
    average_talk_seconds: float | None
    average_after_call_work_seconds: float | None
    abandonment_rate: float | None
    abandonment_rate_excluding_short: float | None
    average_abandon_wait_seconds: float | None
    occupancy: float | None
    contacts_per_hour: float | None
    contacts_per_staffed_hour: float | None
    transfer_rate: float | None
    first_contact_resolution: float | None


def figures(
    c: Counters, *, window_seconds: float, agent_time: bool, resolution: Resolution | None
) -> Figures:
    """The KPIs from summed counters; agent-time figures only where agent time is known."""
    busy = c.on_contact_seconds + c.wrap_up_seconds
    return Figures(
        service_level=service_levels(c),
        asa_seconds=ratio(c.answer_wait_seconds, c.answered),
        aht_seconds=ratio(c.talk_seconds + c.after_call_work_seconds, c.handled),
        average_talk_seconds=ratio(c.talk_seconds, c.handled),
        average_after_call_work_seconds=ratio(c.after_call_work_seconds, c.handled),
        abandonment_rate=ratio(c.abandoned, c.answered + c.abandoned),
        abandonment_rate_excluding_short=ratio(
            c.abandoned - c.abandoned_short, c.answered + c.abandoned - c.abandoned_short
        ),
        average_abandon_wait_seconds=ratio(c.abandon_wait_seconds, c.abandoned),
        occupancy=ratio(busy, c.available_seconds + busy) if agent_time else None,
        contacts_per_hour=ratio(c.handled, window_seconds / 3600),
        contacts_per_staffed_hour=(
            ratio(c.handled, c.staffed_seconds / 3600) if agent_time else None
        ),
        transfer_rate=ratio(c.transferred, c.handled),
        first_contact_resolution=(
            ratio(resolution.resolved, resolution.judged) if resolution else None
        ),
    )
