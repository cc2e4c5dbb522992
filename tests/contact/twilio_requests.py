"""Twilio requests signed exactly as Twilio signs them, and real-shaped call sequences."""

from __future__ import annotations

import datetime as dt
import email.utils
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from tests.contact.conftest import PUBLIC_BASE, TWILIO_TOKEN
from tools.demo import twilio

ACCOUNT = "AC" + "3768215326784571624576245400aa00"  # 34 characters, as Twilio SIDs are
COMPANY = "+14155550199"


def sign(url: str, pairs: list[tuple[str, str]], token: str = TWILIO_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for this URL and form body."""
    return twilio.sign(url, pairs, token)


@dataclass(frozen=True)
class TwilioRequest:
    """One webhook request: path (with query) and form pairs."""

    path: str
    pairs: list[tuple[str, str]]

    def label(self) -> str:
        return f"{self.path}:{dict(self.pairs).get('SequenceNumber', '')}"


async def send(
    client: httpx.AsyncClient,
    request: TwilioRequest,
    *,
    token: str = TWILIO_TOKEN,
    base: str = PUBLIC_BASE,
    signature: str | None = None,
) -> httpx.Response:
    """POST the request form-encoded with its signature, as Twilio does."""
    sig = signature if signature is not None else sign(base + request.path, request.pairs, token)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sig:
        headers["X-Twilio-Signature"] = sig
    return await client.post(request.path, content=urlencode(request.pairs), headers=headers)


def rfc2822(at: dt.datetime) -> str:
    """A Timestamp parameter as Twilio writes it."""
    return email.utils.format_datetime(at.astimezone(dt.UTC)).replace("-0000", "+0000")


def sid(prefix: str = "CA") -> str:
    return prefix + uuid.uuid4().hex


def _standard(
    call_sid: str, caller: str, *, direction: str, to: str, status: str
) -> list[tuple[str, str]]:
    return [
        ("AccountSid", ACCOUNT),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid),
        ("CallStatus", status),
        ("Called", to),
        ("CalledCity", ""),
        ("CalledState", ""),
        ("CalledZip", ""),
        ("Caller", caller),
        ("CallerCountry", "US"),
        ("Direction", direction),
        ("From", caller),
        ("FromCity", "SAN FRANCISCO"),
        ("FromState", "CA"),
        ("To", to),
        ("ToCity", ""),
        ("ToState", ""),
        ("ToZip", ""),
    ]


def status(
    call_sid: str,
    caller: str,
    call_status: str,
    sequence: int,
    at: dt.datetime,
    *,
    parent: str | None = None,
    to: str = COMPANY,
    direction: str = "inbound",
    duration: int | None = None,
) -> TwilioRequest:
    """A StatusCallback request (call-progress event)."""
    pairs = _standard(call_sid, caller, direction=direction, to=to, status=call_status)
    pairs += [
        ("CallbackSource", "call-progress-events"),
        ("SequenceNumber", str(sequence)),
        ("Timestamp", rfc2822(at)),
    ]
    if parent:
        pairs.append(("ParentCallSid", parent))
    if duration is not None:
        pairs += [("CallDuration", str(duration)), ("Duration", str(max(1, duration // 60)))]
    return TwilioRequest("/v1/webhooks/twilio/status", pairs)


def voice(call_sid: str, caller: str) -> TwilioRequest:
    """The voice webhook of an incoming call."""
    return TwilioRequest(
        "/v1/webhooks/twilio/voice",
        _standard(call_sid, caller, direction="inbound", to=COMPANY, status="ringing"),
    )


def answered_inbound_call(caller: str, start: dt.datetime) -> list[TwilioRequest]:
    """An inbound call: IVR choice, dialled agent answers, recording, hang-up."""
    parent, child, recording = sid(), sid(), sid("RE")
    agent = "+14155550123"
    t = [start + dt.timedelta(seconds=s) for s in range(0, 200, 5)]
    gather = _standard(parent, caller, direction="inbound", to=COMPANY, status="in-progress")
    gather += [("Digits", "2"), ("FinishedOnKey", "")]
    rec = [
        ("AccountSid", ACCOUNT),
        ("CallSid", parent),
        ("RecordingSid", recording),
        (
            "RecordingUrl",
            f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}",
        ),
        ("RecordingStatus", "completed"),
        ("RecordingDuration", "41"),
        ("RecordingChannels", "2"),
        ("RecordingSource", "DialVerb"),
        ("RecordingStartTime", rfc2822(t[4])),
    ]
    return [
        voice(parent, caller),
        status(parent, caller, "ringing", 0, t[0]),
        status(parent, caller, "in-progress", 1, t[1]),
        TwilioRequest("/v1/webhooks/twilio/gather", gather),
        status(
            child, caller, "initiated", 0, t[3], parent=parent, to=agent, direction="outbound-dial"
        ),
        status(
            child, caller, "ringing", 1, t[3], parent=parent, to=agent, direction="outbound-dial"
        ),
        status(
            child,
            caller,
            "in-progress",
            2,
            t[4],
            parent=parent,
            to=agent,
            direction="outbound-dial",
        ),
        status(
            child,
            caller,
            "completed",
            3,
            t[12],
            parent=parent,
            to=agent,
            direction="outbound-dial",
            duration=41,
        ),
        TwilioRequest("/v1/webhooks/twilio/recording", rec),
        status(parent, caller, "completed", 2, t[13], duration=65),
    ]


def abandoned_queued_call(caller: str, start: dt.datetime) -> list[TwilioRequest]:
    """An inbound call put into the queue whose caller hangs up before an agent answers."""
    parent, queue_sid = sid(), sid("QU")
    t = [start + dt.timedelta(seconds=s) for s in range(0, 120, 10)]
    base = _standard(parent, caller, direction="inbound", to=COMPANY, status="in-progress")
    wait = [*base, ("QueueSid", queue_sid), ("QueuePosition", "1"), ("QueueTime", "0")]
    left = [*base, ("QueueSid", queue_sid), ("QueueResult", "hangup"), ("QueueTime", "37")]
    return [
        voice(parent, caller),
        status(parent, caller, "ringing", 0, t[0]),
        TwilioRequest("/v1/webhooks/twilio/queue-wait?queue=support", wait),
        TwilioRequest("/v1/webhooks/twilio/enqueue?queue=support", left),
        status(parent, caller, "completed", 1, t[5], duration=40),
    ]


def voicemail_call(caller: str, start: dt.datetime) -> list[TwilioRequest]:
    """An inbound call whose dialled agent does not answer; the caller leaves a message."""
    parent, child, recording = sid(), sid(), sid("RE")
    base = _standard(parent, caller, direction="inbound", to=COMPANY, status="in-progress")
    dial = [
        *base,
        ("DialCallSid", child),
        ("DialCallStatus", "no-answer"),
        ("DialCallDuration", "0"),
    ]
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}"
    record = [
        *base,
        ("RecordingSid", recording),
        ("RecordingUrl", url),
        ("RecordingDuration", "12"),
        ("Digits", "hangup"),
    ]
    return [
        voice(parent, caller),
        TwilioRequest("/v1/webhooks/twilio/dial", dial),
        TwilioRequest("/v1/webhooks/twilio/record", record),
        status(parent, caller, "completed", 0, start + dt.timedelta(seconds=40), duration=40),
    ]


# Twilio does not queue a call it cannot put in the queue: no waitUrl, no QueueSid, no QueueTime.
NOT_ENQUEUED = ("queue-full", "system-error")


def queue_wait(
    call_sid: str, caller: str, queue_sid: str, waited: int, *, queue: str = "support"
) -> TwilioRequest:
    """A request to the <Enqueue> waitUrl, `waited` seconds after the caller joined the queue."""
    pairs = _standard(call_sid, caller, direction="inbound", to=COMPANY, status="in-progress")
    pairs += [
        ("QueueSid", queue_sid),
        ("QueuePosition", "1"),
        ("QueueTime", str(waited)),
        ("AvgQueueTime", str(waited)),
        ("CurrentQueueSize", "1"),
        ("MaxQueueSize", "100"),
    ]
    return TwilioRequest(f"/v1/webhooks/twilio/queue-wait?queue={queue}", pairs)


def queue_left(
    call_sid: str,
    caller: str,
    result: str,
    *,
    queue_sid: str | None,
    waited: str | None,
    queue: str = "support",
) -> TwilioRequest:
    """The <Enqueue> action request: how the call left the queue, and after how long."""
    pairs = _standard(call_sid, caller, direction="inbound", to=COMPANY, status="in-progress")
    pairs.append(("QueueResult", result))
    if queue_sid is not None:
        pairs.append(("QueueSid", queue_sid))
    if waited is not None:
        pairs.append(("QueueTime", waited))
    return TwilioRequest(f"/v1/webhooks/twilio/enqueue?queue={queue}", pairs)


def queued_call(
    caller: str, start: dt.datetime, result: str, *, waited: int = 30, talked: int = 60
) -> list[TwilioRequest]:
    """An inbound call in Twilio's own request order, leaving the queue with `result`.

    Voice webhook (answered with <Enqueue>), the waitUrl as the caller joins the queue and
    again as the hold music loops, the <Enqueue> action, then the final status callback. A
    bridged call's action comes only once both parties hung up, `talked` seconds after an
    agent took it.
    """
    parent, queue_sid = sid(), sid("QU")
    enqueued = result not in NOT_ENQUEUED
    requests = [voice(parent, caller), status(parent, caller, "ringing", 0, start)]
    if enqueued:
        requests += [
            queue_wait(parent, caller, queue_sid, 0),
            queue_wait(parent, caller, queue_sid, min(waited, 20)),
        ]
    requests.append(
        queue_left(
            parent,
            caller,
            result,
            queue_sid=queue_sid if enqueued else None,
            waited=str(waited) if enqueued else None,
        )
    )
    total = waited + talked + 2
    end = start + dt.timedelta(seconds=total)
    requests.append(status(parent, caller, "completed", 1, end, duration=total))
    return requests
