"""Erlang C and Erlang A, pure: the service a number of agents gives, and the agents a target needs.

Erlang C (M/M/n): callers arrive at rate λ, are served in exponential time of mean AHT by `n`
agents, and wait as long as it takes. With the offered load A = λ·AHT (Erlangs), the Erlang B
blocking probability follows the stable recursion B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1)),
and the probability of waiting is C = n·B(n) / (n - A·(1 - B(n))) for n > A (1 otherwise).
Service level SL(t) = 1 - C·e^(-(n-A)·t/AHT), ASA = C·AHT / (n - A), occupancy = A / n.

Erlang A (M/M/n+M, Palm; Garnett, Mandelbaum and Reiman 2002): callers also give up after an
exponential patience of mean 1/θ. The number in the system is a birth-death chain (births λ,
deaths min(k, n)·μ + max(k - n, 0)·θ, μ = 1/AHT), solved in log space and cut where its tail is
negligible. A caller who arrives to find q others waiting (PASTA) moves up at rate n·μ + j·θ
while j are ahead and leaves at rate θ; which of the two happens first is independent of when.
So they are served with probability h_q = n·μ / (n·μ + (q+1)·θ), after stages of rates
r_j = n·μ + (j+1)·θ = θ·(m + j), j = 0...q, m = n·μ/θ + 1, whose sum S_q has e^(-θ·S_q) ~
Beta(m, q+1): served within t with probability h_q · (1 - I_{e^(-θt)}(m, q+1)) (the regularized
incomplete beta, `scipy.special.betainc`), and E[wait, served] = h_q · Σ_j 1/r_j. Service
level here is the share of *all* callers answered within t (a caller who abandons, whenever, is
not answered in time); ASA is over answered callers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy and scipy are imported by the Erlang A functions when a figure is asked for: the
# service starts without them (about half a second of CPU and 20 MiB less at every start).

MAX_AGENTS = 5000
QUEUE_CAP = 20_000


class StaffingError(ValueError):
    """No number of agents up to `MAX_AGENTS` reaches the target, or the load is beyond them."""


@dataclass(frozen=True)
class Load:
    """What the queue is offered: arrivals per second, handle time, and patience if modelled."""

    arrival_rate: float  # per second
    aht_seconds: float
    patience_seconds: float | None = None

    @property
    def erlangs(self) -> float:
        """The offered load A = λ·AHT."""
        return self.arrival_rate * self.aht_seconds


@dataclass(frozen=True)
class Service:
    """What `agents` agents give: all shares in [0, 1], times in seconds."""

    agents: int
    service_level: float
    asa_seconds: float
    occupancy: float
    probability_of_waiting: float
    abandonment: float


def erlang_b(agents: int, erlangs: float) -> float:
    """The Erlang B blocking probability, by the recursion that never overflows."""
    b = 1.0
    for k in range(1, agents + 1):
        b = erlangs * b / (k + erlangs * b)
    return b


def erlang_c(agents: int, load: Load, threshold_seconds: float) -> Service:
    """Erlang C: callers wait as long as it takes."""
    a, n = load.erlangs, agents
    if n <= a:
        return Service(n, 0.0, math.inf, 1.0, 1.0, 0.0)
    b = erlang_b(n, a)
    c = n * b / (n - a * (1 - b))
    return Service(
        agents=n,
        service_level=1 - c * math.exp(-(n - a) * threshold_seconds / load.aht_seconds),
        asa_seconds=c * load.aht_seconds / (n - a),
        occupancy=a / n,
        probability_of_waiting=c,
        abandonment=0.0,
    )


def _queue_distribution(n: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """Stationary probabilities of k = 0 ... n + Q in the system, normalised."""
    import numpy as np

    waiting_peak = max(0.0, (lam - n * mu) / theta)
    spread = math.sqrt(lam / theta + 1.0)
    # Far past the agents (an overload) the chain is cut at QUEUE_CAP waiting: its service
    # level is then near nothing either way.
    queue_cap = min(QUEUE_CAP, int(waiting_peak + 12 * spread + 50))
    k = np.arange(1, n + queue_cap + 1, dtype=float)
    deaths = np.minimum(k, n) * mu + np.maximum(k - n, 0.0) * theta
    log_p = np.concatenate(([0.0], np.cumsum(np.log(lam) - np.log(deaths))))
    p = np.exp(log_p - log_p.max())
    return np.asarray(p / p.sum())


def erlang_a(agents: int, load: Load, threshold_seconds: float) -> Service:
    """Erlang A: callers abandon after an exponential patience of mean `patience_seconds`."""
    import numpy as np
    from scipy.special import betainc

    if load.patience_seconds is None or load.patience_seconds <= 0:
        raise ValueError("Erlang A needs a positive mean patience")
    n, lam, mu = agents, load.arrival_rate, 1.0 / load.aht_seconds
    theta = 1.0 / load.patience_seconds
    pi = _queue_distribution(n, lam, mu, theta)
    arrive_waiting = pi[n:]  # an arrival finding q = 0, 1, ... others waiting
    q = np.arange(arrive_waiting.size, dtype=float)
    ahead_rate = n * mu + q * theta  # the line moves up a place
    h = n * mu / (n * mu + (q + 1) * theta)  # served eventually
    # Time to the front: stages of rates θ·(m + j), j = 0...q, m = n·μ/θ + 1; e^(-θ·time) is
    # then Beta(m, q + 1), so P(time ≤ t) = 1 - I_{e^(-θt)}(m, q + 1).
    in_time = 1.0 - betainc(n * mu / theta + 1.0, q + 1.0, math.exp(-theta * threshold_seconds))
    waited = h * np.cumsum(1.0 / (ahead_rate + theta))  # E[wait, and served] from q
    p_wait = float(arrive_waiting.sum())
    served = 1.0 - p_wait + float(arrive_waiting @ h)
    return Service(
        agents=n,
        service_level=1.0 - p_wait + float(arrive_waiting @ (h * in_time)),
        asa_seconds=float(arrive_waiting @ waited) / served,
        occupancy=lam * served * load.aht_seconds / n,
        probability_of_waiting=p_wait,
        abandonment=1.0 - served,
    )


def agents_needed(load: Load, *, target: float, threshold_seconds: float) -> Service:
    """The fewest agents whose service level reaches `target` (Erlang A when patience is given).

    The service level only grows with the agents, so the answer is bracketed by doubling and
    then bisected: a few dozen evaluations even for thousands of agents.
    """
    if load.erlangs >= MAX_AGENTS:
        raise StaffingError(f"{load.erlangs:.0f} Erlangs is beyond {MAX_AGENTS} agents")
    model = erlang_c if load.patience_seconds is None else erlang_a
    low = 0 if load.patience_seconds is not None else max(0, math.floor(load.erlangs))
    # `low` agents never meet the target; find a `high` that does.
    high = low + 1
    found = model(high, load, threshold_seconds)
    while found.service_level < target:
        if high >= MAX_AGENTS:
            raise StaffingError(f"no staffing up to {MAX_AGENTS} agents reaches {target:.0%}")
        low, high = high, min(MAX_AGENTS, high * 2)
        found = model(high, load, threshold_seconds)
    while high - low > 1:
        middle = (low + high) // 2
        service = model(middle, load, threshold_seconds)
        if service.service_level >= target:
            high, found = middle, service
        else:
            low = middle
    return found
