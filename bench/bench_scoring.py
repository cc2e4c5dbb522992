"""Scoring: BG/NBD refit time on 1,000,000 synthetic customers (ours vs lifetimes, same data,
same run) and events/s of one scoring consumer over a real broker."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
import time
import uuid
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import figure
from services.scoring.model import btyd

CUSTOMERS = 1_000_000
TRUE = btyd.BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
BATCH_EVENTS = 20_000
SINGLE_EVENTS = 3_000  # the baseline reads the first 3,000 of the same records
LATENCY_EVENTS = 5_000
LATENCY_RATE = 500.0


def simulate(
    n: int, params: btyd.BetaGeoParams, *, seed: int = 42
) -> dict[str, np.ndarray[Any, Any]]:
    """Event-level BG/NBD histories at day resolution (x, t_x, T in weeks)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params.r, 1 / params.alpha, n)  # purchases per week
    dropout = rng.beta(params.a, params.b, n)
    age = rng.integers(7, 365, n) / 7.0
    x = np.zeros(n)
    t_x = np.zeros(n)
    clock = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        clock[idx] += rng.exponential(1 / np.maximum(rate[idx], 1e-12))
        bought = clock[idx] < age[idx]
        buyers = idx[bought]
        x[buyers] += 1
        t_x[buyers] = np.floor(clock[buyers] * 7) / 7  # purchases counted per day
        died = rng.random(buyers.size) < dropout[buyers]
        active[idx[~bought]] = False
        active[buyers[died]] = False
    return {"x": x, "t_x": t_x, "T": age}


