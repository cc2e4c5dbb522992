"""Twilio webhook requests as Twilio sends them for an inbound call put in a queue, signed."""

from __future__ import annotations

import datetime as dt
import email.utils
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

ACCOUNT = "AC" + "de305d5475b4431badb2eb6b9e546014"
COMPANY = "+14155550199"


class _Pairs:
    """Ordered form pairs with `getlist`, so repeated names are signed the way Twilio does."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for k, _ in self.pairs))

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]


def sign(url: str, pairs: list[tuple[str, str]], token: str) -> str:
    """The X-Twilio-Signature Twilio would send for this URL and form body."""
    return str(RequestValidator(token).compute_signature(url, _Pairs(pairs)))


@dataclass
class TwilioCall:
    """One inbound call's webhook requests, signed with the account's auth token."""

    client: httpx.AsyncClient
    token: str
    public_base: str
    caller: str
    queue: str = "support"
    sid: str = ""
    sequence: int = 0

    def __post_init__(self) -> None:
        self.sid = self.sid or "CA" + uuid.uuid4().hex
        self.queue_sid = "QU" + uuid.uuid4().hex

    def _standard(self, status: str) -> list[tuple[str, str]]:
        return [
            ("AccountSid", ACCOUNT),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", self.sid),
            ("CallStatus", status),
            ("Called", COMPANY),
            ("Caller", self.caller),
            ("Direction", "inbound"),
            ("From", self.caller),
            ("To", COMPANY),
        ]

    async def _post(self, path: str, pairs: list[tuple[str, str]]) -> httpx.Response:
        signature = sign(self.public_base + path, pairs, self.token)
        return await self.client.post(
            path,
            content=urlencode(pairs),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
        )

    async def status(self, status: str, duration: int | None = None) -> httpx.Response:
        pairs = [
            *self._standard(status),
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", str(self.sequence)),
            ("Timestamp", _rfc2822(dt.datetime.now(dt.UTC))),
        ]
        self.sequence += 1
        if duration is not None:
            pairs += [("CallDuration", str(duration)), ("Duration", str(max(1, duration // 60)))]
        return await self._post("/v1/webhooks/twilio/status", pairs)

    async def arrive(self) -> None:
        """The voice webhook, the ringing callback and the caller joining the queue."""
        await self._post("/v1/webhooks/twilio/voice", self._standard("ringing"))
        await self.status("ringing")
        await self.queue_wait(0)

    async def queue_wait(self, waited: int) -> httpx.Response:
        pairs = [
            *self._standard("in-progress"),
            ("QueueSid", self.queue_sid),
            ("QueuePosition", "1"),
            ("QueueTime", str(waited)),
            ("AvgQueueTime", str(waited)),
            ("CurrentQueueSize", "1"),
            ("MaxQueueSize", "100"),
        ]
        return await self._post(f"/v1/webhooks/twilio/queue-wait?queue={self.queue}", pairs)

    async def leave(self, result: str, waited: int, talked: int) -> None:
        """The <Enqueue> action (`bridged` or `hangup`) and the final status callback."""
        pairs = [
            *self._standard("in-progress"),
            ("QueueResult", result),
            ("QueueSid", self.queue_sid),
            ("QueueTime", str(waited)),
        ]
        await self._post(f"/v1/webhooks/twilio/enqueue?queue={self.queue}", pairs)
        await self.status("completed", duration=waited + talked)


def _rfc2822(at: dt.datetime) -> str:
    return email.utils.format_datetime(at.astimezone(dt.UTC)).replace("-0000", "+0000")
