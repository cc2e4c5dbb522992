"""The routing rules, pure: a contact's priority, and which agent gets which waiting contact.

Priority = queue priority times its weight + the customer's tier points + a bonus when the churn
risk is at or above the threshold; ties go to the longest wait. Each part is kept, so an agent
or supervisor sees why a contact is where it is.

Assignment walks the waiting contacts best first and gives each to the longest-idle available
agent who has the skills and a free slot on the channel. The customer's preferred agent (their
last agent, or their owner) is waited for during a grace period if they are signed in. The
required proficiency widens with the wait (timed expansion): every `expansion_seconds` one
level lower, never below 1.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Weights:
    """How much each part of the priority counts."""

    queue: float
    tiers: dict[str, float]
    churn_risk: float
    churn_threshold: float


@dataclass(frozen=True)
class Timing:
    """The routing delays."""

    preferred_agent_seconds: float
    expansion_seconds: float


@dataclass
class AgentSlot:
    """An agent as routing sees them in one pass."""

    id: uuid.UUID
    skills: dict[str, int]
    capacity: dict[str, int]
    load: dict[str, int]
    idle_since: dt.datetime
    available: bool
    signed_in: bool
    offered: bool = False

    def can_take(self, channel: str) -> bool:
        """Free to be offered a contact on `channel` now."""
        return (
            self.available
            and not self.offered
            and self.load.get(channel, 0) < self.capacity.get(channel, 0)
        )

    def qualifies(self, required: dict[str, int]) -> bool:
        """Has every required skill at the required level or above."""
        return all(self.skills.get(skill, 0) >= level for skill, level in required.items())


@dataclass
class Waiting:
    """A waiting contact as routing sees it in one pass."""

    id: uuid.UUID
    channel: str
    required: dict[str, int]
    entered_at: dt.datetime
    priority: float
    preferred_agent_id: uuid.UUID | None = None
    declined_by: frozenset[uuid.UUID] = field(default_factory=frozenset)


def priority(
    weights: Weights, *, queue_priority: int, tier: str | None, churn_risk: float | None
) -> tuple[float, dict[str, float]]:
    """The contact's priority and the contribution of each part."""
    reasons = {
        "queue": queue_priority * weights.queue,
        "tier": weights.tiers.get(tier or "", 0.0),
        "churn_risk": (
            weights.churn_risk
            if churn_risk is not None and churn_risk >= weights.churn_threshold
            else 0.0
        ),
    }
    return sum(reasons.values()), reasons


def required_now(
    required: dict[str, int], waited: float, expansion_seconds: float
) -> dict[str, int]:
    """The required levels after the wait so far: one level lower per expansion step."""
    if expansion_seconds <= 0 or not required:
        return dict(required)
    steps = int(waited // expansion_seconds)
    return {skill: max(1, level - steps) for skill, level in required.items()}


def line_order(items: Iterable[Waiting]) -> list[Waiting]:
    """Best first: highest priority, then the longest wait."""
    return sorted(items, key=lambda w: (-w.priority, w.entered_at, w.id))


def assign(
    items: Sequence[Waiting], agents: Sequence[AgentSlot], *, now: dt.datetime, timing: Timing
) -> list[tuple[Waiting, AgentSlot]]:
    """Which agent to offer each waiting contact to, best contact first; each agent at most once.

    `items` must already be in line order. An agent offered a contact in this pass is not
    offered another.
    """
    free = sorted((a for a in agents if a.available and not a.offered), key=lambda a: a.idle_since)
    by_id = {a.id: a for a in agents}
    decisions: list[tuple[Waiting, AgentSlot]] = []
    for item in items:
        if not free:
            break
        waited = (now - item.entered_at).total_seconds()
        chosen = _preferred(item, by_id, waited, timing)
        if chosen is None and not _waits_for_preferred(item, by_id, waited, timing):
            required = required_now(item.required, waited, timing.expansion_seconds)
            chosen = next(
                (
                    a
                    for a in free
                    if a.id not in item.declined_by
                    and a.can_take(item.channel)
                    and a.qualifies(required)
                ),
                None,
            )
        if chosen is not None and chosen.can_take(item.channel):
            chosen.offered = True
            free.remove(chosen)
            decisions.append((item, chosen))
    return decisions


def _preferred(
    item: Waiting, agents: dict[uuid.UUID, AgentSlot], waited: float, timing: Timing
) -> AgentSlot | None:
    if item.preferred_agent_id is None or waited >= timing.preferred_agent_seconds:
        return None
    agent = agents.get(item.preferred_agent_id)
    if agent is None or agent.id in item.declined_by or not agent.can_take(item.channel):
        return None
    return agent


def _waits_for_preferred(
    item: Waiting, agents: dict[uuid.UUID, AgentSlot], waited: float, timing: Timing
) -> bool:
    """During the grace period a contact waits for its preferred agent if they are signed in."""
    if item.preferred_agent_id is None or waited >= timing.preferred_agent_seconds:
        return False
    agent = agents.get(item.preferred_agent_id)
    return agent is not None and agent.signed_in and agent.id not in item.declined_by
