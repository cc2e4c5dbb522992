"""Logs: one JSON object per line, nothing personal readable, trace ids across services.

The whole system runs in this process — the three services on real sockets, the gateway in
front of them, the real broker and databases — and every public route of every service is
called with phone numbers (several formats), e-mail addresses and names in its path, query
string and body. Then every captured line is parsed and scanned.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from services.complaints.main import create_app as create_complaints
from services.contact.main import create_app as create_contact
from services.gateway.main import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.scoring.main import create_app as create_scoring
from shared.masking import mask_text
from tests.builders import call_event, contact_settings, scoring_settings
from tests.complaints.conftest import complaints_settings
from tests.conftest import serve
from tests.kafka_helpers import eventually
from tools.stack import free_port

KEY = "logging-test-key"
NAME_FIRST, NAME_LAST = "Zebediah", "Quillfeather"
EMAIL = "zebediah.quillfeather@example.org"
PHONES = ["+14155550142", "+1 415 555 0142", "(415) 555-0142", "415.555.0142", "004915112345678"]
ENCODED = ["%2B14155550142", "%2B1%20415%20555%200142", "+1+415+555+0142", "zebediah%40example.org"]
# What must never be readable in a log line.
FORBIDDEN = [
    "4155550142",
    "555 0142",
    "555-0142",
    "555.0142",
    "15112345678",
    "0142",
    "zebediah",
    "quillfeather",
    "example.org",
]


# Times, ids and durations are machine values: a digit run in them is no phone number.
_MACHINE_KEYS = {"timestamp", "trace_id", "span_id", "request_id", "duration_ms"}
# The test's own topic prefix (`t` and ten hex digits, in topic and group names) is one too.
_IDS = re.compile(
    r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{16,}"
    r"|\bt[0-9a-f]{10}\."
)


def _without_machine_values(record: dict[str, object]) -> str:
    kept = {k: v for k, v in record.items() if k not in _MACHINE_KEYS}
    return _IDS.sub("<id>", json.dumps(kept, ensure_ascii=False).lower())


def test_masking_catches_phones_emails_and_keeps_ids() -> None:
    for phone in [*PHONES, *ENCODED[:3]]:
        assert "0142" not in mask_text(f"caller {phone} waits"), phone
    assert "example" not in mask_text(f"mail {EMAIL} or {ENCODED[3]}")
    kept = [
        "2026-11-02T09:30:00+00:00",
        "127.0.0.1:9092",
        "550e8400-e29b-41d4-a716-446655440000",
        "9f1c2e4b7a0d4c3e8b6a5d4c3b2a1f0e",
    ]
    for text in kept:
        assert mask_text(text) == text
    assert "Quill" not in mask_text("[parameters: ('Zebediah Quillfeather', 3)]")


@contextlib.asynccontextmanager
async def on_socket(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` as a deployment does: no access log, no uvicorn log configuration."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def system(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, FastAPI]]]:
    apps = {
        "contact": create_contact(contact_settings(make_database("contact"), broker, topic_prefix)),
        "complaints": create_complaints(
            complaints_settings(make_database("complaints"), broker, topic_prefix)
        ),
        "scoring": create_scoring(scoring_settings(make_database("scoring"), broker, topic_prefix)),
    }
    async with contextlib.AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(on_socket(app)) for name, app in apps.items()}
        gateway = create_gateway(
            GatewaySettings(
                database_url=make_database("gateway"),
                migrate_on_start=False,
                api_keys=[KEY],
                contact_url=urls["contact"],
                complaints_url=urls["complaints"],
                scoring_url=urls["scoring"],
            )
        )
        apps["gateway"] = gateway
        for app in apps.values():
            await eventually(
                lambda app=app: all(r.connected for r in getattr(app.state, "consumers", [])),
                timeout=30,
                what="consumers started",
            )
        async for client in serve(gateway):
            yield client, apps


def _personal_path(template: str, n: int) -> str:
    values = [PHONES[n % 5], EMAIL, f"{NAME_FIRST} {NAME_LAST}", ENCODED[n % 4]]
    out, i = template, 0
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + values[(n + i) % len(values)] + out[end + 1 :]
        i += 1
    return out


def _personal_body(n: int) -> dict[str, Any]:
    return {
        "name": f"{NAME_FIRST} {NAME_LAST}",
        "customer_name": NAME_LAST,
        "email": EMAIL,
        "phone": PHONES[n % 5],
        "from": PHONES[(n + 1) % 5],
        "to": PHONES[(n + 2) % 5],
        "description": f"{NAME_FIRST} asks to be called on {PHONES[n % 5]} or written to {EMAIL}",
        "customer_id": str(uuid.uuid4()),
    }


async def _call_every_route(client: httpx.AsyncClient, apps: dict[str, FastAPI]) -> int:
    calls = 0
    headers = {"X-API-Key": KEY}
    query = f"?phone={ENCODED[0]}&alt={ENCODED[2]}&email={ENCODED[3]}&name={NAME_FIRST}+{NAME_LAST}"
    for app in apps.values():
        for template, operations in app.openapi()["paths"].items():
            if not template.startswith("/v1/") or template == "/v1/stream":
                continue  # the live stream takes no personal data and never ends by itself
            for method in sorted(m.upper() for m in operations):
                path = _personal_path(template, calls)
                body = None if method in ("GET", "DELETE") else _personal_body(calls)
                await client.request(method, path + query, json=body, headers=headers)
                calls += 1
    # The main slice with real personal data that is accepted and flows through the broker.
    for n, phone in enumerate(PHONES[:4]):
        event = call_event(call_id=f"pii-{n}", **{"from": phone})
        accepted = await client.post("/v1/contacts/events", json=event, headers=headers)
        assert accepted.status_code == 201, accepted.text
    return calls


async def test_no_personal_data_in_any_log_line_of_any_route(
    system: tuple[httpx.AsyncClient, dict[str, FastAPI]], capsys: pytest.CaptureFixture[str]
) -> None:
    client, apps = system
    calls = await _call_every_route(client, apps)
    assert calls > 40
    await asyncio.sleep(1.0)  # let the consumers log what they handle
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) > calls
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert isinstance(record, dict) and "event" in record and "level" in record
        lowered = _without_machine_values(record)
        for forbidden in FORBIDDEN:
            assert forbidden not in lowered, f"{forbidden!r} readable in {line}"
    routes = {json.loads(line).get("route") for line in lines}
    assert "/v1/contacts/events" in routes


async def test_a_trace_started_at_the_gateway_reaches_the_consumer_logs(
    system: tuple[httpx.AsyncClient, dict[str, FastAPI]], capsys: pytest.CaptureFixture[str]
) -> None:
    client, _ = system
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    response = await client.post(
        "/v1/contacts/events",
        json=call_event(call_id="traced-1"),
        headers={"X-API-Key": KEY, "traceparent": traceparent, "X-Request-ID": "traced-req-1"},
    )
    assert response.status_code == 201, response.text
    seen: list[dict[str, Any]] = []

    def consumed_in_the_same_trace() -> bool:
        for line in capsys.readouterr().err.splitlines():
            if line.strip():
                seen.append(json.loads(line))
        return any(
            r.get("trace_id") == trace_id
            and r.get("event") == "event_handled"
            and r.get("service") == "scoring"
            for r in seen
        )

    await eventually(consumed_in_the_same_trace, timeout=30, what="scoring's log of the trace")
    in_trace = [r for r in seen if r.get("trace_id") == trace_id]
    services = {r.get("service") for r in in_trace}
    assert {"gateway", "contact", "scoring"} <= services
    assert all(r.get("request_id") == "traced-req-1" for r in in_trace)
