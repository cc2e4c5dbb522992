"""Builds a service's FastAPI app: errors, request ids, health, database, relay and consumers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncSession

from shared.api import problem
from shared.contracts import registry
from shared.contracts.topics import dead_letter_topic
from shared.db import Database, OutboxMessage
from shared.errors import install_error_handlers
from shared.events import CloudEvent
from shared.health import BrokerProbe, ReadinessCheck, health_router
from shared.i18n import NamesMiddleware
from shared.identity import permission_of
from shared.inbox import ConsumerRunner, Handler
from shared.kafka import ensure_topics
from shared.logging import configure_logging, get_logger
from shared.metrics import ServiceMetrics, metrics_router
from shared.middleware import BodyLimitMiddleware, RequestIdMiddleware
from shared.migrations import upgrade_async
from shared.openapi import BODY_ERRORS, SERVICE_ERRORS, declare_problems
from shared.outbox import OutboxRelay
from shared.retention import Purge, RetentionJob, inbox_purge, outbox_purge
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing, server_span

log = get_logger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer group of a service: its topics and a handler per event type."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]


@dataclass
class ServiceSpec:
    """What makes a service: its name, settings, routes, migrations, topics and consumers."""

    name: str
    title: str
    description: str
    settings: ServiceSettings
    migrations_dir: Path
    routers: Sequence[APIRouter] = ()
    publishes: Sequence[str] = ()
    consumers: Sequence[ConsumerSpec] = ()
    uses_broker: bool = True
    extra_checks: Mapping[str, ReadinessCheck] = field(default_factory=dict)
    resources: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None
    # The service's own retention purges, run with the outbox and inbox ones (shared.retention).
    retention: Mapping[str, Purge] = field(default_factory=dict)
    version: str = "0.1.0"
    # None: the service serves its own document (the gateway serves the merged public one).
    openapi_url: str | None = "/openapi.json"


def group_id(service: str, consumer: str) -> str:
    """Consumer group ids are `<service>.<consumer>` (after the topic prefix, if any)."""
    return f"{service}.{consumer}"


@dataclass
class BrokerSide:
    """The relay and the consumer runners of one service, and the topics they need."""

    relay: OutboxRelay
    runners: list[ConsumerRunner]
    topics: list[str]


def broker_side(spec: ServiceSpec, db: Database) -> BrokerSide:
    """The outbox relay and one runner per consumer group, wired to `db`."""
    settings = spec.settings
    prefix = settings.kafka_topic_prefix
    topics = {prefix + t for t in spec.publishes}
    runners: list[ConsumerRunner] = []
    for consumer in spec.consumers:
        gid = prefix + group_id(spec.name, consumer.name)
        topics.update(prefix + t for t in consumer.topics)
        topics.add(dead_letter_topic(gid))
        runners.append(
            ConsumerRunner(
                db,
                group_id=gid,
                topics=consumer.topics,
                handlers=consumer.handlers,
                registry=registry,
                bootstrap_servers=settings.kafka_bootstrap_servers,
                topic_prefix=prefix,
                session_timeout_ms=settings.kafka_session_timeout_ms,
                max_attempts=settings.consumer_max_attempts,
            )
        )
    relay = OutboxRelay(
        db,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=spec.name,
        topic_prefix=prefix,
        poll_interval=settings.relay_poll_interval_seconds,
        max_backoff=settings.relay_max_backoff_seconds,
        topics=sorted(topics),
        partitions=settings.kafka_topic_partitions,
        republish_window=settings.relay_republish_window_seconds,
    )
    db.on_commit(relay.wake, tables=[OutboxMessage.__tablename__])
    return BrokerSide(relay=relay, runners=runners, topics=sorted(topics))


def create_service_app(spec: ServiceSpec) -> FastAPI:
    """A FastAPI app whose lifespan migrates (embedded mode), relays the outbox and consumes."""
    settings = spec.settings
    probe = BrokerProbe(settings.kafka_bootstrap_servers, client_id=spec.name)
    metrics = ServiceMetrics(spec.name)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service=spec.name, level=settings.log_level, json=settings.log_json)
        configure_tracing(
            service=spec.name,
            exporter=settings.tracing_exporter,
            otlp_endpoint=settings.tracing_otlp_endpoint,
        )
        db = Database(settings.database_url)
        if settings.migrate_on_start:
            await upgrade_async(spec.migrations_dir, settings.database_url)
        app.state.db = db
        tasks = _start_background(app, spec, metrics, db)
        log.info("service_started", database=_redact(settings.database_url))
        try:
            if spec.resources is None:
                yield
            else:
                async with spec.resources(app):
                    yield
        finally:
            await _cancel_all(tasks)
            await probe.close()
            await db.dispose()
            log.info("service_stopped")

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        openapi_url=spec.openapi_url,
    )
    app.state.service_name = spec.name
    app.state.metrics = metrics
    _install_plumbing(app, spec, metrics, probe)
    return app


def _install_plumbing(
    app: FastAPI, spec: ServiceSpec, metrics: ServiceMetrics, probe: BrokerProbe
) -> None:
    """Middleware, problem+json errors, health, metrics, the service's routes and permissions."""
    app.add_middleware(NamesMiddleware)
    _add_middleware(app, spec, metrics)
    install_error_handlers(app)
    app.state.readiness_details = lambda: _consumer_details(app)
    app.include_router(health_router(_readiness_checks(app, spec, probe)))
    app.include_router(metrics_router())
    for router in spec.routers:
        app.include_router(router)
    _publish_permissions(app, spec.routers)


