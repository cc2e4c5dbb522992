"""A circuit breaker per upstream: stop sending to a service that keeps failing.

Closed: requests pass; `failures` consecutive failures (no connection, timeout) open it.
Open: requests get 503 at once for `open_seconds`, sparing the caller the timeout and the
service the load. Then half-open: one request probes; success closes, failure opens again.
Small enough to keep here: the maintained Python breakers are synchronous or unmaintained.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from services.gateway.errors import CircuitOpenError


@dataclass
class CircuitBreaker:
    """The state of one upstream's circuit."""

    upstream: str
    failures: int
    open_seconds: float
    clock: Callable[[], float] = time.monotonic
    consecutive: int = 0
    opened_at: float | None = None
    probing: bool = field(default=False)

    @property
    def state(self) -> str:
        """`closed`, `open` or `half-open`."""
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.open_seconds else "open"

    def before_request(self) -> None:
        """Raise `CircuitOpenError` unless this request may go upstream."""
        state = self.state
        if state == "open" or (state == "half-open" and self.probing):
            assert self.opened_at is not None
            remaining = self.open_seconds - (self.clock() - self.opened_at)
            raise CircuitOpenError(self.upstream, retry_after=max(1, round(remaining)))
        if state == "half-open":
            self.probing = True

    def succeeded(self) -> None:
        """The upstream answered: close the circuit."""
        self.consecutive, self.opened_at, self.probing = 0, None, False

    def failed(self) -> None:
        """The upstream could not be reached or timed out."""
        self.consecutive += 1
        self.probing = False
        if self.opened_at is not None or self.consecutive >= self.failures:
            self.opened_at = self.clock()
