"""OpenTelemetry tracing: W3C trace context through HTTP headers and event envelopes.

A tracer provider is always installed, so every request and every consumed event has a trace
and span id (in each log line) and passes its trace context on: upstream HTTP calls carry
`traceparent` (httpx is instrumented), staged events carry it in the CloudEvents distributed
tracing attributes `traceparent`/`tracestate`, and a consumer continues the trace it finds
there. Spans are exported only when an exporter is configured (`<SERVICE>_TRACING_EXPORTER`:
`none` by default, `console`, or `otlp` with the optional `opentelemetry-exporter-otlp-proto-http`
package and `<SERVICE>_TRACING_OTLP_ENDPOINT`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

TRACER_NAME = "rapport"
_state: dict[str, Any] = {"exporters": set()}


def configure_tracing(*, service: str, exporter: str = "none", otlp_endpoint: str = "") -> None:
    """Install the tracer provider once per process and add the exporter asked for."""
    provider = _state.get("provider")
    if provider is None:
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        trace.set_tracer_provider(provider)
        _state["provider"] = provider
        _instrument_httpx()
    if exporter == "none" or exporter in _state["exporters"]:
        return
    provider.add_span_processor(_processor(exporter, otlp_endpoint))
    _state["exporters"].add(exporter)


def _processor(exporter: str, otlp_endpoint: str) -> SpanProcessor:
    if exporter == "console":
        return BatchSpanProcessor(ConsoleSpanExporter())
    if exporter == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError as exc:  # pragma: no cover - depends on the optional package
            raise RuntimeError(
                "the otlp exporter needs `pip install rapport[otlp]` "
                "(opentelemetry-exporter-otlp-proto-http)"
            ) from exc
        return BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint or None))
    raise ValueError(f"unknown tracing exporter {exporter!r}: use none, console or otlp")


def _instrument_httpx() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def tracer() -> trace.Tracer:
    """Rapport's tracer."""
    return trace.get_tracer(TRACER_NAME)


def current_trace_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span as hex, or None outside any span."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def current_trace_context() -> dict[str, str]:
    """The W3C `traceparent` (and `tracestate`) of the current span; empty outside any span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {k: v for k, v in carrier.items() if k in ("traceparent", "tracestate")}


@contextlib.contextmanager
def server_span(
    name: str, headers: Mapping[str, str], *, kind: SpanKind = SpanKind.SERVER, **attributes: Any
) -> Iterator[trace.Span]:
    """A span continuing the trace of `headers` (HTTP headers or event attributes), if any."""
    parent = propagate.extract(dict(headers))
    token = otel_context.attach(parent)
    try:
        with tracer().start_as_current_span(
            name, kind=kind, attributes=attributes, record_exception=False
        ) as span:
            try:
                yield span
            except BaseException as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
    finally:
        otel_context.detach(token)