def _time(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def refit_benchmark(n: int = CUSTOMERS) -> dict[str, Any]:
    """Fit the same synthetic population with our fitter and with lifetimes: on the same
    compressed data (distinct histories and their weights), and ours from the raw rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter

    data = simulate(n, TRUE)
    compress_s, ((xu, tu, tt), w) = _time(lambda: btyd.compress(data["x"], data["t_x"], data["T"]))
    ours_s, ours = _time(lambda: btyd.fit_bgnbd(xu, tu, tt, weights=w))
    theirs_s, theirs = _time(lambda: BetaGeoFitter().fit(xu, tu, tt, weights=w))
    raw_s, _ = _time(lambda: btyd.fit_bgnbd(data["x"], data["t_x"], data["T"]))
    p = ours.params
    lp = theirs.params_
    return {
        "customers": n,
        "distinct_histories": ours.distinct_rows,
        "compress_seconds": round(compress_s, 3),
        "ours_seconds": round(ours_s, 3),
        "lifetimes_seconds": round(theirs_s, 3),
        "ours_from_raw_rows_seconds": round(raw_s, 3),
        "speedup_vs_lifetimes": round(theirs_s / ours_s, 2),
        "ours_params": {k: round(v, 6) for k, v in vars(p).items()},
        "lifetimes_params": {k: round(float(lp[k]), 6) for k in ("r", "alpha", "a", "b")},
        "true_params": vars(TRUE),
        "max_param_rel_diff": float(
            max(abs(getattr(p, k) / float(lp[k]) - 1) for k in ("r", "alpha", "a", "b"))
        ),
    }


def _bench_settings(url: str, bootstrap: str, prefix: str) -> Any:
    """Scoring settings over `url` and the bench broker, without scheduled refits."""
    from services.scoring.settings import ScoringSettings

    return ScoringSettings(
        database_url=url,
        migrate_on_start=False,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        kafka_topic_partitions=1,
        kafka_session_timeout_ms=2000,
        refit_interval_seconds=0,
        log_level="WARNING",
        internal_token_secret="bench-" + "0" * 32,
    )


def _transaction_records(
    events: int, now: dt.datetime, rng: np.random.Generator, *, prefix: str = "t"
) -> list[bytes]:
    """`events` orders of `events // 10` new customers, as records on the transactions topic."""
    from shared.contracts.commerce import TransactionRecordedV1
    from shared.events import to_envelope

    customers = [uuid.uuid4() for _ in range(max(1, events // 10))]
    return [
        to_envelope(
            TransactionRecordedV1(
                transaction_id=f"{prefix}{i}",
                customer_id=customers[i % len(customers)],
                amount=Decimal(f"{rng.uniform(5, 100):.2f}"),
                occurred_at=now - dt.timedelta(days=float(rng.uniform(0, 300))),
            ),
            source="bench",
        ).to_bytes()
        for i in range(events)
    ]


def _consumer_benchmark() -> dict[str, Any]:
    """The commerce consumer on SQLite (with the bulk request) and on PostgreSQL, one broker."""
    from tools.stack import Broker, Postgres, free_port

    broker = Broker(free_port()).start()
    server = Postgres(free_port()).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            databases = _SqliteCopies(Path(tmp))
            sqlite = asyncio.run(_consumer_on(databases, broker.bootstrap))
            bulk = asyncio.run(_bulk_benchmark(tmp, databases.settings_for, broker.bootstrap))
        postgres = _PostgresCopies(server.url())
        postgresql = asyncio.run(_consumer_on(postgres, broker.bootstrap))
    finally:
        server.stop()
        broker.stop()
    return bulk | {"sqlite": sqlite, "postgresql": postgresql}


class _SqliteCopies:
    """A seeded SQLite database and file copies of it."""

    backend = "sqlite"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.prefix = ""
        self.bootstrap = ""

    async def seeded(self) -> str:
        return f"sqlite+aiosqlite:///{self.tmp / 'seeded.db'}"

    async def copy(self, name: str) -> str:
        shutil.copyfile(self.tmp / "seeded.db", self.tmp / f"{name}.db")
        return f"sqlite+aiosqlite:///{self.tmp / name}.db"

    def settings_for(self, name: str) -> Any:
        copy = self.tmp / f"{name}.db"
        shutil.copyfile(self.tmp / "seeded.db", copy)
        return _bench_settings(f"sqlite+aiosqlite:///{copy}", self.bootstrap, self.prefix)


class _PostgresCopies:
    """A seeded PostgreSQL database and copies of it (databases made from it as a template)."""

    backend = "postgresql"

    def __init__(self, server_url: str) -> None:
        self.base = server_url.rpartition("/")[0]

    async def _create(self, name: str, template: str | None = None) -> str:
        import asyncpg

        conn = await asyncpg.connect(self.base.replace("+asyncpg", "") + "/postgres")
        try:
            clause = f" TEMPLATE {template}" if template else ""
            await conn.execute(f"CREATE DATABASE {name}{clause}")
        finally:
            await conn.close()
        return f"{self.base}/{name}"

    async def seeded(self) -> str:
        return await self._create("seeded")

    async def copy(self, name: str) -> str:
        return await self._create(name, template="seeded")


async def _consumer_on(databases: Any, bootstrap: str) -> dict[str, Any]:
    """Events/s of the commerce consumer, batched and one by one, over copies of one seeded
    database, event → score-visible latency at a steady rate, and a replay of the topic."""
    from bench import scoring_consumer as sc
    from shared.contracts.topics import COMMERCE_TRANSACTIONS
    from shared.migrations import upgrade_async

    prefix = f"bench{uuid.uuid4().hex[:6]}."
    databases.prefix, databases.bootstrap = prefix, bootstrap
    url = await databases.seeded()
    await upgrade_async(Path("services/scoring/migrations"), url)
    now = dt.datetime.now(dt.UTC)
    rng = np.random.default_rng(1)
    await _seed_and_fit(_bench_settings(url, bootstrap, prefix), now, rng)

    async def fresh_copy(name: str) -> Any:
        return _bench_settings(await databases.copy(name), bootstrap, prefix)

    values = _transaction_records(BATCH_EVENTS, now, rng)
    await sc.produce(bootstrap, prefix + COMMERCE_TRANSACTIONS, values)
    baseline = await sc.throughput(await fresh_copy("single"), SINGLE_EVENTS, batched=False)
    batched = await sc.throughput(await fresh_copy("batch"), BATCH_EVENTS, batched=True)
    steady = _transaction_records(LATENCY_EVENTS, now, rng, prefix="lat")
    latency = await sc.latency(await fresh_copy("latency"), steady, LATENCY_RATE)
    replayed = await sc.replay_rate(await fresh_copy("replay"), BATCH_EVENTS)
    return {
        "backend": databases.backend,
        "scored_with_fitted_model": True,
        "customers_in_events": BATCH_EVENTS // 10,
        "batched": batched,
        "baseline_one_event_per_transaction": baseline,
        "ratio_batched_to_baseline": round(
            batched["events_per_second"] / baseline["events_per_second"], 2
        ),
        "latency_event_to_score_visible": latency,
        "replay": replayed,
    }


async def _bulk_benchmark(tmp: str, settings_for: Any, bootstrap: str) -> dict[str, Any]:
    """The bulk request after the fit, and before any fit (the baseline), same run."""
    from bench import scoring_bulk
    from shared.migrations import upgrade_async

    unfitted = Path(tmp) / "unfitted.db"
    url = f"sqlite+aiosqlite:///{unfitted}"
    await upgrade_async(Path("services/scoring/migrations"), url)
    now = dt.datetime.now(dt.UTC)
    baseline = await scoring_bulk.post_seconds(
        _bench_settings(url, bootstrap, "bulk."), scoring_bulk.body(now, 1)
    )
    fitted = await scoring_bulk.post_seconds(settings_for("bulk"), scoring_bulk.body(now, 2))
    return {
        "bulk_post_transactions": {
            "after_fit": fitted,
            "baseline_before_any_fit": baseline,
            "ratio_after_fit_to_baseline": round(fitted["seconds"] / baseline["seconds"], 2),
        }
    }


async def _until(condition: Any, interval: float) -> None:
    """Poll `condition()` until it is true."""
    while True:
        if condition():
            return
        await asyncio.sleep(interval)


async def _seed_and_fit(settings: Any, now: dt.datetime, rng: np.random.Generator) -> None:
    """2,000 customers with BG/NBD-like histories and a fitted model, so events are scored."""
    from services.scoring.model.cache import ModelCache
    from services.scoring.model.service import refit
    from services.scoring.scores.service import Scorer
    from services.scoring.statistics.ledger import Transaction
    from services.scoring.statistics.service import record_transactions
    from shared.db import Database

    data = simulate(2000, TRUE, seed=7)
    items: list[Transaction] = []
    for i in range(2000):
        customer = uuid.uuid4()
        first = now - dt.timedelta(weeks=float(data["T"][i]))
        offsets = [0.0] + ([float(data["t_x"][i])] if data["x"][i] else [])
        offsets += list(rng.uniform(0, float(data["t_x"][i]), max(0, int(data["x"][i]) - 1)))
        for j, weeks in enumerate(offsets):
            items.append(
                Transaction(
                    f"seed-{i}-{j}",
                    customer,
                    "order",
                    Decimal(f"{rng.uniform(5, 100):.2f}"),
                    "USD",
                    first + dt.timedelta(weeks=weeks),
                )
            )
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            scorer = Scorer(settings=settings, models=ModelCache())
            await record_transactions(session, items, scorer=scorer, now=now)
            await refit(session, settings=settings, models=scorer.models, now=now)
            await session.commit()
    finally:
        await db.dispose()


def run() -> dict[str, Any]:
    """Refit on 1M synthetic customers vs lifetimes, the consumer over a broker, bulk POST."""
    refit = refit_benchmark()
    consumer = _consumer_benchmark()
    bulk = consumer.pop("bulk_post_transactions")
    figures = [
        figure(
            "BG/NBD refit, 1M customers (compressed)",
            refit["ours_seconds"],
            "s",
            "lifetimes, same compressed data",
            refit["lifetimes_seconds"],
            higher=False,
        ),
    ]
    for backend in ("sqlite", "postgresql"):
        figures += _consumer_figures(backend, consumer[backend])
    figures.append(
        figure(
            "POST /v1/transactions, 10,000 rows after a fit",
            bulk["after_fit"]["seconds"],
            "s",
            "same request before any fit (no score events)",
            bulk["baseline_before_any_fit"]["seconds"],
            higher=False,
        )
    )
    return {
        "refit_bgnbd": refit,
        "consumer_commerce_events": consumer,
        "bulk_post_transactions": bulk,
        "figures": figures,
    }


def _consumer_figures(backend: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """Table rows of the consumer on one backend."""
    latency = result["latency_event_to_score_visible"]
    baseline = result["baseline_one_event_per_transaction"]
    batched, replayed = result["batched"], result["replay"]
    interval = "interval between two events at 500/s"
    return [
        figure(
            f"commerce consumer, batched ({backend})",
            batched["events_per_second"],
            "events/s",
            "same runner, one event per transaction",
            baseline["events_per_second"],
            higher=True,
        ),
        figure(
            f"commerce consumer, batched, per CPU-second of the process ({backend})",
            batched["events_per_cpu_second"],
            "events/s",
            "same runner, one event per transaction",
            baseline["events_per_cpu_second"],
            higher=True,
        ),
        figure(
            f"replay of the same 20,000 events ({backend})",
            replayed["events_per_second"],
            "events/s",
            "one event per transaction, as replay applied them before",
            baseline["events_per_second"],
            higher=True,
        ),
        figure(
            f"event → score visible p50 at 500/s ({backend})",
            latency["p50_ms"],
            "ms",
            interval,
            2.0,
            higher=False,
        ),
        figure(
            f"event → score visible p99 at 500/s ({backend})",
            latency["p99_ms"],
            "ms",
            interval,
            2.0,
            higher=False,
        ),
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
