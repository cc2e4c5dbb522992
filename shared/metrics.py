"""Prometheus metrics of a service, served on `GET /metrics` (not under /v1, never proxied).

Every service exports request rate and latency per route template, its outbox backlog and the
age of the oldest unpublished row, per consumer group the lag per partition (the partition's
end offset, asked of the broker at scrape time, minus the consumer's position), events
processed, duplicates, failed attempts and dead-lettered. A service adds series of its own with
`add_metrics(app, source)`: `source(app)` is awaited at each scrape and returns metric families.
Each app has its own registry, so several apps can live in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from sqlalchemy import func, select

from shared.db import OutboxMessage
from shared.logging import get_logger

MetricSource = Callable[[FastAPI], Awaitable[Iterable[Metric]]]
log = get_logger(__name__)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """Request count and latency per method, route template and status."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "rapport_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "rapport_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class _Snapshot:
    """A collector yielding the families computed (asynchronously) just before rendering."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        yield from self.families


class ServiceMetrics:
    """The metrics of one app: its registry, HTTP metrics, consumer failures, extra sources."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=False)
        self.http = HttpMetrics(self.registry)
        self.handler_failures = Counter(
            "rapport_consumer_events_failed",
            "Failed attempts at handling an event (each retry counts), by group and type.",
            ["group", "event_type"],
            registry=self.registry,
        )
        self.sources: list[MetricSource] = [outbox_metrics, consumer_metrics]
        self.source_errors = Counter(
            "rapport_metrics_source_errors",
            "Scrapes where a source of series failed (its series are missing from that scrape).",
            ["source"],
            registry=self.registry,
        )
        self._snapshot = _Snapshot()
        self.registry.register(self._snapshot)

    async def render(self, app: FastAPI) -> bytes:
        """The exposition text, every source asked afresh."""
        families: list[Metric] = []
        for source in self.sources:
            try:
                families.extend(await asyncio.wait_for(source(app), 5))
            except Exception as exc:
                # A busy database must not fail the scrape: the other series still go out.
                self.source_errors.labels(source.__name__).inc()
                log.warning("metrics_source_failed", source=source.__name__, error=repr(exc))
        self._snapshot.families = families
        return generate_latest(self.registry)


def add_metrics(app: FastAPI, source: MetricSource) -> None:
    """Add a service's own series: `source(app)` is awaited at each scrape."""
    metrics: ServiceMetrics = app.state.metrics
    metrics.sources.append(source)


def metrics_router() -> APIRouter:
    """`GET /metrics` in the Prometheus text format."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        body = await request.app.state.metrics.render(request.app)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    """A gauge family to fill with `add_metric(label_values, value)`."""
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def counter(name: str, documentation: str, labels: Iterable[str] = ()) -> CounterMetricFamily:
    """A counter family to fill with `add_metric(label_values, value)`."""
    return CounterMetricFamily(name, documentation, labels=list(labels))


def age_seconds(then: dt.datetime | None, now: dt.datetime | None = None) -> float:
    """Seconds from `then` to now (0 when `then` is None); naive times are UTC."""
    if then is None:
        return 0.0
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.UTC)
    return max(0.0, ((now or dt.datetime.now(dt.UTC)) - then).total_seconds())


async def consumer_metrics(app: FastAPI) -> list[Metric]:
    """Per consumer group: its counters and its lag per partition."""
    runners: list[Any] = list(getattr(app.state, "consumers", []))
    if not runners:
        return []
    return [*_consumer_counters(runners), await _lag_family(runners)]


async def outbox_metrics(app: FastAPI) -> list[Metric]:
    """Outbox backlog, age of its oldest row, rows published by this process."""
    if getattr(app.state, "relay", None) is None:
        return []
    async with app.state.db.read_sessionmaker() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.published_at.is_(None)
                )
            )
        ).one()
    backlog = gauge("rapport_outbox_backlog", "Outbox rows not yet published.")
    backlog.add_metric([], float(count or 0))
    age = gauge(
        "rapport_outbox_oldest_unpublished_age_seconds",
        "Age of the oldest outbox row not yet published (0 when none waits).",
    )
    age.add_metric([], age_seconds(oldest))
    published = counter("rapport_outbox_published", "Outbox rows published by this process.")
    published.add_metric([], float(getattr(app.state.relay, "published", 0)))
    return [backlog, age, published]


_RUNNER_COUNTERS = (
    ("processed", "rapport_consumer_events_processed", "Events applied, by consumer group."),
    ("duplicates", "rapport_consumer_events_duplicate", "Redelivered events skipped."),
    ("dead_lettered", "rapport_consumer_dead_lettered", "Events sent to the dead-letter topic."),
    ("ignored", "rapport_consumer_events_ignored", "Events of types the group does not handle."),
)


def _consumer_counters(runners: list[Any]) -> list[Metric]:
    families: list[Metric] = []
    for attribute, name, documentation in _RUNNER_COUNTERS:
        family = counter(name, documentation, ["group"])
        for runner in runners:
            family.add_metric([runner.group_id], float(getattr(runner, attribute, 0)))
        families.append(family)
    connected = gauge("rapport_consumer_connected", "1 while the group's consumer runs.", ["group"])
    for runner in runners:
        connected.add_metric([runner.group_id], 1.0 if getattr(runner, "connected", False) else 0.0)
    families.append(connected)
    return families


async def _lag_family(runners: list[Any]) -> Metric:
    family = gauge(
        "rapport_consumer_lag",
        "Records not yet consumed: the partition's end offset minus the group's position.",
        ["group", "topic", "partition"],
    )
    for runner in runners:
        for topic, partition, lag in await consumer_lag(getattr(runner, "_consumer", None)):
            family.add_metric([runner.group_id, topic, str(partition)], float(lag))
    return family


async def consumer_lag(consumer: Any) -> list[tuple[str, int, int]]:
    """(topic, partition, lag) for each partition assigned to an aiokafka consumer."""
    if consumer is None:
        return []
    with contextlib.suppress(Exception):
        partitions = sorted(consumer.assignment())
        if not partitions:
            return []
        ends = await asyncio.wait_for(consumer.end_offsets(partitions), 3)
        out: list[tuple[str, int, int]] = []
        for tp in partitions:
            position = await asyncio.wait_for(consumer.position(tp), 3)
            out.append((tp.topic, tp.partition, max(0, int(ends[tp]) - int(position))))
        return out
    return []
