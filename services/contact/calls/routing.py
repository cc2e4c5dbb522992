"""Routing by value tier: which queue an incoming caller is put into."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueRouting:
    """The queues and the tiers that go to the priority one."""

    priority_tiers: list[str]
    priority_queue: str
    default_queue: str


def queue_for(tiers: Iterable[str | None], routing: QueueRouting) -> str:
    """The priority queue if any caller's tier is a priority tier, else the default queue.

    A call held for a shared number passes the tiers of all its candidates.
    """
    if any(tier in routing.priority_tiers for tier in tiers):
        return routing.priority_queue
    return routing.default_queue
