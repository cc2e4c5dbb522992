"""A short soak: the mixed workload of `make soak` for half a minute against the processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import drive, soak_system, summarise
from tests.conftest import run_in_thread

pytestmark = pytest.mark.e2e

SECONDS = 25.0
RATE = 3.0
# RSS may rise this much over its size after warm-up (allocator arenas, caches filling once);
# a leak of a few KiB per request would pass it within the run (~2,000 requests).
RSS_SLACK_MIB = 40.0


async def test_a_short_soak_has_no_errors_bounded_backlog_and_flat_memory(
    broker: str, tmp_path: Path, topic_prefix: str
) -> None:
    system = soak_system(broker, tmp_path, topic_prefix=topic_prefix)
    run_in_thread(system.start)
    try:
        tally = await drive(system, seconds=SECONDS, rate=RATE, sample_every=5.0)
    finally:
        run_in_thread(system.stop)
    result = summarise(tally, seconds=SECONDS, rate=RATE)

    assert result["errors"] == 0, result["first_errors"]
    assert sum(result["operations"].values()) == int(SECONDS * RATE)
    # Every operation's requests were made: calls 5, complaints 6, order batches 1.
    ops = result["operations"]
    expected = 5 * ops.get("call", 0) + 6 * ops.get("complaint", 0) + ops.get("orders", 0)
    assert result["requests"] == expected
    # Bounded: never more than the work of a few seconds waiting, and none left at the end.
    assert result["max_outbox_backlog"] < 500
    assert result["max_consumer_lag"] < 500
    assert result["final_outbox_backlog"] == 0
    assert result["final_consumer_lag"] == 0
    for name, growth in result["rss_growth_mib"].items():
        assert growth < RSS_SLACK_MIB, (name, growth, result["samples"])
