"""The routing rules on their own: priority with its reasons, and who is offered what."""

from __future__ import annotations

import datetime as dt
import uuid

from services.contact.routing.engine import (
    AgentSlot,
    Timing,
    Waiting,
    Weights,
    assign,
    line_order,
    priority,
    required_now,
)

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
WEIGHTS = Weights(
    queue=10.0,
    tiers={"gold": 30.0, "silver": 20.0, "bronze": 10.0, "iron": 0.0},
    churn_risk=15.0,
    churn_threshold=0.7,
)
TIMING = Timing(preferred_agent_seconds=30, expansion_seconds=60)


def agent(idle_minutes: float, skills: dict[str, int] | None = None, **kw: object) -> AgentSlot:
    return AgentSlot(
        id=uuid.uuid4(),
        skills=skills if skills is not None else {"billing": 3},
        capacity=kw.pop("capacity", {"voice": 1, "chat": 3}),  # type: ignore[arg-type]
        load=kw.pop("load", {}),  # type: ignore[arg-type]
        idle_since=NOW - dt.timedelta(minutes=idle_minutes),
        available=bool(kw.pop("available", True)),
        signed_in=bool(kw.pop("signed_in", True)),
    )


def waiting(waited: float, prio: float = 0.0, **kw: object) -> Waiting:
    return Waiting(
        id=uuid.uuid4(),
        channel=str(kw.pop("channel", "voice")),
        required=kw.pop("required", {"billing": 3}),  # type: ignore[arg-type]
        entered_at=NOW - dt.timedelta(seconds=waited),
        priority=prio,
        preferred_agent_id=kw.pop("preferred", None),  # type: ignore[arg-type]
        declined_by=frozenset(kw.pop("declined", ())),  # type: ignore[call-overload]
    )


def test_priority_adds_queue_tier_and_risk_and_names_each_part() -> None:
    score, reasons = priority(WEIGHTS, queue_priority=2, tier="gold", churn_risk=0.8)
    low, low_reasons = priority(WEIGHTS, queue_priority=0, tier="iron", churn_risk=0.69)

    assert reasons == {"queue": 20.0, "tier": 30.0, "churn_risk": 15.0}
    assert score == 65.0
    assert low_reasons == {"queue": 0.0, "tier": 0.0, "churn_risk": 0.0}
    assert low == 0.0
    assert priority(WEIGHTS, queue_priority=0, tier=None, churn_risk=None)[0] == 0.0


def test_the_line_is_priority_first_then_the_longest_wait() -> None:
    gold_new, iron_old, gold_old = waiting(5, 30), waiting(300, 0), waiting(50, 30)

    assert line_order([gold_new, iron_old, gold_old]) == [gold_old, gold_new, iron_old]


def test_the_longest_idle_qualified_agent_gets_the_best_contact() -> None:
    fresh, idle, unskilled = agent(1), agent(10), agent(60, {"sales": 5})
    best, second = waiting(10, 30), waiting(100, 0)

    decisions = assign([best, second], [fresh, idle, unskilled], now=NOW, timing=TIMING)

    assert [(w.id, a.id) for w, a in decisions] == [(best.id, idle.id), (second.id, fresh.id)]


def test_each_agent_is_offered_one_contact_per_pass_and_busy_agents_none() -> None:
    on_call = agent(30, load={"voice": 1})
    free = agent(5)
    offered = agent(50)
    offered.offered = True

    decisions = assign([waiting(10), waiting(20)], [on_call, free, offered], now=NOW, timing=TIMING)

    assert [a.id for _, a in decisions] == [free.id]


def test_an_agent_on_a_call_can_still_take_a_chat_within_capacity() -> None:
    chatting = agent(5, load={"voice": 1, "chat": 2})

    decisions = assign([waiting(10, channel="chat")], [chatting], now=NOW, timing=TIMING)

    assert len(decisions) == 1


def test_required_proficiency_widens_with_the_wait() -> None:
    assert required_now({"billing": 4, "vip": 2}, 59, 60) == {"billing": 4, "vip": 2}
    assert required_now({"billing": 4, "vip": 2}, 60, 60) == {"billing": 3, "vip": 1}
    assert required_now({"billing": 4}, 10_000, 60) == {"billing": 1}
    junior = agent(5, {"billing": 2})

    early = assign([waiting(30, required={"billing": 4})], [junior], now=NOW, timing=TIMING)
    late = assign([waiting(120, required={"billing": 4})], [junior], now=NOW, timing=TIMING)

    assert early == []
    assert len(late) == 1


def test_the_preferred_agent_is_waited_for_then_anyone_takes_it() -> None:
    preferred = agent(1, load={"voice": 1})  # on a call, signed in
    other = agent(30)
    early = waiting(10, preferred=preferred.id)
    late = waiting(40, preferred=preferred.id)

    assert assign([early], [preferred, other], now=NOW, timing=TIMING) == []
    assert [a.id for _, a in assign([late], [preferred, other], now=NOW, timing=TIMING)] == [
        other.id
    ]


def test_a_free_preferred_agent_is_chosen_over_a_longer_idle_one() -> None:
    preferred, longer_idle = agent(1), agent(30)
    item = waiting(5, preferred=preferred.id)

    decisions = assign([item], [longer_idle, preferred], now=NOW, timing=TIMING)

    assert [a.id for _, a in decisions] == [preferred.id]


def test_a_signed_out_preferred_agent_is_not_waited_for() -> None:
    preferred = agent(1, available=False, signed_in=False)
    other = agent(3)

    decisions = assign(
        [waiting(5, preferred=preferred.id)], [preferred, other], now=NOW, timing=TIMING
    )

    assert [a.id for _, a in decisions] == [other.id]


def test_an_agent_who_declined_is_not_offered_the_same_contact_again() -> None:
    declined, other = agent(60), agent(1)

    decisions = assign(
        [waiting(10, declined={declined.id})], [declined, other], now=NOW, timing=TIMING
    )

    assert [a.id for _, a in decisions] == [other.id]
