"""The same transactions twice, shuffled, in batches of any size: the very same tables."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx

from services.scoring.models import CustomerStats, PurchaseDay, RecordedTransaction
from shared.db import Database
from tests.scoring.conftest import population
from tests.tables import snapshot


def _customer(run: str, customer_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run}:{customer_id}"))


def _for_run(rows: list[dict[str, Any]], run: str) -> list[dict[str, Any]]:
    """The rows with ids of the run's own: `<run>:` before transaction ids, other customers."""
    out = []
    for row in rows:
        mine = dict(row, customer_id=_customer(run, row["customer_id"]))
        for field in ("transaction_id", "refers_to"):
            if field in mine:
                mine[field] = f"{run}:{mine[field]}"
        out.append(mine)
    return out


def _refunds(rows: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """A refund of half of some orders, referring to them."""
    out = []
    for row in rows:
        if rng.random() < 0.2:
            refund = dict(row, kind="refund", transaction_id=f"r{row['transaction_id']}")
            refund["amount"] = f"{float(row['amount']) / 2:.2f}"
            refund["refers_to"] = row["transaction_id"]
            out.append(refund)
    return out


async def _post(client: httpx.AsyncClient, batch: list[dict[str, Any]]) -> bool:
    """Send a batch; False when it is refused for a refund whose order is not recorded yet."""
    if len(batch) == 1:
        response = await client.post("/v1/transactions", json=batch[0])
    else:
        response = await client.post("/v1/transactions", json={"transactions": batch})
    if response.status_code == 422 and response.json()["code"] == "unknown-order":
        return False
    assert response.status_code == 200, response.text
    return True


async def test_shuffled_duplicated_batches_give_identical_statistics(
    client: httpx.AsyncClient, db: Database
) -> None:
    rng = random.Random(20261130)
    orders = population(25, seed=7)
    rows = orders + _refunds(orders, rng)

    # In order, one batch of everything.
    await _post(client, _for_run(rows, "a"))
    # Shuffled, a third sent twice, in batches of 1 to 40.
    again = _for_run(rows, "b")
    deliveries = again + [r for r in again if rng.random() < 0.35]
    rng.shuffle(deliveries)
    while deliveries:
        size = rng.randint(1, 40)
        batch, deliveries = deliveries[:size], deliveries[size:]
        if not await _post(client, batch):
            # Over HTTP a refund ahead of its order is refused as a whole batch, nothing of it
            # applied: the client sends it again later, as it would after any 4xx it can fix.
            deliveries.extend(batch)

    tables: dict[Any, set[str]] = {
        CustomerStats.__table__: {"updated_at", "scored_at", "state_since"},
        PurchaseDay.__table__: set(),
        RecordedTransaction.__table__: {"recorded_at"},
    }
    async with db.sessionmaker() as session:
        labels = {
            _customer(run, row["customer_id"]): f"{run}:{row['customer_id']}"
            for row in rows
            for run in ("a", "b")
        }
        shot = await snapshot(session, tables, labels)
    runs: dict[str, dict[str, list[tuple[Any, ...]]]] = {"a": {}, "b": {}}
    for name, table_rows in shot.items():
        for row in table_rows:
            run = next(v[:1] for v in row if isinstance(v, str) and v[1:2] == ":")
            stripped = tuple(v[2:] if isinstance(v, str) and v[1:2] == ":" else v for v in row)
            runs[run].setdefault(name, []).append(stripped)
    for tables_of_run in runs.values():
        for name in tables_of_run:
            tables_of_run[name].sort(key=repr)
    assert len(runs["a"]["recorded_transaction"]) == len(rows)
    cols = {t.name: [c.name for c in t.columns if c.name not in x] for t, x in tables.items()}
    for name in runs["a"]:
        for ra, rb in zip(runs["a"][name], runs["b"][name], strict=True):
            diff = {c: (x, y) for c, x, y in zip(cols[name], ra, rb, strict=True) if x != y}
            assert not diff, (name, ra[0], diff)
    assert runs["a"] == runs["b"]
