"""Erlang C against the textbook figures, Erlang A against a simulation of its own queue."""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

import pytest

from services.contact.staffing.erlang import Load, agents_needed, erlang_a, erlang_c

TEN_ERLANGS = Load(arrival_rate=200 / 3600, aht_seconds=180)


def _erlang_c_by_factorials(agents: int, erlangs: float) -> float:
    """The probability of waiting from the closed formula, summed term by term."""
    top = erlangs**agents / math.factorial(agents) * agents / (agents - erlangs)
    return top / (sum(erlangs**k / math.factorial(k) for k in range(agents)) + top)


def test_ten_erlangs_at_80_20_need_14_agents() -> None:
    needed = agents_needed(TEN_ERLANGS, target=0.8, threshold_seconds=20)
    thirteen = erlang_c(13, TEN_ERLANGS, 20)

    assert needed.agents == 14
    assert needed.service_level == pytest.approx(0.888, abs=0.001)
    assert needed.asa_seconds == pytest.approx(7.8, abs=0.05)
    assert needed.occupancy == pytest.approx(10 / 14)
    assert thirteen.service_level == pytest.approx(0.796, abs=0.001)
    for n in (11, 13, 14, 20):
        assert erlang_c(n, TEN_ERLANGS, 20).probability_of_waiting == pytest.approx(
            _erlang_c_by_factorials(n, 10.0), rel=1e-9
        )


def test_too_few_agents_never_catch_up() -> None:
    assert erlang_c(10, TEN_ERLANGS, 20).service_level == 0.0


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    patient = Load(200 / 3600, 180, patience_seconds=1e8)

    a, c = erlang_a(14, patient, 20), erlang_c(14, TEN_ERLANGS, 20)

    assert a.service_level == pytest.approx(c.service_level, abs=1e-5)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-4)
    assert a.probability_of_waiting == pytest.approx(c.probability_of_waiting, rel=1e-4)


@dataclass(frozen=True)
class _Simulated:
    service_level: float
    abandonment: float
    asa_seconds: float


def _simulate(agents: int, load: Load, threshold: float, *, callers: int) -> _Simulated:
    """M/M/n+M, first come first served: a caller is served when an agent frees up before
    their patience runs out, else leaves (and takes no agent)."""
    rng = random.Random(20261102)
    assert load.patience_seconds is not None
    free_at = [0.0] * agents
    t, in_time, abandoned, waits = 0.0, 0, 0, 0.0
    warm_up = callers // 20
    for i in range(callers + warm_up):
        t += rng.expovariate(load.arrival_rate)
        patience = rng.expovariate(1 / load.patience_seconds)
        handle = rng.expovariate(1 / load.aht_seconds)
        wait = max(0.0, free_at[0] - t)
        served = wait <= patience
        if served:
            heapq.heapreplace(free_at, t + wait + handle)
        if i < warm_up:
            continue
        in_time += served and wait <= threshold
        abandoned += not served
        waits += wait if served else 0.0
    return _Simulated(in_time / callers, abandoned / callers, waits / (callers - abandoned))


@pytest.mark.parametrize("agents", [9, 12])
def test_erlang_a_agrees_with_a_simulation(agents: int) -> None:
    load = Load(200 / 3600, 180, patience_seconds=120)

    model = erlang_a(agents, load, 20)
    simulated = _simulate(agents, load, 20, callers=200_000)

    # 200 000 callers: the standard error of a share is below 0.002 even with the callers'
    # correlation through the queue; the tolerance is a few of those.
    assert model.service_level == pytest.approx(simulated.service_level, abs=0.01)
    assert model.abandonment == pytest.approx(simulated.abandonment, abs=0.005)
    assert model.asa_seconds == pytest.approx(simulated.asa_seconds, rel=0.05)


def test_erlang_a_staffing_is_met_by_the_fewest_agents() -> None:
    load = Load(200 / 3600, 180, patience_seconds=120)

    needed = agents_needed(load, target=0.8, threshold_seconds=20)

    assert needed.service_level >= 0.8
    assert erlang_a(needed.agents - 1, load, 20).service_level < 0.8
