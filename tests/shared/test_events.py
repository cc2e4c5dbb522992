"""Envelopes, the registry, upcasters and the exported schemas."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from shared.contracts import registry as project_registry
from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.scoring import (
    ChurnRiskRaisedV1,
    CustomerScoredV1,
    CustomerStateChangedV1,
    TierChangedV1,
)
from shared.events import (
    CloudEvent,
    EnvelopeWriter,
    Event,
    EventRegistry,
    UndecodableEventError,
    to_envelope,
)
from tools.export_events import rendered, stale

local = EventRegistry()


@local.register
class NoteTakenV1(Event):
    """Version 1: one free-text field."""

    type = "tests.note_taken"
    version = 1
    topic = "tests.notes"

    customer_id: str
    text: str


@local.register
class NoteTakenV2(Event):
    """Version 2: the text became a body with a language."""

    type = "tests.note_taken"
    version = 2
    topic = "tests.notes"

    customer_id: str
    body: str
    language: str


@local.register
class NoteTakenV3(Event):
    """Version 3: notes carry a channel."""

    type = "tests.note_taken"
    version = 3
    topic = "tests.notes"

    customer_id: str
    body: str
    language: str
    channel: str


@local.upcaster("tests.note_taken", 1)
def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"customer_id": data["customer_id"], "body": data["text"], "language": "und"}


@local.upcaster("tests.note_taken", 2)
def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "channel": "voice"}


def test_an_envelope_survives_the_wire() -> None:
    envelope = to_envelope(
        NoteTakenV3(customer_id="c-1", body="héllo 你好", language="fr", channel="chat"),
        source="tests",
        correlation_id="req-1",
    )

    back = CloudEvent.from_bytes(envelope.to_bytes())

    assert back == envelope
    assert back.subject == back.partitionkey == "c-1"
    assert back.dataversion == 3
    assert back.time.tzinfo is not None


class NoSubjectV1(Event):
    """An event about no customer."""

    type = "tests.no_subject"
    version = 1
    topic = "tests.notes"

    ratio: float
    items: list[str]


def _wire_events() -> list[Event]:
    customer, at = uuid.UUID(int=42), dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
    return [
        CustomerScoredV1(customer_id=customer, churn_risk=0.1234567, scored_at=at),
        CustomerScoredV1(
            customer_id=customer,
            tier="gold",
            clv=1e-7,
            churn_risk=1.0,
            rfm_segment="Can't lose them",
            lifecycle_stage="decline",
            scored_at=at.astimezone(dt.timezone(dt.timedelta(hours=8))),
        ),
        TierChangedV1(
            customer_id=customer,
            previous_tier=None,
            tier="iron",
            clv=123456789.123456,
            churn_risk=0.0,
            changed_at=at,
        ),
        ChurnRiskRaisedV1(
            customer_id=customer,
            previous_risk=0.5,
            churn_risk=0.75,
            threshold=0.7,
            reasons=["overdue", "open-complaints"],
            raised_at=at,
        ),
        CustomerStateChangedV1(
            customer_id=customer,
            previous_state="current",
            state="lost",
            transition="churned",
            occurred_at=at,
            causes=["lapsed"],
        ),
        TransactionRecordedV1(
            transaction_id="t-1", customer_id=customer, amount=Decimal("12.50"), occurred_at=at
        ),
        NoteTakenV3(customer_id="c-1", body='héllo 你好 "q" \\ \t', language="fr", channel="x"),
        NoSubjectV1(ratio=float("inf"), items=[]),
    ]


@pytest.mark.parametrize("correlation_id", [None, "req-1", ""])
@pytest.mark.parametrize(
    "trace",
    [{}, {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01", "tracestate": "k=v"}],
    ids=["untraced", "traced"],
)
def test_the_envelope_writer_writes_the_bytes_of_the_envelope(
    correlation_id: str | None, trace: dict[str, str]
) -> None:
    writer = EnvelopeWriter(source="tests", correlation_id=correlation_id, trace_context=trace)
    at = dt.datetime(2026, 3, 4, 5, 6, 7, 123, tzinfo=dt.UTC)

    for i, event in enumerate(_wire_events()):
        envelope = to_envelope(
            event, source="tests", event_id=f"e-{i}", time=at, correlation_id=correlation_id
        ).model_copy(update=trace)

        assert writer.write(event, event_id=f"e-{i}", time=at) == envelope.to_bytes()


def test_the_envelope_writer_refuses_what_an_envelope_refuses() -> None:
    with pytest.raises(ValueError, match="traceparent"):
        EnvelopeWriter(source="tests", trace_context={"traceparent": "x" * 300})


def test_old_versions_are_upcast_to_the_newest() -> None:
    old = to_envelope(NoteTakenV1(customer_id="c-1", text="hi"), source="tests")

    event = local.decode(old)

    assert event == NoteTakenV3(customer_id="c-1", body="hi", language="und", channel="voice")


def test_unknown_fields_are_ignored() -> None:
    envelope = to_envelope(
        NoteTakenV3(customer_id="c", body="b", language="en", channel="sms"), source="tests"
    )
    envelope.data["added_later"] = 42

    assert local.decode(envelope) == NoteTakenV3(
        customer_id="c", body="b", language="en", channel="sms"
    )


def test_unknown_types_decode_to_none() -> None:
    envelope = to_envelope(NoteTakenV1(customer_id="c", text="t"), source="tests")

    assert project_registry.decode(envelope) is None


@pytest.mark.parametrize(
    "change",
    [{"dataversion": 4}, {"data": {"customer_id": "c"}}],
    ids=["newer-than-known", "data-invalid"],
)
def test_undecodable_envelopes_raise(change: dict[str, Any]) -> None:
    envelope = to_envelope(
        NoteTakenV3(customer_id="c", body="b", language="en", channel="sms"), source="tests"
    ).model_copy(update=change)

    with pytest.raises(UndecodableEventError):
        local.decode(envelope)


@pytest.mark.parametrize("raw", [b"", b"[]", b"{}", b"\xff\xfe", None])
def test_garbage_is_not_a_cloudevent(raw: bytes | None) -> None:
    with pytest.raises(UndecodableEventError):
        CloudEvent.from_bytes(raw)


def test_registering_a_version_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        local.register(NoteTakenV1)


def test_exported_schemas_are_up_to_date() -> None:
    assert stale() == []


def test_every_event_schema_describes_its_envelope() -> None:
    for name, text in rendered().items():
        schema = json.loads(text)
        assert schema["properties"]["type"]["const"] in name
        assert schema["x-kafka-topic"]
        assert {"id", "source", "type", "time", "data"} <= set(schema["required"])


def test_event_times_keep_their_zone() -> None:
    envelope = CloudEvent(
        id="1",
        source="s",
        type="t",
        time=dt.datetime(2026, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        data={},
    )

    assert CloudEvent.from_bytes(envelope.to_bytes()).time == dt.datetime(
        2026, 1, 1, 0, tzinfo=dt.UTC
    )
