"""Rate limits per client IP, per key or person, and a tighter one on failed authentication.

Each limit is a sliding window estimated from two fixed windows (the current one's count plus
the previous one's, weighted by how much of it is still inside the sliding window): two numbers
per client, a few dict operations per request and no background work. It is exact while a
client's events fall in one fixed window; across a boundary it assumes the previous window's
events were spread evenly, so a client bursting at the end of one window and the start of the
next may get somewhat more than the figure over that sliding period, never twice as much.

Counted in this process's memory: each gateway replica counts on its own, so with N replicas
behind a balancer a client gets up to N times the figure. That bounds guessing and floods
without a shared store.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import parse

from services.gateway.errors import RateLimitedError
from services.gateway.settings import GatewaySettings

# Clients remembered per limit before those idle for two windows are forgotten.
_PRUNE_AT = 50_000


@dataclass
class _Counts:
    window: int  # index of the current fixed window
    current: int
    previous: int


class SlidingWindow:
    """At most `amount` events per `period` seconds per client."""

    def __init__(
        self, amount: int, period: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.amount = amount
        self.period = period
        self.clock = clock
        self._counts: dict[str, _Counts] = {}

    def _counts_of(self, who: str, now: float) -> tuple[_Counts, float]:
        """The client's counts rolled to the window of `now`, and how far into it `now` is."""
        index, into = divmod(now, self.period)
        window = int(index)
        counts = self._counts.get(who)
        if counts is None:
            if len(self._counts) >= _PRUNE_AT:
                self._prune(window)
            counts = self._counts[who] = _Counts(window, 0, 0)
        elif counts.window != window:
            counts.previous = counts.current if counts.window == window - 1 else 0
            counts.current, counts.window = 0, window
        return counts, into / self.period

    def _estimate(self, counts: _Counts, fraction: float) -> float:
        return counts.previous * (1.0 - fraction) + counts.current

    def allows(self, who: str) -> bool:
        """Whether one more event of `who` would stay within the limit (nothing counted)."""
        counts, fraction = self._counts_of(who, self.clock())
        return self._estimate(counts, fraction) + 1 <= self.amount

    def hit(self, who: str) -> bool:
        """Count one event of `who` if it stays within the limit; whether it did."""
        counts, fraction = self._counts_of(who, self.clock())
        if self._estimate(counts, fraction) + 1 > self.amount:
            return False
        counts.current += 1
        return True

    def retry_after(self, who: str) -> int:
        """Whole seconds until `who` may send again."""
        counts, fraction = self._counts_of(who, self.clock())
        left = (1.0 - fraction) * self.period
        if counts.current + 1 > self.amount:
            # Next window: the previous weight must fall to let one more in.
            needed = 1.0 - (self.amount - 1) / counts.current
            return max(1, math.ceil(left + needed * self.period))
        if counts.previous == 0:
            return 1
        room = (self.amount - 1 - counts.current) / counts.previous
        return max(1, math.ceil((1.0 - room - fraction) * self.period))

    def _prune(self, window: int) -> None:
        self._counts = {k: c for k, c in self._counts.items() if c.window >= window - 1}


def _window(notation: str) -> SlidingWindow:
    item = parse(notation)
    return SlidingWindow(item.amount, float(item.get_expiry()))


class RateLimits:
    """The gateway's three limits."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.per_ip = _window(settings.rate_limit_per_ip)
        self.per_principal = _window(settings.rate_limit_per_principal)
        self.failed_auth = _window(settings.rate_limit_failed_auth_per_ip)

    @staticmethod
    def _hit(window: SlidingWindow, scope: str, who: str) -> None:
        if not window.hit(who):
            raise RateLimitedError(window.retry_after(who), scope)

    async def count_request(self, client_ip: str) -> None:
        """Count a request from `client_ip`; 429 past the per-IP limit or after failed logins."""
        if not self.failed_auth.allows(client_ip):
            raise RateLimitedError(self.failed_auth.retry_after(client_ip), "failed-auth")
        self._hit(self.per_ip, "ip", client_ip)

    async def count_principal(self, principal: str) -> None:
        """Count a request of an authenticated key or person."""
        self._hit(self.per_principal, "principal", principal)

    async def count_failed_auth(self, client_ip: str) -> None:
        """Remember a failed authentication from `client_ip`."""
        self.failed_auth.hit(client_ip)
