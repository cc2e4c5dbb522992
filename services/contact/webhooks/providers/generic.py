"""The generic signed JSON call event for PBX adapters (Asterisk, FreeSWITCH, ...).

Requests are signed per the Standard Webhooks spec: `webhook-id`, `webhook-timestamp` and
`webhook-signature` headers, HMAC-SHA256 over `id.timestamp.body`, five minutes' tolerance.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, ValidationError
from standardwebhooks.webhooks import Webhook

from services.contact.calls.callmodel import NormalizedEvent
from services.contact.errors import InvalidWebhookError, SignatureError
from shared.inputs import InputModel

CallState = Literal[
    "initiated", "ringing", "ivr", "queued", "agent_ringing", "connected", "wrap_up", "ended"
]


class GenericCallEvent(InputModel):
    """One call event from a PBX adapter, already mapped onto Rapport's call model."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    provider: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_\-]{0,39}$",
        description="Phone system that reported it, e.g. `asterisk`, `freeswitch`.",
    )
    call_id: str = Field(
        min_length=1,
        max_length=128,
        description="Root id of the legs: Asterisk `Linkedid`, FreeSWITCH `Channel-Call-UUID`.",
    )
    leg_id: str | None = Field(
        default=None,
        max_length=128,
        description="Id of the leg: Asterisk `Uniqueid`, FreeSWITCH `Unique-ID`.",
    )
    event_id: str | None = Field(
        default=None,
        max_length=200,
        description="Stable id of the source event (dedup key); defaults to `webhook-id`.",
    )
    event: str = Field(
        min_length=1, max_length=60, description="Source event name, e.g. `QueueCallerJoin`."
    )
    sequence: int | None = Field(default=None, ge=0, le=2_147_483_647)
    state: CallState | None = Field(default=None, description="Call state this event implies.")
    occurred_at: AwareDatetime
    direction: Literal["inbound", "outbound", "internal"] | None = None
    from_: str | None = Field(default=None, alias="from", max_length=64)
    to: str | None = Field(default=None, max_length=64)
    queue: str | None = Field(default=None, max_length=200)
    agent: str | None = Field(default=None, max_length=200)
    ivr_input: str | None = Field(default=None, max_length=200)
    recording_url: str | None = Field(default=None, max_length=1000)
    duration_seconds: int | None = Field(default=None, ge=0)
    abandoned: bool = False
    voicemail: bool = False
    final_status: Literal["completed", "busy", "no_answer", "failed", "canceled"] | None = None
    wrap_up_code: str | None = Field(default=None, max_length=100)
    disposition: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)
    child_leg: bool = Field(default=False, description="True for an agent or transfer leg.")


def read_event(body: bytes, headers: dict[str, str], *, secrets: list[str]) -> NormalizedEvent:
    """The event of a request some secret signed within tolerance, read once."""
    webhook_id = verify(secrets, body, headers)
    try:
        data = GenericCallEvent.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidWebhookError(
            f"Not a generic call event: {exc.error_count()} error(s)."
        ) from exc
    return normalize(data, webhook_id)


def verify(secrets: list[str], body: bytes, headers: dict[str, str]) -> str:
    """The `webhook-id` of a request some secret signed within tolerance; else `SignatureError`."""
    if not secrets:
        raise SignatureError("No webhook secret is configured.")
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
        except Exception:
            # Malformed headers raise more than the library's own error; all mean "not signed".
            continue
        return headers.get("webhook-id", "")
    raise SignatureError("The webhook signature is missing, stale or does not match.")


def normalize(event: GenericCallEvent, webhook_id: str) -> NormalizedEvent:
    """The event in the shape every format is mapped onto."""
    facts: dict[str, Any] = {
        "state": event.state,
        "direction": event.direction,
        "from": event.from_,
        "to": event.to,
        "queue": event.queue,
        "agent": event.agent,
        "ivr_input": event.ivr_input,
        "recording_url": event.recording_url,
        "duration": event.duration_seconds,
        "abandoned": event.abandoned or None,
        "voicemail": event.voicemail or None,
        "final_status": event.final_status,
        "wrap_up_code": event.wrap_up_code,
        "disposition": event.disposition,
        "notes": event.notes,
        "child_leg": event.child_leg or None,
    }
    phone = event.to if event.direction == "outbound" else event.from_
    return NormalizedEvent(
        provider=event.provider,
        provider_call_id=event.call_id,
        dedup_key=f"event:{event.event_id or webhook_id}",
        kind=event.event,
        occurred_at=event.occurred_at,
        state=event.state,
        leg_id=event.leg_id,
        sequence=event.sequence,
        customer_phone=None if event.child_leg else phone,
        facts={k: v for k, v in facts.items() if v is not None},
    )


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the generic call event (docs/generic-call-event.schema.json)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:rapport:webhooks:generic-call-event:v1",
        **GenericCallEvent.model_json_schema(by_alias=True),
    }
