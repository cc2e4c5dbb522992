"""Where the scoring consumer's CPU goes, poll by poll, in-process and without a broker.

`python -m bench.profile_scoring_poll [--polls N] [--top K] [--save FILE]`

A seeded SQLite database with a fit (2,000 customers, as `bench_scoring` seeds it), then
polls of 500 `commerce.transaction_recorded` records (20,000 events of 2,000 customers, as the
benchmark puts on the topic) handed to `ConsumerRunner.handle_records` as the runner does
after a fetch: decode, claim, batch handler, commit. Three passes, each over a fresh copy of
the database: timed with `time.process_time` alone (events per CPU-second); sampled, the main
thread's stack every millisecond of process CPU (SIGPROF), each sample counted for the step
of a poll it is in (cProfile's cumulative times do not follow coroutines); and under cProfile
on the process clock, for the functions with the most own CPU. The CPU of aiosqlite's thread
counts too (it is process CPU): it shows where the main thread waits for it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import json
import os
import pstats
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from contextlib import AbstractContextManager
from pathlib import Path
from types import FrameType
from typing import Any

import greenlet
import numpy as np
from aiokafka import ConsumerRecord

POLL = 500
EVENTS = 20_000
# The steps of a poll, each named by its functions (file suffix, name). A CPU sample counts for
# the step of the innermost such function on the main thread's stack (coroutines included).
STEPS: dict[str, list[tuple[str, str]]] = {
    "decode (CloudEvent, registry)": [("shared/inbox.py", "_decode")],
    "claim event ids": [("shared/inbox.py", "claim_many")],
    "resolve merged or erased ids": [("statistics/service.py", "_resolve_transactions")],
    "read recorded ids, statistics, days": [
        ("statistics/ledger.py", "new_only"),
        ("statistics/ledger.py", "load"),
    ],
    "fold transactions": [("statistics/ledger.py", "apply")],
    "scores (model over the batch, published scores)": [
        ("scores/card.py", "score_cards"),
        ("scores/batch.py", "batch_of"),
        ("scores/publishing.py", "published_many"),
    ],
    "what is news (events, history rows)": [
        ("scores/publishing.py", "events_for"),
        ("scores/service.py", "_record_published"),
    ],
    "states": [("states/service.py", "follow_states")],
    "stage events (CloudEvents, outbox insert)": [("shared/outbox.py", "stage_events")],
    "flush, score history insert": [("scores/service.py", "rescore_many")],
    "write statistics, days, transactions": [("statistics/ledger.py", "save")],
    "commit": [("sqlalchemy/ext/asyncio/session.py", "commit")],
}
OTHER = "other (runner, sessions, asyncio)"
WAIT = "the loop waits: aiosqlite's thread (SQLite) runs"
SAMPLE_SECONDS = 0.001


def thread_cpu() -> dict[int, float]:
    """CPU seconds of each thread of this process so far (Linux; empty elsewhere)."""
    out: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for task in Path("/proc/self/task").glob("*"):
        try:
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def records(values: list[bytes], topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """The values as the consumer hands them over after a fetch."""
    return [
        ConsumerRecord(topic, 0, i, 0, 0, b"k", v, None, 1, len(v), [])
        for i, v in enumerate(values)
    ]


async def seeded_database(tmp: Path, now: dt.datetime) -> tuple[Path, list[bytes]]:
    """A migrated SQLite database with 2,000 customers and a fit; the records to apply."""
    from bench.bench_scoring import _bench_settings, _seed_and_fit, _transaction_records
    from shared.migrations import upgrade_async

    path = tmp / "seeded.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(Path("services/scoring/migrations"), url)
    rng = np.random.default_rng(1)
    await _seed_and_fit(_bench_settings(url, "", ""), now, rng)
    return path, _transaction_records(EVENTS, now, rng)


async def apply_polls(
    url: str, polls: list[list[ConsumerRecord[bytes, bytes]]], around: AbstractContextManager[None]
) -> tuple[float, dict[str, float]]:
    """Hand each poll to a runner's `handle_records`; the CPU seconds they took, and those of
    the main thread and the others (`around` is entered around the polls: an instrument, or
    nothing)."""
    from bench.bench_scoring import _bench_settings
    from services.scoring.consumers import handlers
    from services.scoring.model.cache import ModelCache
    from services.scoring.scores.service import Scorer
    from shared.contracts import registry
    from shared.contracts.commerce import TransactionRecordedV1
    from shared.contracts.topics import COMMERCE_TRANSACTIONS
    from shared.db import Database
    from shared.inbox import ConsumerRunner

    settings = _bench_settings(url, "127.0.0.1:9", "")
    db = Database(url)
    scorer = Scorer(settings=settings, models=ModelCache(seconds=3600.0))
    runner = ConsumerRunner(
        db,
        group_id="profile",
        topics=[COMMERCE_TRANSACTIONS],
        handlers={TransactionRecordedV1.type: handlers(scorer)[TransactionRecordedV1.type]},
        registry=registry,
        bootstrap_servers=settings.kafka_bootstrap_servers,
    )
    try:
        await runner.handle_records(polls[0][:1])  # connections, the model cache, imports
        with around:
            cpu, threads = time.process_time(), thread_cpu()
            for poll in polls:
                await runner.handle_records(poll)
            cpu = time.process_time() - cpu
        main, after = threading.get_native_id(), thread_cpu()
        split = {
            "main": round(after.get(main, 0.0) - threads.get(main, 0.0), 2),
            "others": round(sum(v - threads.get(k, 0.0) for k, v in after.items() if k != main), 2),
        }
        assert runner.processed == sum(len(p) for p in polls)  # the first one twice
        return cpu, split
    finally:
        await db.dispose()


class _Sampled:
    """Samples the main thread's stack every `SAMPLE_SECONDS` of process CPU (SIGPROF) while
    the block runs, and counts each sample for its innermost step."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._steps: dict[str, list[tuple[str, str]]] = {}
        for step, functions in STEPS.items():
            for suffix, name in functions:
                self._steps.setdefault(name, []).append((suffix, step))

    def _sample(self, _signum: int, frame: FrameType | None) -> None:
        if frame is not None and frame.f_code.co_filename.endswith("selectors.py"):
            self.counts[WAIT] += 1
            return
        # SQLAlchemy runs statements in a greenlet: its stack goes on in the parent's.
        running = greenlet.getcurrent()
        while frame is not None:
            found = self._steps.get(frame.f_code.co_name)
            if found is not None:
                for suffix, step in found:
                    if frame.f_code.co_filename.endswith(suffix):
                        self.counts[step] += 1
                        return
            frame = frame.f_back
            if frame is None and running.parent is not None:
                running = running.parent
                frame = running.gr_frame
        self.counts[OTHER] += 1

    def __enter__(self) -> None:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, SAMPLE_SECONDS, SAMPLE_SECONDS)

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)

    def shares(self) -> dict[str, float]:
        """Each step's share of the samples, in the order of a poll."""
        total = sum(self.counts.values()) or 1
        return {step: round(self.counts[step] / total, 3) for step in [*STEPS, OTHER, WAIT]}


