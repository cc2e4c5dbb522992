"""The form Twilio signs: its parsing, and what each parameter Twilio defines may hold.

Twilio signs the URL followed by the sorted parameters concatenated without separators
(`name + value`…), so a captured request can be re-cut without breaking its signature:
`SequenceNumber=3` + `Timestamp=Mon, 30 Nov …` signs exactly like one parameter
`SequenceNumber=3TimestampMon, 30 Nov …`. A parameter that must be a number, one of a list, a
SID, an address or an RFC 2822 time cannot absorb its neighbour, so each one Twilio defines is
checked before anything is read from the form, and dedup keys are built only from such values.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl

from services.contact.errors import InvalidWebhookError, SignatureError


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


_RFC2822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?[0-9]{1,2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}"
)


def rfc2822_time(raw: str) -> dt.datetime | None:
    """`raw` as aware UTC if it is exactly an RFC 2822 date-time with a numeric zone."""
    if not _RFC2822.fullmatch(raw):
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(dt.UTC)


def event_time(params: FormParams, name: str = "Timestamp") -> dt.datetime | None:
    """An RFC 2822 time parameter as aware UTC, or None when absent."""
    raw = params.get(name)
    return None if raw is None else rfc2822_time(raw)


def _pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex)
    return lambda value: compiled.fullmatch(value) is not None


def _one_of(*values: str) -> Callable[[str], bool]:
    allowed = frozenset(values)
    return lambda value: value in allowed


def _sid(prefix: str) -> Callable[[str], bool]:
    return _pattern(prefix + r"[0-9a-fA-F]{32}")


_INTEGER = _pattern(r"[0-9]{1,9}")
# E.164, a Twilio Client identity, a SIP URI, or what a withheld caller id is shown as.
_ADDRESS = _pattern(
    r"\+[1-9][0-9]{1,14}|client:[!-~]{1,256}|sips?:[!-~]{1,512}"
    r"|(?i:anonymous|restricted|unknown|private|unavailable)"
)
_CALL_STATUS = _one_of(
    "queued",
    "initiated",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
)

# Each parameter Twilio defines for the requests we take, and what its value may be.
FIELDS: dict[str, Callable[[str], bool]] = {
    "AccountSid": _sid("AC"),
    "CallSid": _sid("CA"),
    "ParentCallSid": _sid("CA"),
    "DialCallSid": _sid("CA"),
    "RecordingSid": _sid("RE"),
    "QueueSid": _sid("QU"),
    "ApiVersion": _pattern(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    **dict.fromkeys(("From", "To", "Caller", "Called", "ForwardedFrom"), _ADDRESS),
    "CallStatus": _CALL_STATUS,
    "Direction": _one_of(
        "inbound", "outbound-api", "outbound-dial", "trunking-originating", "trunking-terminating"
    ),
    "CallbackSource": _one_of("call-progress-events"),
    "Timestamp": lambda value: rfc2822_time(value) is not None,
    "RecordingStartTime": lambda value: rfc2822_time(value) is not None,
    **dict.fromkeys(
        (
            "SequenceNumber",
            "CallDuration",
            "Duration",
            "SipResponseCode",
            "RecordingDuration",
            "RecordingChannels",
            "DialCallDuration",
            "QueueTime",
            "QueuePosition",
            "AvgQueueTime",
            "CurrentQueueSize",
            "MaxQueueSize",
            "ErrorCode",
        ),
        _INTEGER,
    ),
    "AnsweredBy": _one_of(
        "human",
        "machine_start",
        "machine_end_beep",
        "machine_end_silence",
        "machine_end_other",
        "fax",
        "unknown",
    ),
    "DialCallStatus": _one_of("completed", "answered", "busy", "no-answer", "failed", "canceled"),
    "DialBridged": _one_of("true", "false"),
    "RecordingStatus": _one_of("in-progress", "completed", "absent", "failed"),
    "RecordingSource": _one_of(
        "DialVerb",
        "Conference",
        "OutboundAPI",
        "Trunking",
        "RecordVerb",
        "StartCallRecordingAPI",
        "StartConferenceRecordingAPI",
    ),
    "RecordingTrack": _one_of("inbound", "outbound", "both"),
    "RecordingUrl": _pattern(r"https://[!-~]{1,1000}"),
    "Digits": _pattern(r"[0-9*#]{1,64}|hangup"),
    "FinishedOnKey": _pattern(r"[0-9*#]"),
    "Confidence": _pattern(r"[01](?:\.[0-9]{1,12})?"),
    "QueueResult": _pattern(r"[a-z][a-z-]{0,39}"),
}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
# C0 control characters other than tab, newline and carriage return: never in a Twilio value.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_VALUE = 4096


def check_fields(params: FormParams) -> None:
    """Refuse a form whose parameter names or values are not what Twilio sends."""
    for name, value in params.pairs:
        if not _NAME.fullmatch(name):
            raise InvalidWebhookError("A parameter name is not one Twilio sends.")
        if len(value) > _MAX_VALUE or _CONTROL.search(value):
            raise InvalidWebhookError(f"`{name}` is too long or holds control characters.")
        check = FIELDS.get(name)
        if value and check is not None and not check(value):
            raise InvalidWebhookError(f"`{name}` is not a value Twilio sends for it.")


def require(params: FormParams, name: str) -> str:
    """The value of `name`; `InvalidWebhookError` when absent or blank."""
    value = params.get(name)
    if value is None:
        raise InvalidWebhookError(f"The request has no `{name}`.")
    return value
