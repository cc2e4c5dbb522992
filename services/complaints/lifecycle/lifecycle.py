"""The complaint lifecycle (ISO 10002 steps) as a transition table."""

from __future__ import annotations

from typing import Literal, get_args

State = Literal[
    "received",
    "acknowledged",
    "assessed",
    "investigating",
    "waiting_on_customer",
    "waiting_on_third_party",
    "response_proposed",
    "decision_communicated",
    "closed_accepted",
    "closed_rejected",
    "withdrawn",
    "reopened",
]
STATES: tuple[State, ...] = get_args(State)

_WITHDRAW: tuple[State, ...] = ("withdrawn",)

TRANSITIONS: dict[State, tuple[State, ...]] = {
    "received": ("acknowledged", *_WITHDRAW),
    "acknowledged": ("assessed", *_WITHDRAW),
    # A simple complaint can be answered straight after assessment, without investigation.
    "assessed": ("investigating", "response_proposed", *_WITHDRAW),
    "investigating": (
        "waiting_on_customer",
        "waiting_on_third_party",
        "response_proposed",
        *_WITHDRAW,
    ),
    "waiting_on_customer": ("investigating", *_WITHDRAW),
    "waiting_on_third_party": ("investigating", *_WITHDRAW),
    # The complainant may push back on a proposal before the decision: investigate again.
    "response_proposed": ("decision_communicated", "investigating", *_WITHDRAW),
    "decision_communicated": ("closed_accepted", "closed_rejected"),
    "closed_accepted": ("reopened",),
    "closed_rejected": ("reopened",),
    "withdrawn": (),
    "reopened": ("assessed", "investigating", *_WITHDRAW),
}

CLOSED: frozenset[State] = frozenset({"closed_accepted", "closed_rejected", "withdrawn"})
# The SLA clock stops while the customer owes us something; a third party's delay is ours.
PAUSED: frozenset[State] = frozenset({"waiting_on_customer"})


def allowed_from(state: State) -> tuple[State, ...]:
    """States reachable from `state` in one step."""
    return TRANSITIONS[state]


def is_allowed(source: State, target: State) -> bool:
    """True if `source → target` is a step of the lifecycle."""
    return target in TRANSITIONS[source]


def is_open(state: State) -> bool:
    """True until the complaint is closed or withdrawn."""
    return state not in CLOSED
