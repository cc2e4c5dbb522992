"""Scoring fixtures: the app over a fresh database and the real broker, and data builders."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from services.scoring.consumers import consumer_specs
from services.scoring.main import create_app
from services.scoring.model.cache import ModelCache
from services.scoring.scores.service import Scorer
from services.scoring.settings import ScoringSettings
from shared.db import Database
from shared.inbox import Handler
from tests.builders import scoring_settings
from tests.conftest import serve
from tests.kafka_helpers import eventually

NOW = dt.datetime.now(dt.UTC)


def tx(
    customer_id: uuid.UUID | str,
    amount: float | str,
    *,
    days_ago: float = 0,
    kind: str = "order",
    transaction_id: str | None = None,
    refers_to: str | None = None,
) -> dict[str, Any]:
    """A transaction body for POST /v1/transactions."""
    body: dict[str, Any] = {
        "transaction_id": transaction_id or uuid.uuid4().hex,
        "customer_id": str(customer_id),
        "kind": kind,
        "amount": str(amount),
        "occurred_at": (NOW - dt.timedelta(days=days_ago)).isoformat(),
    }
    if refers_to:
        body["refers_to"] = refers_to
    return body


def population(n: int, *, seed: int = 1) -> list[dict[str, Any]]:
    """Transactions of `n` synthetic customers over the last year, drawn as BG/NBD describes.

    Each customer buys at a Gamma-distributed rate and may drop out after each purchase.
    """
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for _ in range(n):
        customer = uuid.UUID(int=rng.getrandbits(128))
        rate = rng.gammavariate(0.5, 1 / 20)  # purchases per day
        dropout = rng.betavariate(1, 3)
        day = rng.uniform(30, 360)
        spend = rng.uniform(5, 80)
        while day > 0:
            out.append(tx(customer, f"{spend * rng.uniform(0.7, 1.3):.2f}", days_ago=day))
            if rng.random() < dropout or rate <= 0:
                break
            day -= rng.expovariate(rate)
    return out


@pytest.fixture
def settings_for(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> Callable[..., ScoringSettings]:
    """Scoring settings over a fresh migrated database, the test broker and its own topics."""
    url = make_database("scoring")

    def make(**extra: Any) -> ScoringSettings:
        extra.setdefault("refit_interval_seconds", 0)
        extra.setdefault("refit_min_customers", 10)
        return scoring_settings(url, broker, topic_prefix, **extra)

    return make


@contextlib.asynccontextmanager
async def running(settings: ScoringSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The scoring app with these settings, running until the block ends."""
    app = create_app(settings)
    async for c in serve(app):
        yield c
        # Stopping consumers while they are still joining their groups can stall shutdown.
        await eventually(
            lambda: all(r.connected for r in app.state.consumers),
            timeout=20,
            what="the consumers to connect before stopping",
        )


@pytest.fixture
async def client(settings_for: Callable[..., ScoringSettings]) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the scoring app with default test settings."""
    async with running(settings_for()) as c:
        yield c


@pytest.fixture
async def db(settings_for: Callable[..., ScoringSettings]) -> AsyncIterator[Database]:
    """The test's scoring database, for direct reads."""
    database = Database(settings_for().database_url)
    yield database
    await database.dispose()


@pytest.fixture
def settings(settings_for: Callable[..., ScoringSettings]) -> ScoringSettings:
    """Test settings over the test's database (the same one the `db` fixture reads)."""
    return settings_for()


@pytest.fixture
def scorer(settings: ScoringSettings) -> Scorer:
    """Rescoring as the app does it, with a model cache of the test's own."""
    return Scorer(settings=settings, models=ModelCache())


@pytest.fixture
def handlers(scorer: Scorer) -> dict[str, Handler]:
    """Every handler of every scoring consumer group, as the runner would call them."""
    out: dict[str, Handler] = {}
    for spec in consumer_specs(scorer):
        out.update(spec.handlers)
    return out
