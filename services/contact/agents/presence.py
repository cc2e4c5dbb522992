"""Presence rules: which state an agent may choose, and what the system sets.

People choose `available`, `paused` (with a reason) and `offline`. The system sets `on_contact`
when they accept a contact, `after_call_work` when their last contact ends (wrap-up, for a
configured time), and `paused` with reason `missed_offer` when an offer to them timed out.
"""

from __future__ import annotations

from typing import Literal

ChosenState = Literal["available", "paused", "offline"]
PauseReason = Literal["break", "lunch", "training", "meeting", "coaching", "other"]
SYSTEM_REASONS = ("missed_offer",)

# States in which an agent may be offered a contact (capacity permitting).
ROUTABLE = ("available", "on_contact")


def may_choose(current: str, wanted: ChosenState, *, contacts_in_hand: int) -> bool:
    """Whether a person may move from `current` to `wanted` now.

    With contacts in hand an agent finishes them first: they can neither pause nor sign out.
    """
    if contacts_in_hand and wanted != "available":
        return False
    return current != wanted or wanted == "paused"
