"""The KPIs the test expects, computed from its own record of the simulated day only.

The conventions are the documented ones: each count in the window where its event happened
(entry, answer, end, end of after-call work), agent time cut at the window's edges.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from tests.contact.kpis.simulation import Contact, Day

SHORT_ABANDON = 5.0
FCR_DAYS = 7
_STATES = {
    "available": "available_seconds",
    "on_contact": "on_contact_seconds",
    "after_call_work": "wrap_up_seconds",
    "paused": "paused_seconds",
}
Totals = dict[str, float]


class Expected:
    """Counters per group of one window, from the day's record."""

    def __init__(
        self, day: Day, ids: dict[str, str], thresholds: dict[str, int], group_by: Sequence[str]
    ) -> None:
        self.day, self.ids, self.thresholds, self.group_by = day, ids, thresholds, group_by
        self.groups: dict[tuple[str, ...], Totals] = defaultdict(lambda: defaultdict(float))

    def _key(self, c: Contact, *, with_agent: bool) -> tuple[str, ...]:
        dims = {
            "queue": self.ids[c.queue],
            "tier": c.tier,
            "agent": self.ids[c.agent] if with_agent and c.agent else "",
            "channel": c.channel,
        }
        return tuple(dims[d] for d in self.group_by)

    def _group(self, c: Contact, *, with_agent: bool) -> Totals:
        return self.groups[self._key(c, with_agent=with_agent)]

    def window(self, since: dt.datetime, until: dt.datetime) -> dict[tuple[str, ...], Totals]:
        def inside(at: dt.datetime | None) -> bool:
            return at is not None and since <= at < until

        for c in self.day.contacts:
            limit = self.thresholds[c.queue]
            if inside(c.entered):
                self._group(c, with_agent=False)["offered"] += 1
            if c.answered is not None and inside(c.answered):
                wait = (c.answered - c.entered).total_seconds()
                row = self._group(c, with_agent=True)
                row["answered"] += 1
                row["answered_in_threshold"] += wait <= limit
                row["answer_wait_seconds"] += wait
            if c.ended is None or not inside(c.ended):
                continue
            if c.abandoned:
                wait = (c.ended - c.entered).total_seconds()
                row = self._group(c, with_agent=False)
                row["abandoned"] += 1
                row["abandoned_short"] += wait <= SHORT_ABANDON
                row["abandoned_in_threshold"] += wait <= limit
                row["abandon_wait_seconds"] += wait
            else:
                assert c.answered is not None
                row = self._group(c, with_agent=True)
                row["handled"] += 1
                row["talk_seconds"] += (c.ended - c.answered).total_seconds()
                row["transferred"] += c.transfer
        for agent in self.day.agents.values():
            for c, start, end in agent.wraps:
                if inside(end):
                    row = self._group(c, with_agent=True)
                    row["after_call_work_seconds"] += (end - start).total_seconds()
        if not set(self.group_by) - {"agent"}:
            self._agent_time(since, until)
        return dict(self.groups)

    def _agent_time(self, since: dt.datetime, until: dt.datetime) -> None:
        for agent in self.day.agents.values():
            row = self.groups[tuple(self.ids[agent.login] for _ in self.group_by)]
            ends = [at for _, at in agent.marks[1:]] + [until]
            for (state, start), end in zip(agent.marks, ends, strict=True):
                lo, hi = max(start, since), min(end, until)
                if state in _STATES and lo < hi:
                    row[_STATES[state]] += (hi - lo).total_seconds()
                    row["staffed_seconds"] += (hi - lo).total_seconds()

    def resolution(self, since: dt.datetime, until: dt.datetime) -> dict[tuple[str, ...], float]:
        """Share of handled contacts with no repeat on their reason within FCR_DAYS."""
        judged: dict[tuple[str, ...], list[bool]] = defaultdict(list)
        for c in self.day.contacts:
            if c.abandoned or c.ended is None or not since <= c.ended < until:
                continue
            horizon = c.ended + dt.timedelta(days=FCR_DAYS)
            repeat = any(
                o.customer == c.customer
                and o.reason == c.reason
                and not o.abandoned
                and c.entered < o.entered <= horizon
                for o in self.day.contacts
            )
            judged[self._key(c, with_agent=True)].append(not repeat)
        return {k: sum(v) / len(v) for k, v in judged.items()}


def service_level(t: Totals) -> dict[str, float | None]:
    """The four variants, written out again from their definitions."""
    a, a_t, b = t["answered"], t["answered_in_threshold"], t["abandoned"]
    b_s, b_t = t["abandoned_short"], t["abandoned_in_threshold"]

    def share(x: float, y: float) -> float | None:
        return x / y if y else None

    return {
        "offered": share(a_t, a + b - b_s),
        "answered": share(a_t, a),
        "abandons_in_threshold_met": share(a_t + b_t, a + b),
        "abandons_in_threshold_ignored": share(a_t, a + b - b_t),
    }
