"""Twilio Programmable Voice requests: signature check, freshness and events, in one pass."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator, get_signature_algorithm

from services.contact.calls.callmodel import NormalizedEvent
from services.contact.errors import InvalidWebhookError, SignatureError
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
_QUEUE_RESULT = re.compile(r"[a-z][a-z-]{0,39}")
_SID = re.compile(r"[A-Za-z0-9]{2,64}")
# Twilio ends every call within a day; a longer wait is not one it sent.
_MAX_QUEUE_SECONDS = 24 * 60 * 60


class FormParams:
    """A form body as ordered pairs; `getlist` keeps repeated names for the validator."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        self._first: dict[str, str] = {}
        for key, value in pairs:
            self._first.setdefault(key, value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def getlist(self, name: str) -> list[str]:
        """Every value sent under `name`, blank ones included."""
        return [v for k, v in self.pairs if k == name]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of `name`; a blank value counts as absent."""
        value = self._first.get(name)
        return value if value else default


def parse_form(body: bytes) -> FormParams:
    """Parse a form body the way Twilio signed it: blank values kept, repeats kept."""
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise SignatureError("The body is not UTF-8 form data.") from exc
    return FormParams(parse_qsl(text, keep_blank_values=True))


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
            return params
    raise SignatureError("The X-Twilio-Signature does not match this request.")


def _check_fresh(params: FormParams, max_age_seconds: int) -> None:
    # The signature has no time in it; the signed Timestamp bounds how old a replay can be.
    at = event_time(params)
    if at is None:
        return
    if abs((utcnow() - at).total_seconds()) > max_age_seconds:
        raise SignatureError("The signed Timestamp is outside the accepted window.")


def event_time(params: FormParams, name: str = "Timestamp") -> dt.datetime | None:
    """An RFC 2822 time parameter as aware UTC, or None when absent or unreadable."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(dt.UTC)


def _require(params: FormParams, name: str) -> str:
    value = params.get(name)
    if value is None:
        raise InvalidWebhookError(f"The request has no `{name}`.")
    return value


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
    call_sid = _require(params, "CallSid")
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
    """A StatusCallback (call-progress event); dedup key `(CallSid, CallbackSource, Seq)`."""
    call_sid = _require(params, "CallSid")
    status = _require(params, "CallStatus")
    source = params.get("CallbackSource", "call-progress-events")
    raw_sequence = params.get("SequenceNumber", "0") or "0"
    sequence = int(raw_sequence) if raw_sequence.isdigit() else 0
    child = params.get("ParentCallSid") is not None
    state, facts = _status_state(status, child=child, inbound=params.get("Direction") == "inbound")
    if child and state == "connected":
        # Without TaskRouter the agent is whoever the <Dial> leg reached.
        facts["agent"] = params.get("To")
    duration = params.get("CallDuration")
    if duration is not None and duration.isdigit() and not child:
        facts["duration"] = int(duration)
    facts["recording_url"] = params.get("RecordingUrl")
    return _event(
        params,
        kind=f"status:{status}",
        dedup_key=f"{call_sid}:{source}:{raw_sequence}",
        state=state,
        facts=facts,
        occurred_at=event_time(params),
        sequence=sequence,
    )


def voice_event(params: FormParams) -> NormalizedEvent:
    """The first request of a call to the voice URL: an inbound call rings."""
    call_sid = _require(params, "CallSid")
    inbound = params.get("Direction") == "inbound"
    return _event(
        params,
        kind="voice",
        dedup_key=f"voice:{call_sid}",
        state="ringing" if inbound else "connected",
        facts={},
    )


def _digest(params: FormParams) -> str:
    joined = "&".join(f"{k}={v}" for k, v in sorted(params.pairs))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def gather_event(params: FormParams) -> NormalizedEvent:
    """A <Gather> action: what the caller keyed or said in the IVR."""
    call_sid = _require(params, "CallSid")
    said = params.get("Digits") or params.get("SpeechResult")
    return _event(
        params,
        kind="gather",
        dedup_key=f"gather:{call_sid}:{_digest(params)}",
        state="ivr",
        facts={"ivr_input": said},
    )


def _queue_sid(params: FormParams) -> str | None:
    value = params.get("QueueSid")
    if value is not None and not _SID.fullmatch(value):
        raise InvalidWebhookError("`QueueSid` is not a Twilio SID.")
    return value


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
    call_sid = _require(params, "CallSid")
    queue_sid = _queue_sid(params)
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
    call_sid = _require(params, "CallSid")
    result = _require(params, "QueueResult")
    if not _QUEUE_RESULT.fullmatch(result):
        raise InvalidWebhookError("`QueueResult` is not a queue result.")
    queue_sid = _queue_sid(params)
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
    call_sid = _require(params, "CallSid")
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
    call_sid = _require(params, "CallSid")
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
    call_sid = _require(params, "CallSid")
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
