"""Property: whatever bytes reach a webhook parser, it answers an event or a 4xx error.

The bodies are signed with the right credential, so each parser gets past its signature check
and reads the hostile content itself.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from services.contact.webhooks.providers import connect, generic, twilio
from services.contact.webhooks.providers.twilio_form import FIELDS
from shared.errors import AppError
from tests.contact.twilio_requests import sign
from tests.fuzz import PROPERTY_EXAMPLES

FUZZ = settings(
    max_examples=PROPERTY_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TOKEN = "twilio-auth-token-for-tests"
URL = "https://rapport.example.com/v1/webhooks/twilio/status"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# Twilio-shaped forms: names Twilio defines (and a few others), values of every kind.
_values = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    st.sampled_from(["call-progress-events", "ringing", "completed", "inbound", "hangup", ""]),
    st.just("Mon, 30 Nov 2026 10:00:00 +0000"),
    st.just("CA" + "0" * 32),
    st.just("+14155550100"),
)
_forms = st.lists(
    st.tuples(st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=12)), _values),
    max_size=25,
).map(lambda pairs: urlencode(pairs).encode())


def _bad_request(exc: AppError) -> bool:
    return 400 <= exc.status < 500


@FUZZ
@given(
    body=st.one_of(st.binary(max_size=300), _forms),
    kind=st.sampled_from(["voice", "status", "recording", "gather", "dial", "record"]),
)
def test_twilio_reads_any_signed_body_as_an_event_or_a_4xx(body: bytes, kind: str) -> None:
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        pairs = []
    form = twilio.SignedForm(URL, body, sign(URL, pairs, TOKEN), None)
    try:
        twilio.read_event(form, kind, tokens=[TOKEN], max_age_seconds=3600)  # type: ignore[arg-type]
    except AppError as exc:
        assert _bad_request(exc)


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), _forms), waiting=st.booleans())
def test_twilio_reads_any_signed_queue_callback_as_an_event_or_a_4xx(
    body: bytes, waiting: bool
) -> None:
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        pairs = []
    form = twilio.SignedForm(URL, body, sign(URL, pairs, TOKEN), None)
    kind: twilio.QueueEventKind = "queue-wait" if waiting else "enqueue"
    try:
        twilio.read_queue_event(form, kind, tokens=[TOKEN], queue="support")
    except AppError as exc:
        assert _bad_request(exc)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=25,
)
_connect_like = st.fixed_dictionaries(
    {
        "detail-type": st.sampled_from(["Amazon Connect Contact Event", "other"]),
        "time": st.one_of(st.text(max_size=30), st.just(dt.datetime.now(dt.UTC).isoformat())),
        "detail": st.dictionaries(
            st.sampled_from(
                ["eventType", "contactId", "channel", "initiationMethod", "queueInfo", "agentInfo"]
            ),
            _json,
        ),
    }
)


@FUZZ
@given(
    body=st.one_of(st.binary(max_size=300), _json.map(json.dumps), _connect_like.map(json.dumps))
)
def test_connect_reads_any_body_with_the_key_as_an_event_or_a_4xx(body: bytes | str) -> None:
    raw = body.encode() if isinstance(body, str) else body
    try:
        connect.read_event(raw, api_key="k", keys=["k"], max_age_seconds=86400)
    except AppError as exc:
        assert _bad_request(exc)


_generic_like = st.fixed_dictionaries(
    {"provider": st.text(max_size=10), "call_id": st.text(max_size=10), "event": _json},
    optional={"occurred_at": st.text(max_size=30), "state": _json, "sequence": _json},
)


@FUZZ
@given(body=st.one_of(st.text(max_size=300), _json.map(json.dumps), _generic_like.map(json.dumps)))
def test_generic_reads_any_signed_body_as_an_event_or_a_4xx(body: str) -> None:
    now = dt.datetime.now(dt.UTC)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign("msg_1", now, body),
    }
    try:
        generic.read_event(body.encode(), headers, secrets=[SECRET])
    except AppError as exc:
        assert _bad_request(exc)


def test_connect_refuses_a_control_character_anywhere_in_the_event() -> None:
    event = {
        "detail-type": "Amazon Connect Contact Event",
        "detail": {"eventType": "INITIATED", "contactId": "abc", "channel": "CHAT\u0000"},
    }
    try:
        connect.read_event(json.dumps(event).encode(), api_key="k", keys=["k"], max_age_seconds=60)
    except AppError as exc:
        assert exc.code == "invalid-webhook"
    else:
        raise AssertionError("a NUL in a Connect event was accepted")
