"""Services SIGKILLed and the broker killed during a mixed workload: nothing lost, nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.chaos import compare_runs
from tools.services import SERVICES

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_every_service_ends_as_without_faults(tmp_path: Path, backend: str) -> None:
    """A short form of `make chaos` on SQLite: five kills, each service and the broker once."""

    def urls(label: str) -> dict[str, str]:
        folder = tmp_path / label
        folder.mkdir(parents=True, exist_ok=True)
        return {s.name: s.sqlite_url(folder) for s in SERVICES}

    found = await compare_runs(backend, tmp_path, urls, callers=8, faults=5, seed=7)

    assert sum(found.faults.values()) >= 3, found.faults
    assert found.faults.get("broker", 0) >= 1, found.faults
    assert found.differences == [], found.differences
    assert (found.lost, found.doubled) == (0, 0)