def _start_background(
    app: FastAPI, spec: ServiceSpec, metrics: ServiceMetrics, db: Database
) -> list[asyncio.Task[Any]]:
    """Start the relay and consumers (if the service uses the broker) and the retention job."""
    tasks: list[asyncio.Task[Any]] = []
    side = broker_side(instrumented(spec, metrics), db) if spec.uses_broker else None
    if side is not None:
        tasks.append(
            asyncio.create_task(
                _run_broker_side(spec.settings, side.topics, side.relay, side.runners),
                name=f"{spec.name}-broker",
            )
        )
    app.state.relay = side.relay if side else None
    app.state.consumers = side.runners if side else []
    app.state.retention = retention_job(spec, db)
    tasks.append(asyncio.create_task(app.state.retention.run(), name=f"{spec.name}-retention"))
    return tasks


def retention_job(spec: ServiceSpec, db: Database) -> RetentionJob:
    """The periodic job deleting what is kept no longer: outbox, inbox, the service's own."""
    settings = spec.settings
    purges: dict[str, Purge] = {}
    if settings.outbox_retention_days:
        purges["outbox"] = outbox_purge(settings.outbox_retention_days)
    if settings.inbox_retention_days:
        purges["inbox"] = inbox_purge(settings.inbox_retention_days)
    purges.update(spec.retention)
    return RetentionJob(db, purges, interval_seconds=settings.retention_interval_seconds)


def _add_middleware(app: FastAPI, spec: ServiceSpec, metrics: ServiceMetrics) -> None:
    # The body limit is added first so it runs inside the request id's scope: a 413 carries
    # the request id too.
    app.add_middleware(BodyLimitMiddleware, max_bytes=spec.settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware, service=spec.name, metrics=metrics.http)


def instrumented(spec: ServiceSpec, metrics: ServiceMetrics) -> ServiceSpec:
    """`spec` with every handler continuing the event's trace, logged and its failures counted."""
    consumers = []
    for consumer in spec.consumers:
        gid = spec.settings.kafka_topic_prefix + group_id(spec.name, consumer.name)
        handlers = {t: _traced(gid, t, h, metrics) for t, h in consumer.handlers.items()}
        consumers.append(dataclasses.replace(consumer, handlers=handlers))
    return dataclasses.replace(spec, consumers=consumers)


