"""Twilio's signature concatenates sorted `name + value` pairs: re-cut requests are refused."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.contact.errors import InvalidWebhookError
from services.contact.models import CallLogEntry
from services.contact.webhooks.providers.twilio_form import FormParams, check_fields
from tests.contact import twilio_requests as tw
from tests.contact.conftest import PUBLIC_BASE, count_rows


def _fold(request: tw.TwilioRequest, into: str, folded: str) -> tw.TwilioRequest:
    """`request` with parameter `folded` written into the value of `into`, as an attacker would."""
    value = dict(request.pairs)[folded]
    pairs = [(k, v + folded + value if k == into else v) for k, v in request.pairs if k != folded]
    return tw.TwilioRequest(request.path, pairs)


def _signed_alike(original: tw.TwilioRequest, forged: tw.TwilioRequest) -> str:
    """The original's signature, checked to sign the forged request too."""
    signature = tw.sign(PUBLIC_BASE + original.path, original.pairs)
    assert tw.sign(PUBLIC_BASE + forged.path, forged.pairs) == signature
    return signature


async def test_timestamp_folded_into_the_sequence_number_is_refused(
    app_client: httpx.AsyncClient,
) -> None:
    two_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    captured = tw.status(tw.sid(), "+14155550100", "ringing", 3, two_hours_ago)
    forged = _fold(captured, "SequenceNumber", "Timestamp")

    response = await tw.send(app_client, forged, signature=_signed_alike(captured, forged))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid-webhook"
    assert await count_rows(app_client, CallLogEntry) == 0


async def test_called_folded_into_the_callback_source_is_not_stored_again(
    app_client: httpx.AsyncClient,
) -> None:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    delivered = tw.status(tw.sid(), "+14155550100", "ringing", 0, at)
    assert (await tw.send(app_client, delivered)).status_code == 204
    forged = _fold(delivered, "CallbackSource", "Called")

    response = await tw.send(app_client, forged, signature=_signed_alike(delivered, forged))

    assert response.status_code == 422
    assert await count_rows(app_client, CallLogEntry) == 1


async def test_status_callback_without_a_timestamp_is_refused(
    app_client: httpx.AsyncClient,
) -> None:
    request = tw.status(tw.sid(), "+14155550100", "ringing", 0, dt.datetime.now(dt.UTC))
    untimed = tw.TwilioRequest(request.path, [p for p in request.pairs if p[0] != "Timestamp"])

    response = await tw.send(app_client, untimed)

    assert response.status_code == 422
    assert await count_rows(app_client, CallLogEntry) == 0


_GOOD = {
    "CallSid": "CA" + "0123456789abcdef" * 2,
    "AccountSid": "AC" + "0123456789abcdef" * 2,
    "SequenceNumber": "12",
    "CallbackSource": "call-progress-events",
    "CallStatus": "no-answer",
    "Direction": "outbound-dial",
    "From": "+14155550100",
    "To": "client:agent_7",
    "Called": "sip:agent@pbx.example.com",
    "Timestamp": "Wed, 08 Oct 2025 13:54:12 +0000",
    "CallDuration": "49",
    "DialBridged": "false",
    "Digits": "12#",
    "QueueResult": "bridged",
}
_BAD = [
    ("SequenceNumber", "3TimestampWed, 08 Oct 2025 13:54:12 +0000"),
    ("SequenceNumber", "-1"),
    ("SequenceNumber", "٣"),  # an Arabic-Indic digit: `isdigit()` but not what Twilio sends
    ("CallbackSource", "call-progress-eventsCalled+14155550199"),
    ("CallStatus", "in-progressCalled"),
    ("Direction", "sideways"),
    ("From", "+14155550100FromCitySAN FRANCISCO"),
    ("To", "0014155550100"),
    ("CallSid", "CA123"),
    ("Timestamp", "Wed, 08 Oct 2025 13:54:12 +0000To+1415"),
    ("Timestamp", "yesterday"),
    ("CallDuration", "49s"),
    ("DialBridged", "yes"),
    ("Digits", "1Direction"),
    ("SpeechResult", "two\x00"),
]


def test_the_values_twilio_sends_pass() -> None:
    check_fields(FormParams(list(_GOOD.items())))


@pytest.mark.parametrize(("name", "value"), _BAD)
def test_a_value_twilio_never_sends_is_refused(name: str, value: str) -> None:
    pairs = [*(p for p in _GOOD.items() if p[0] != name), (name, value)]
    with pytest.raises(InvalidWebhookError):
        check_fields(FormParams(pairs))
