"""The table of docs/performance.md, rewritten from bench/results/*.json after every run.

Each benchmark's result may carry `figures`: rows of (figure, value, baseline, ratio) where
the baseline was measured in the same run on the same machine. This module collects them
and puts them between the table markers of docs/performance.md.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
DOC = Path(__file__).parent.parent / "docs" / "performance.md"
BEGIN = "<!-- bench-table:begin (written by make bench) -->"
END = "<!-- bench-table:end -->"


def figure(
    name: str, value: float, unit: str, baseline_name: str, baseline: float, *, higher: bool
) -> dict[str, Any]:
    """One table row; `higher` says whether a larger value is better (the ratio reads so)."""
    ratio = value / baseline if baseline else float("nan")
    return {
        "figure": name,
        "value": value,
        "unit": unit,
        "baseline": baseline_name,
        "baseline_value": baseline,
        "ratio": round(ratio, 3),
        "higher_is_better": higher,
    }


def machine() -> str:
    """CPU model, cores and memory of this machine, in a few words."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    return f"{model}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}"


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table(results: dict[str, Any]) -> str:
    """Markdown rows of every figure of every result file."""
    lines = [
        "| benchmark | figure | value | baseline (same run) | baseline value | ratio | "
        "machine | date |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in sorted(results.items()):
        if not isinstance(result, dict):
            continue  # a record of runs of its own (the crash test's), quoted where it is used
        meta = result.get("_meta", {})
        for row in result.get("figures", []):
            better = "higher is better" if row["higher_is_better"] else "lower is better"
            lines.append(
                f"| {name} | {row['figure']} | {_number(row['value'])} {row['unit']} | "
                f"{row['baseline']} | {_number(row['baseline_value'])} {row['unit']} | "
                f"{row['ratio']:.2f} ({better}) | {meta.get('machine', '')} | "
                f"{meta.get('started_at', '')[:10]} |"
            )
    return "\n".join(lines)


def rewrite_doc(doc: Path = DOC, results_dir: Path = RESULTS) -> None:
    """Put the table of the stored results between the markers of `doc`."""
    results = {p.stem: json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))}
    text = doc.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{table(results)}\n{END}{tail}")
