"""Twilio Programmable Voice requests: signature check, freshness and events, in one pass."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from twilio.request_validator import RequestValidator, get_signature_algorithm

from services.contact.calls.callmodel import NormalizedEvent
from services.contact.errors import InvalidWebhookError, SignatureError
from services.contact.webhooks.providers.twilio_form import (
    FormParams,
    check_fields,
    event_time,
    parse_form,
    require,
)
from shared.db import utcnow

PROVIDER = "twilio"
# Final CallStatus values of a status callback, as outcome names.
_FINAL = {
    "completed": "completed",
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
    "canceled": "canceled",
}
# Each <Enqueue> QueueResult Twilio documents, as how the call left the queue: an agent took it,
# the caller hung up, it was taken out alive (later events decide) or it could not be queued.
_QUEUE_EXITS = {
    **dict.fromkeys(("bridged", "bridging-in-process", "redirected-from-bridged"), "connected"),
    "hangup": "abandoned",
    **dict.fromkeys(("leave", "redirected"), "left"),
    **dict.fromkeys(("queue-full", "error", "system-error"), "failed"),
}
# Twilio ends every call within a day; a longer wait is not one it sent.
_MAX_QUEUE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class SignedForm:
    """A request as Twilio sent it: the public URL it called, its body, its signature headers."""

    url: str
    body: bytes
    signature: str | None
    signature_settings: str | None


EventKind = Literal["voice", "status", "recording", "gather", "dial", "record"]
QueueEventKind = Literal["queue-wait", "enqueue"]


def read_event(
    form: SignedForm, kind: EventKind, *, tokens: list[str], max_age_seconds: int
) -> NormalizedEvent:
    """The `kind` event of a request some auth token signed; else `SignatureError`."""
    params = _verified(form, tokens)
    if kind == "status":
        _check_fresh(params, max_age_seconds)
    return _EVENTS[kind](params)


def read_queue_event(
    form: SignedForm, kind: QueueEventKind, *, tokens: list[str], queue: str | None
) -> NormalizedEvent:
    """The `kind` event of a signed <Enqueue> callback for `queue`; else `SignatureError`."""
    params = _verified(form, tokens)
    if kind == "queue-wait":
        return queue_wait_event(params, queue)
    return enqueue_event(params, queue)


def _verified(form: SignedForm, tokens: list[str]) -> FormParams:
    """The form parameters, if some auth token signed the URL and body."""
    if not form.signature:
        raise SignatureError("The request carries no X-Twilio-Signature.")
    params = parse_form(form.body)
    algorithm = get_signature_algorithm(form.signature_settings)
    for token in tokens:
        validator = RequestValidator(token)
        if validator.validate(form.url, params, form.signature, algorithm=algorithm):
            check_fields(params)
            return params
    raise SignatureError("The X-Twilio-Signature does not match this request.")


def _check_fresh(params: FormParams, max_age_seconds: int) -> None:
    # The signature has no time in it; the signed Timestamp bounds how old a replay can be, so a
    # call-progress callback without one is refused rather than taken as fresh.
    at = event_time(params)
    if at is None:
        raise InvalidWebhookError("A status callback must carry its signed `Timestamp`.")
    if abs((utcnow() - at).total_seconds()) > max_age_seconds:
        raise SignatureError("The signed Timestamp is outside the accepted window.")


def _direction(raw: str | None) -> str | None:
    if raw is None:
        return None
    return "inbound" if raw == "inbound" else "outbound"


def _base(params: FormParams) -> dict[str, Any]:
    """Who called whom, from the standard parameters of every request."""
    child = params.get("ParentCallSid") is not None
    facts: dict[str, Any] = {
        "direction": _direction(params.get("Direction")),
        "from": params.get("From"),
        "to": params.get("To"),
    }
    if child:
        facts["child_leg"] = True
    return {k: v for k, v in facts.items() if v is not None}


def _customer_phone(params: FormParams) -> str | None:
    # The customer is the caller on inbound calls and the callee on outbound ones; a child leg
    # made by <Dial> shows the parent's caller id in From by default, so it is only a hint.
    if params.get("Direction") == "inbound":
        return params.get("From")
    if params.get("Direction") == "outbound-api":
        return params.get("To")
    return params.get("From")


def _event(
    params: FormParams,
    *,
    kind: str,
    dedup_key: str,
    state: str | None,
    facts: dict[str, Any],
    occurred_at: dt.datetime | None = None,
    sequence: int | None = None,
) -> NormalizedEvent:
    call_sid = require(params, "CallSid")
    merged = {**_base(params), **{k: v for k, v in facts.items() if v is not None}}
    if state is not None:
        merged["state"] = state
    return NormalizedEvent(
        provider=PROVIDER,
        provider_call_id=params.get("ParentCallSid") or call_sid,
        dedup_key=dedup_key,
        kind=kind,
        occurred_at=occurred_at or utcnow(),
        state=state,
        leg_id=call_sid,
        sequence=sequence,
        customer_phone=_customer_phone(params),
        facts=merged,
    )


def _status_state(status: str, *, child: bool, inbound: bool) -> tuple[str | None, dict[str, Any]]:
    """The call state and facts one CallStatus of one leg implies."""
    if status in ("initiated", "queued"):
        return ("agent_ringing" if child else "initiated"), {}
    if status == "ringing":
        return ("agent_ringing" if child else "ringing"), {}
    if status in ("in-progress", "answered"):
        # Twilio itself answers an inbound parent leg to run TwiML: that is the IVR, not an agent.
        return ("ivr" if inbound and not child else "connected"), {}
    final = _FINAL.get(status)
    if final is None:
        return None, {}
    if child:
        # An agent leg ending is not the end of the call; an unanswered one is a missed ring.
        return None, {"missed": final in ("busy", "no_answer")}
    return "ended", {"final_status": final}


def status_event(params: FormParams) -> NormalizedEvent:
    """A StatusCallback (call-progress event); dedup key `(CallSid, CallbackSource, Seq)`.

    The key is built from checked values only (a SID, the one source, an integer), so a re-cut
    copy of a delivered callback cannot be stored again under another key.
    """
    call_sid = require(params, "CallSid")
    status = require(params, "CallStatus")
    source = require(params, "CallbackSource")
    sequence = int(require(params, "SequenceNumber"))
    child = params.get("ParentCallSid") is not None
    state, facts = _status_state(status, child=child, inbound=params.get("Direction") == "inbound")
    if child and state == "connected":
        # Without TaskRouter the agent is whoever the <Dial> leg reached.
        facts["agent"] = params.get("To")
    duration = params.get("CallDuration")
    if duration is not None and not child:
        facts["duration"] = int(duration)
    facts["recording_url"] = params.get("RecordingUrl")
    return _event(
        params,
        kind=f"status:{status}",
        dedup_key=f"{call_sid}:{source}:{sequence}",
        state=state,
        facts=facts,
        occurred_at=event_time(params),
        sequence=sequence,
    )


def voice_event(params: FormParams) -> NormalizedEvent:
    """The first request of a call to the voice URL: an inbound call rings."""
    call_sid = require(params, "CallSid")
    inbound = params.get("Direction") == "inbound"
    return _event(
        params,
        kind="voice",
        dedup_key=f"voice:{call_sid}",
        state="ringing" if inbound else "connected",
        facts={},
    )


def _digest(*values: str | None) -> str:
    joined = "\x00".join(v or "" for v in values)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def gather_event(params: FormParams) -> NormalizedEvent:
    """A <Gather> action: what the caller keyed or said in the IVR."""
    call_sid = require(params, "CallSid")
    digits, speech = params.get("Digits"), params.get("SpeechResult")
    return _event(
        params,
        kind="gather",
        dedup_key=f"gather:{call_sid}:{_digest(digits, speech)}",
        state="ivr",
        facts={"ivr_input": digits or speech},
    )


def _queue_seconds(params: FormParams) -> int | None:
    """`QueueTime`: whole seconds in the queue; absent when the call was never queued."""
    raw = params.get("QueueTime")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or int(raw) > _MAX_QUEUE_SECONDS:
        raise InvalidWebhookError("`QueueTime` must be whole seconds, at most a day.")
    return int(raw)


def queue_wait_event(params: FormParams, queue: str | None) -> NormalizedEvent:
    """A waitUrl request (again each time the hold music loops): queued `QueueTime` s ago."""
    call_sid = require(params, "CallSid")
    queue_sid = params.get("QueueSid")
    waited = _queue_seconds(params) or 0
    return _event(
        params,
        kind="queue-wait",
        dedup_key=f"queue-wait:{call_sid}:{queue_sid or ''}",
        state="queued",
        facts={"queue": queue, "queue_sid": queue_sid},
        occurred_at=utcnow() - dt.timedelta(seconds=waited),
    )


def enqueue_event(params: FormParams, queue: str | None) -> NormalizedEvent:
    """An <Enqueue> action: how the call left the queue, and after how many seconds.

    Twilio asks it of a bridged call only once both parties hung up: the fold dates the connect
    from the queue entry and `QueueTime`. An undocumented result is stored and decides nothing.
    """
    call_sid = require(params, "CallSid")
    result = require(params, "QueueResult")
    queue_sid = params.get("QueueSid")
    abandoned = _QUEUE_EXITS.get(result) == "abandoned"
    return _event(
        params,
        kind=f"enqueue:{result}",
        dedup_key=f"enqueue:{call_sid}:{queue_sid or ''}:{result}",
        state="ended" if abandoned else None,
        facts={
            "queue": queue,
            "queue_sid": queue_sid,
            "queue_result": result,
            "queue_exit": _QUEUE_EXITS.get(result),
            "queue_seconds": _queue_seconds(params),
            "abandoned": abandoned or None,
        },
    )


def dial_event(params: FormParams) -> NormalizedEvent:
    """A <Dial> action: the dialled agent leg ended, answered or not."""
    call_sid = require(params, "CallSid")
    status = params.get("DialCallStatus", "unknown")
    answered = status in ("completed", "answered") and params.get("DialBridged") != "false"
    return _event(
        params,
        kind=f"dial:{status}",
        dedup_key=f"dial:{call_sid}:{params.get('DialCallSid', '')}:{status}",
        state="connected" if answered else None,
        facts={
            "agent": params.get("DialCallSid"),
            "missed": (not answered) or None,
            "recording_url": params.get("RecordingUrl"),
        },
    )


def record_event(params: FormParams) -> NormalizedEvent:
    """A <Record> action: the caller left a voicemail."""
    call_sid = require(params, "CallSid")
    url = params.get("RecordingUrl")
    return _event(
        params,
        kind="record",
        dedup_key=f"record:{call_sid}:{params.get('RecordingSid', '')}",
        state=None,
        facts={"voicemail": url is not None or None, "recording_url": url},
    )


def recording_event(params: FormParams) -> NormalizedEvent:
    """A recording status callback; only a completed recording adds its URL."""
    call_sid = require(params, "CallSid")
    status = params.get("RecordingStatus", "unknown")
    sid = params.get("RecordingSid", "")
    url = params.get("RecordingUrl") if status == "completed" else None
    return _event(
        params,
        kind=f"recording:{status}",
        dedup_key=f"recording:{call_sid}:{sid}:{status}",
        state=None,
        facts={"recording_url": url},
        occurred_at=event_time(params, "RecordingStartTime"),
    )


_EVENTS: dict[str, Callable[[FormParams], NormalizedEvent]] = {
    "voice": voice_event,
    "status": status_event,
    "recording": recording_event,
    "gather": gather_event,
    "dial": dial_event,
    "record": record_event,
}
