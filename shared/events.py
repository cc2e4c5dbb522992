"""CloudEvents 1.0 envelope (structured JSON mode), versioned event classes, upcasters, registry.

On the wire each Kafka record's value is one JSON CloudEvent (`content-type:
application/cloudevents+json`), its key the customer id. Rapport extension attributes:
`dataversion` (the payload's schema version), `correlationid` (the request id that caused it)
and `partitionkey` (the Kafka key, as in the CloudEvents Kafka binding); and `traceparent` /
`tracestate` of the CloudEvents distributed tracing extension (the W3C trace context of the
request or event that caused it), so a consumer continues the producer's trace.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, TypeVar

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.tracing import current_trace_context

CONTENT_TYPE = "application/cloudevents+json"


class Event(BaseModel):
    """A fact with a name, a version and an owner; subclasses are `<FactInPastTense>V<n>`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: ClassVar[str]
    version: ClassVar[int]
    topic: ClassVar[str]

    def subject(self) -> str | None:
        """The customer the event is about (CloudEvents `subject`, and the Kafka key)."""
        value = getattr(self, "customer_id", None)
        return None if value is None else str(value)


class CloudEvent(BaseModel):
    """The CloudEvents 1.0 envelope as carried in a Kafka record value."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: dt.datetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    dataversion: int = Field(default=1, ge=1)
    correlationid: str | None = None
    partitionkey: str | None = None
    traceparent: str | None = Field(default=None, max_length=256)
    tracestate: str | None = Field(default=None, max_length=512)
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        """The record value: the envelope as compact JSON."""
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> CloudEvent:
        """Parse a record value; raises `UndecodableEventError` for anything that isn't one."""
        if raw is None:
            raise UndecodableEventError("record has no value")
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise UndecodableEventError(f"not a CloudEvent: {_short(exc)}") from exc


class UndecodableEventError(ValueError):
    """A record that can never be handled: not JSON, not a CloudEvent, or data of a wrong shape."""


def _short(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(parts)


E = TypeVar("E", bound=type[Event])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventRegistry:
    """Maps `(type, version)` to event classes and chains upcasters up to the newest version."""

    def __init__(self) -> None:
        self._classes: dict[tuple[str, int], type[Event]] = {}
        self._latest: dict[str, int] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, cls: E) -> E:
        """Class decorator: make `cls` decodable."""
        key = (cls.type, cls.version)
        if key in self._classes:
            raise ValueError(f"event {cls.type} v{cls.version} registered twice")
        self._classes[key] = cls
        self._latest[cls.type] = max(self._latest.get(cls.type, 0), cls.version)
        return cls

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator for a function turning version `from_version` data into the next version's."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def classes(self) -> list[type[Event]]:
        """Every registered class, sorted by type then version."""
        return [self._classes[k] for k in sorted(self._classes)]

    def knows(self, event_type: str) -> bool:
        """True if some version of `event_type` is registered."""
        return event_type in self._latest

    def decode(self, envelope: CloudEvent) -> Event | None:
        """The newest-version event for `envelope`, or None for a type this registry doesn't know.

        Raises `UndecodableEventError` for a version newer than known, a missing upcaster or
        data that doesn't validate.
        """
        latest = self._latest.get(envelope.type)
        if latest is None:
            return None
        version = envelope.dataversion
        if version > latest:
            raise UndecodableEventError(
                f"{envelope.type} v{version} is newer than the newest known, v{latest}"
            )
        data = dict(envelope.data)
        while version < latest:
            upcast = self._upcasters.get((envelope.type, version))
            if upcast is None:
                raise UndecodableEventError(f"no upcaster for {envelope.type} v{version}")
            try:
                data = upcast(data)
            except (KeyError, TypeError, ValueError) as exc:
                # Data an upcaster cannot read is poison, like data that does not validate.
                raise UndecodableEventError(
                    f"{envelope.type} v{version} data cannot be upcast: {exc!r}"
                ) from exc
            version += 1
        cls = self._classes.get((envelope.type, latest))
        if cls is None:
            raise UndecodableEventError(f"{envelope.type} v{latest} is not registered")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise UndecodableEventError(
                f"{envelope.type} v{latest} data invalid: {_short(exc)}"
            ) from exc

    def json_schema(self, cls: type[Event]) -> dict[str, Any]:
        """JSON Schema of the whole envelope with `cls` as its data."""
        envelope = CloudEvent.model_json_schema()
        data_schema = cls.model_json_schema()
        defs = data_schema.pop("$defs", {})
        envelope_props = dict(envelope["properties"])
        envelope_props["type"] = {"const": cls.type, "title": "Type", "type": "string"}
        envelope_props["dataversion"] = {
            "const": cls.version,
            "title": "Dataversion",
            "type": "integer",
        }
        envelope_props["data"] = data_schema
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:rapport:events:{cls.type}:v{cls.version}",
            "title": f"{cls.type} v{cls.version}",
            "description": (cls.__doc__ or "").strip(),
            "type": "object",
            "x-kafka-topic": cls.topic,
            "x-kafka-key": "subject (the customer id)",
            "properties": envelope_props,
            "required": sorted(set(envelope.get("required", [])) | {"type", "dataversion"}),
        }
        if defs:
            schema["$defs"] = defs
        return schema


