"""The MAN rule: the follow-up a prospect's money, authority and need imply."""

from __future__ import annotations


def man_strategy(money: bool | None, authority: bool | None, need: bool | None) -> str:
    """The follow-up a prospect's MAN qualification implies (money, authority, need)."""
    if None in (money, authority, need):
        return "qualify: find out money, authority and need"
    return _MAN[(bool(money), bool(authority), bool(need))]


_MAN = {
    (True, True, True): "qualified: make the offer",
    (True, False, True): "find the decision maker",
    (True, True, False): "uncover or create the need",
    (False, True, True): "offer financing or a smaller package",
    (False, False, True): "nurture: find funding and the decision maker",
    (True, False, False): "low priority: reach the decision maker with a need case",
    (False, True, False): "low priority: keep informed",
    (False, False, False): "not a prospect",
}