def top_own(stats: pstats.Stats, total: float, top: int) -> list[dict[str, Any]]:
    """The functions with the most own CPU, with their share and calls per event."""
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(table.items(), key=lambda kv: -kv[1][2])[:top]
    return [
        {
            "function": f"{Path(file).parent.name}/{Path(file).name}:{line}({name})",
            "own_share": round(row[2] / total, 3),
            "calls": row[1],
        }
        for (file, line, name), row in rows
    ]


class _Profiled:
    """cProfile on the process clock while the block runs."""

    def __init__(self) -> None:
        self.profile = cProfile.Profile(time.process_time)

    def __enter__(self) -> None:
        self.profile.enable()

    def __exit__(self, *exc: object) -> None:
        self.profile.disable()


class _Nothing:
    """No instrument: the timed pass."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


async def measure(polls: int, top: int, save: Path | None) -> dict[str, Any]:
    """Timed, sampled and profiled passes, each over a fresh copy of one seeded database."""
    from shared.contracts.topics import COMMERCE_TRANSACTIONS

    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        seeded, values = await seeded_database(tmp, now)
        batches = [
            records(values[i : i + POLL], COMMERCE_TRANSACTIONS)
            for i in range(0, min(polls * POLL, len(values)), POLL)
        ]
        sampled, profiled = _Sampled(), _Profiled()
        cpu: dict[str, float] = {}
        instruments: list[tuple[str, AbstractContextManager[None]]] = [
            ("timed", _Nothing()),
            ("sampled", sampled),
            ("profiled", profiled),
        ]
        threads: dict[str, dict[str, float]] = {}
        for name, around in instruments:
            shutil.copyfile(seeded, tmp / f"{name}.db")
            url = f"sqlite+aiosqlite:///{tmp / name}.db"
            cpu[name], threads[name] = await apply_polls(url, batches, around)
    stats = pstats.Stats(profiled.profile)
    if save is not None:
        stats.dump_stats(str(save))
    events = sum(len(b) for b in batches)
    return {
        "polls": len(batches),
        "events": events,
        "cpu_seconds": round(cpu["timed"], 3),
        "cpu_ms_per_poll": round(1000 * cpu["timed"] / len(batches), 1),
        "events_per_cpu_second": round(events / cpu["timed"], 1),
        "thread_cpu_seconds": threads["timed"],
        "steps": sampled.shares(),
        "profiled_cpu_seconds": round(cpu["profiled"], 3),
        "top_own": top_own(stats, cpu["profiled"], top),
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--polls", type=int, default=EVENTS // POLL, help="polls of 500 events")
    parser.add_argument("--top", type=int, default=25, help="functions listed by own CPU")
    parser.add_argument("--save", type=Path, default=None, help="write the pstats file here")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.polls, args.top, args.save)), indent=2))


if __name__ == "__main__":
    main()
