"""Rate limits per client IP, per key or person, and a tighter one on failed authentication.

Counted with the `limits` library's moving window in this process's memory: each gateway
replica counts on its own, so with N replicas behind a balancer a client gets up to N times
the figure. That bounds guessing and floods without a shared store; a shared one (Redis) is a
`limits` storage URL away when exact global figures are needed.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from services.gateway.errors import RateLimitedError
from services.gateway.settings import GatewaySettings


class RateLimits:
    """The gateway's three limits, each a moving window."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.per_ip = parse(settings.rate_limit_per_ip)
        self.per_principal = parse(settings.rate_limit_per_principal)
        self.failed_auth = parse(settings.rate_limit_failed_auth_per_ip)

    async def _hit(self, item: RateLimitItem, scope: str, who: str) -> None:
        if not await self._limiter.hit(item, scope, who):
            raise RateLimitedError(await self._retry_after(item, scope, who), scope)

    async def _retry_after(self, item: RateLimitItem, scope: str, who: str) -> int:
        stats = await self._limiter.get_window_stats(item, scope, who)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def count_request(self, client_ip: str) -> None:
        """Count a request from `client_ip`; 429 past the per-IP limit or after failed logins."""
        if not await self._limiter.test(self.failed_auth, "failed-auth", client_ip):
            raise RateLimitedError(
                await self._retry_after(self.failed_auth, "failed-auth", client_ip), "failed-auth"
            )
        await self._hit(self.per_ip, "ip", client_ip)

    async def count_principal(self, principal: str) -> None:
        """Count a request of an authenticated key or person."""
        await self._hit(self.per_principal, "principal", principal)

    async def count_failed_auth(self, client_ip: str) -> None:
        """Remember a failed authentication from `client_ip`."""
        await self._limiter.hit(self.failed_auth, "failed-auth", client_ip)