def new_event_id() -> str:
    """A fresh, globally unique event id."""
    return str(uuid.uuid4())


def new_event_ids(count: int) -> list[str]:
    """`count` fresh event ids, as `new_event_id` makes them, from one read of the OS's random
    source instead of one per id."""
    random = os.urandom(16 * count)
    return [str(uuid.UUID(bytes=random[i : i + 16], version=4)) for i in range(0, 16 * count, 16)]


def to_envelope(
    event: Event,
    *,
    source: str,
    event_id: str | None = None,
    time: dt.datetime | None = None,
    correlation_id: str | None = None,
) -> CloudEvent:
    """Wrap `event` in a CloudEvent carrying the current trace context, if any."""
    subject = event.subject()
    trace_context = current_trace_context()
    return CloudEvent(
        id=event_id or new_event_id(),
        source=source,
        type=event.type,
        time=time or dt.datetime.now(dt.UTC),
        subject=subject,
        dataversion=event.version,
        correlationid=correlation_id,
        partitionkey=subject,
        traceparent=trace_context.get("traceparent"),
        tracestate=trace_context.get("tracestate"),
        data=json.loads(event.model_dump_json()),
    )


class EnvelopeWriter:
    """Record values of many events that share a source, a request id and a trace context.

    Each value is the bytes `to_envelope(...).to_bytes()` gives, in one serialisation: the
    envelope's fields in their order (those that are None left out), then the data as the
    event model serialises itself, which is what the envelope's round trip of the data through
    a dict writes too. What the envelope adds to every event (source, request id, trace context)
    is validated once, here; the event was validated when it was built.
    """

    def __init__(
        self,
        *,
        source: str,
        correlation_id: str | None = None,
        trace_context: Mapping[str, str] | None = None,
    ) -> None:
        context = current_trace_context() if trace_context is None else trace_context
        shared = CloudEvent(
            id="-",
            source=source,
            type="-",
            time=dt.datetime.now(dt.UTC),
            correlationid=correlation_id,
            traceparent=context.get("traceparent"),
            tracestate=context.get("tracestate"),
            data={},
        )
        self.source = source
        self._correlation = {} if correlation_id is None else {"correlationid": correlation_id}
        self._trace = {
            k: v for k in ("traceparent", "tracestate") if (v := getattr(shared, k)) is not None
        }

    def write(self, event: Event, *, event_id: str, time: dt.datetime | None = None) -> bytes:
        """The record value of `event` with this id and time (now if none)."""
        subject = event.subject()
        envelope: dict[str, Any] = {
            "specversion": "1.0",
            "id": event_id,
            "source": self.source,
            "type": event.type,
            "time": time or dt.datetime.now(dt.UTC),
        }
        if subject is not None:
            envelope["subject"] = subject
        envelope["datacontenttype"] = "application/json"
        envelope["dataversion"] = event.version
        envelope.update(self._correlation)
        if subject is not None:
            envelope["partitionkey"] = subject
        envelope.update(self._trace)
        envelope["data"] = event
        return pydantic_core.to_json(envelope)
