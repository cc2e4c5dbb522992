"""`make bench`: run every benchmark (or those named) and write bench/results/<name>.json."""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path

from bench import report

RESULTS = Path(__file__).parent / "results"


def main(names: list[str]) -> int:
    """Run the named benchmarks, all when none are named."""
    RESULTS.mkdir(exist_ok=True)
    found = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    selected = [n for n in found if not names or n in names or n.removeprefix("bench_") in names]
    if not selected:
        print(f"no benchmark matches {names}; have {found}")
        return 2
    for name in selected:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}")
        started = time.time()
        result = module.run()
        result["_meta"] = {
            "benchmark": name,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(time.time() - started, 1),
            "python": platform.python_version(),
            "machine": report.machine(),
        }
        path = RESULTS / f"{name.removeprefix('bench_')}.json"
        path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(json.dumps(result, indent=2, sort_keys=True))
        print(f"-> {path}")
    report.rewrite_doc()
    print(f"-> {report.DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