def _traced(group: str, event_type: str, handler: Handler, metrics: ServiceMetrics) -> Handler:
    async def handle(session: AsyncSession, event: Any, envelope: CloudEvent) -> None:
        carrier = {
            "traceparent": envelope.traceparent or "",
            "tracestate": envelope.tracestate or "",
        }
        attributes = {"messaging.consumer.group.name": group, "messaging.message.id": envelope.id}
        with (
            structlog.contextvars.bound_contextvars(service=metrics.service),
            server_span(
                f"consume {event_type}",
                {k: v for k, v in carrier.items() if v},
                kind=SpanKind.CONSUMER,
                **attributes,
            ),
        ):
            try:
                await handler(session, event, envelope)
            except Exception:
                metrics.handler_failures.labels(group, event_type).inc()
                raise
            log.info("event_handled", group=group, event_type=event_type, event_id=envelope.id)

    return handle


def route_permissions(routers: Sequence[APIRouter]) -> dict[tuple[str, str], str | None]:
    """`(METHOD, path)` of every route under `/v1/` and the permission it requires (or None)."""
    table: dict[tuple[str, str], str | None] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path.startswith("/v1/"):
                for method in sorted(route.methods or ()):
                    table[(method, route.path)] = permission_of(route.dependant)
    return table


def _publish_permissions(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Show each operation's permission in the OpenAPI document, with its 401 and 403, and
    declare every error as problem+json."""
    build = app.openapi
    permissions = route_permissions(routers)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for (method, path), permission in permissions.items():
            operation = schema.get("paths", {}).get(path, {}).get(method.lower())
            if operation is None or permission is None:
                continue
            operation["x-permission"] = permission
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", problem("Not called through the gateway, or not signed in"))
            responses.setdefault("403", problem(f"The caller does not hold `{permission}`"))
        return declare_problems(schema, SERVICE_ERRORS, with_body=BODY_ERRORS)

    app.openapi = openapi  # type: ignore[method-assign]


def _readiness_checks(
    app: FastAPI, spec: ServiceSpec, probe: BrokerProbe
) -> dict[str, ReadinessCheck]:
    async def database_check() -> None:
        await app.state.db.ping()

    checks: dict[str, ReadinessCheck] = {"database": database_check}
    if spec.uses_broker:
        checks["broker"] = probe.check
    checks.update(spec.extra_checks)
    return checks


def _consumer_details(app: FastAPI) -> dict[str, Any]:
    runners: list[ConsumerRunner] = getattr(app.state, "consumers", [])
    return {
        "consumers": {
            r.group_id: {
                "connected": r.connected,
                "processed": r.processed,
                "duplicates": r.duplicates,
                "dead_lettered": r.dead_lettered,
            }
            for r in runners
        }
    }


async def _cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel the tasks and wait for them, cancelling again any that swallowed it."""
    pending = {t for t in tasks if not t.done()}
    for _ in range(20):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.warning(
                "background_task_failed", task=task.get_name(), error=repr(task.exception())
            )


async def _run_broker_side(
    settings: ServiceSettings, topics: list[str], relay: OutboxRelay, runners: list[ConsumerRunner]
) -> None:
    # Topics first, so neither a producer nor a subscription auto-creates them with one partition.
    await _ensure_topics_forever(settings, topics)
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        # A client library swallowed our cancellation while creating topics: honour it now.
        raise asyncio.CancelledError
    await asyncio.gather(relay.run(), *(r.run() for r in runners))


async def _ensure_topics_forever(settings: ServiceSettings, topics: list[str]) -> None:
    delay = 0.5
    while True:
        try:
            await ensure_topics(
                settings.kafka_bootstrap_servers,
                topics,
                partitions=settings.kafka_topic_partitions,
            )
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("ensure_topics_retry", error=repr(exc), backoff=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
