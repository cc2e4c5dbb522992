"""py-spy sampling of running service processes, summarised as the share of samples per
function of the project (and the libraries most time goes to)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOP = 12


@dataclass
class Sampling:
    """Filled in when the sampling block ends."""

    summary: dict[str, Any] = field(default_factory=dict)


def py_spy() -> str:
    """The py-spy of this environment."""
    return str(Path(sys.executable).parent / "py-spy")


@contextlib.contextmanager
def sampling(data: Path, pids: dict[str, int], seconds: int) -> Iterator[Sampling]:
    """Sample each process for `seconds` while the block runs."""
    out = Sampling()
    runs = {}
    for name, pid in pids.items():
        path = data / f"{name}.prof.txt"
        argv = [
            py_spy(),
            "record",
            "-p",
            str(pid),
            "-d",
            str(seconds),
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            str(path),
        ]
        runs[name] = (
            subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            path,
        )
    try:
        yield out
    finally:
        for name, (process, path) in runs.items():
            try:
                process.wait(timeout=seconds + 30)
            except subprocess.TimeoutExpired:
                process.kill()
            out.summary[name] = summarise(path) if path.exists() else {"error": "no samples"}


IDLE = (
    "Queue.get (queue.py",
    "select (selectors.py",
    "wait (threading.py",
    "aiosqlite/core.py:59)",  # its thread waiting for the next statement
    "concurrent/futures/thread.py:81)",  # a pool thread waiting for work
)


def summarise(path: Path) -> dict[str, Any]:
    """Where the busy samples are: the project's frames by inclusive share, and the leaf
    frames (any code) by self share. Stacks waiting in a queue or the selector are idle."""
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if any(idle in frames[-1] or idle in frames[-2:][0] for idle in IDLE):
            continue
        n = int(count)
        total += n
        leaves[frames[-1]] += n
        for frame in dict.fromkeys(frames):
            if "services/" in frame or "shared/" in frame:
                inclusive[frame] += n
    if total == 0:
        return {"busy_samples": 0}
    return {
        "busy_samples": total,
        "project_frames": [
            {"frame": f, "share": round(n / total, 3)} for f, n in inclusive.most_common(TOP * 2)
        ],
        "self": [{"frame": f, "share": round(n / total, 3)} for f, n in leaves.most_common(TOP)],
    }
