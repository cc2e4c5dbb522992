"""The sliding window estimate, on a clock the test moves."""

from __future__ import annotations

from services.gateway.protection.rate_limits import SlidingWindow


def test_a_window_counts_exactly_within_one_period_and_weighs_the_previous_one() -> None:
    now = [0.0]
    window = SlidingWindow(10, 60, clock=lambda: now[0])

    within = [window.hit("a") for _ in range(12)]
    other = window.hit("b")
    now[0] = 90.0  # half way into the next window: 10 * 0.5 = 5 still count
    later = [window.hit("a") for _ in range(6)]
    now[0] = 180.0  # two windows on: nothing of the first window counts
    fresh = [window.hit("a") for _ in range(10)]

    assert within == [True] * 10 + [False] * 2
    assert other is True
    assert later == [True] * 5 + [False]
    assert fresh == [True] * 10


def test_retry_after_is_when_one_more_event_fits() -> None:
    now = [30.0]
    window = SlidingWindow(4, 60, clock=lambda: now[0])
    for _ in range(4):
        window.hit("a")

    # Full at 30 s: next window starts in 30 s, where 4 * (1 - f) must fall to 3: f = 1/4,
    # i.e. 15 s into it: 45 s.
    assert window.retry_after("a") == 45
    now[0] = 75.0
    assert window.hit("a") is True
