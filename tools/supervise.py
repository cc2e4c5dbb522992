"""Keeps the broker and the services of `make run` running: restarts what dies, and says so."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shared.kafka import ensure_topics
from tools.stack import Broker
from tools.system import System

# A part that dies again within this many seconds of a restart waits twice as long next time.
_QUICK_DEATH = 30.0
_FIRST_DELAY = 0.5
_LONGEST_DELAY = 30.0


@dataclass
class _Backoff:
    delay: float = 0.0
    not_before: float = 0.0
    restarted_at: float | None = None


@dataclass
class Supervisor:
    """Restarts the broker or a service whose process has exited; `say` tells the user.

    A broker restarted in memory comes back empty: its topics are created again here, and the
    services notice the new log (see `shared/incarnation.py`) and send again what had not been
    delivered. A part that keeps dying is restarted with a growing delay (up to 30 s).
    """

    system: System
    broker: Broker
    topics: Sequence[str]
    partitions: int = 3
    say: Callable[[str], None] = print
    restarts: dict[str, int] = field(default_factory=dict)
    _backoff: dict[str, _Backoff] = field(default_factory=dict)

    def check(self) -> list[str]:
        """Restart whatever has stopped (when its delay is over); the names restarted."""
        restarted: list[str] = []
        code = self.broker.exit_code()
        if code is not None and self._due("broker"):
            self.say(
                f"broker stopped unexpectedly (exit code {code}); restarting it: it comes back "
                "empty and the services send it again what was not yet delivered"
            )
            self.broker.restart()
            made = ensure_topics(self.broker.bootstrap, self.topics, partitions=self.partitions)
            asyncio.run(made)
            restarted.append(self._restarted("broker"))
        for svc in self.system.dead():
            name = svc.info.name
            if not self._due(name):
                continue
            self.say(
                f"{name} stopped unexpectedly (exit code {svc.process.returncode}); restarting "
                f"it (log: {svc.log_path})"
            )
            self.system.respawn(name)
            restarted.append(self._restarted(name))
        return restarted

    def _due(self, name: str) -> bool:
        return time.monotonic() >= self._backoff.setdefault(name, _Backoff()).not_before

    def _restarted(self, name: str) -> str:
        state = self._backoff[name]
        now = time.monotonic()
        quick = state.restarted_at is not None and now - state.restarted_at < _QUICK_DEATH
        state.delay = min(state.delay * 2, _LONGEST_DELAY) if quick else _FIRST_DELAY
        state.restarted_at = now
        state.not_before = now + state.delay
        self.restarts[name] = self.restarts.get(name, 0) + 1
        return name
