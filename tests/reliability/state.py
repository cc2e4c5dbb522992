"""Every service's tables, read whole and written so two runs can be compared row for row.

Ids a run makes up (customer and complaint UUIDs) become names from the workload (the
caller's phone, the complaint's description); other generated ids, and timestamps, become
placeholders; amounts and scores are rounded to 4 places. What is left is the state the
workload determines: two runs of it, one with faults and one without, must give the same
rows, as many times each.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, MetaData, select

from shared.db import create_engine

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_HEX_UUID = re.compile(r"\b[0-9a-f]{32}\b", re.I)  # how SQLite keeps a UUID
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")
# Not compared: delivery plumbing (the outbox and the processed-event rows are how the state
# is reached, not the state) and what depends on how events were batched rather than on which
# arrived: scoring rescoring a customer once per poll writes a history row and, when the
# change is news, an event per rescoring; the fitted model follows the population at each fit.
SKIPPED = frozenset({"outbox_message", "processed_event", "score_history", "model_fit"})
# Columns whose value depends on when a consumed event arrived relative to an HTTP request, in
# any run: a complaint takes the churn risk complaints knows when it is filed, and counts a
# version per change, so scoring's `churn_risk_raised` before or after the filing differs.
RACY = {"complaint": frozenset({"version", "churn_risk"})}
Table = Counter[tuple[Any, ...]]


@dataclass
class Difference:
    """Rows of a table the reference run has more of (lost) and fewer of (doubled)."""

    table: str
    lost: list[tuple[Any, ...]]
    doubled: list[tuple[Any, ...]]


async def read_state(url: str, names: dict[str, str]) -> dict[str, Table]:
    """Every table of the database at `url`, each as a multiset of canonical rows."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            metadata = MetaData()
            await conn.run_sync(lambda sync: metadata.reflect(sync))
            state: dict[str, Table] = {}
            for table in metadata.sorted_tables:
                if table.name in SKIPPED or table.name.startswith("alembic"):
                    continue
                rows = (await conn.execute(select(table))).all()
                racy = RACY.get(table.name, frozenset())
                keep = [
                    c.name for c in table.columns if not _generated_key(c) and c.name not in racy
                ]
                state[table.name] = Counter(
                    tuple(_canonical(row._mapping[c], names) for c in keep) for row in rows
                )
            return state
    finally:
        await engine.dispose()


def _generated_key(column: Any) -> bool:
    """An integer key a database counts out (its value depends on the order of arrival)."""
    return bool(column.primary_key and column.name == "id" and isinstance(column.type, Integer))


def _canonical(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, uuid.UUID):
        return names.get(str(value), "<id>")
    if isinstance(value, dt.datetime | dt.date):
        return "<time>"
    if isinstance(value, float | decimal.Decimal):
        return round(float(value), 4)
    if isinstance(value, str):
        text = _HEX_UUID.sub(lambda m: str(uuid.UUID(m.group(0))), value)
        text = _UUID.sub(lambda m: names.get(m.group(0).lower(), "<id>"), text)
        return _TIME.sub("<time>", text)
    if isinstance(value, dict | list):
        return _canonical(repr(value), names)
    return value


def compare(reference: dict[str, Table], other: dict[str, Table]) -> list[Difference]:
    """The tables whose rows differ, with the rows lost and the rows doubled."""
    found = []
    for name in sorted(set(reference) | set(other)):
        want, got = reference.get(name, Counter()), other.get(name, Counter())
        lost, doubled = want - got, got - want
        if lost or doubled:
            found.append(Difference(name, list(lost.elements()), list(doubled.elements())))
    return found


def rows(state: dict[str, Table]) -> int:
    """How many rows a state holds."""
    return sum(sum(t.values()) for t in state.values())
