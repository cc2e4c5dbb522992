"""Whole tables as comparable values: rows without insertion ids, ids replaced by labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


async def snapshot(
    session: AsyncSession,
    tables: Mapping[Any, Iterable[str]],
    labels: Mapping[Any, str] | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows, sorted, without the columns named for it (ids and insertion times).

    A value found in `labels` (a generated id) is replaced by its label, so two runs that made
    the same records under different ids compare equal.
    """
    names = labels or {}
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table, excluded in tables.items():
        skip = set(excluded)
        columns = [c for c in table.columns if c.name not in skip]
        rows = (await session.execute(select(*columns))).all()
        out[table.name] = sorted((tuple(_label(v, names) for v in row) for row in rows), key=repr)
    return out


def _label(value: Any, labels: Mapping[Any, str]) -> Any:
    if isinstance(value, list):
        return [_label(v, labels) for v in value]
    try:
        return labels.get(value, value)
    except TypeError:  # unhashable (a JSON object): kept as it is
        return value
