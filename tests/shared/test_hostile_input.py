"""Request plumbing against hostile input: control characters, absurd times, oversized bodies."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from shared.inputs import InputModel, PastTime
from shared.middleware import BodyLimitMiddleware


class _Nested(InputModel):
    name: str
    tags: list[str] = []
    facts: dict[str, Any] = {}
    at: PastTime | None = None


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Ann\x00"},
        {"name": "Ann", "tags": ["ok", "bell\x07"]},
        {"name": "Ann", "facts": {"key\x1b": "value"}},
        {"name": "Ann", "facts": {"deep": [{"x": "\x0b"}]}},
    ],
)
def test_a_control_character_anywhere_in_a_body_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _Nested.model_validate(body)


def test_tabs_newlines_and_any_script_are_kept() -> None:
    text = "王小明 👩‍👩‍👧 שלום e\u0301\tline\r\nnext"
    assert _Nested.model_validate({"name": text, "tags": [text]}).name == text


@pytest.mark.parametrize(
    "at",
    ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "an hour from now"],
)
def test_a_time_before_1970_or_in_the_future_is_refused(at: str) -> None:
    if at == "an hour from now":
        at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    with pytest.raises(ValidationError):
        _Nested.model_validate({"name": "Ann", "at": at})


def test_a_time_in_range_is_kept() -> None:
    at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert _Nested.model_validate({"name": "Ann", "at": at.isoformat()}).at == at


class _Reader:
    """An app that reads the whole body, then answers 200 with its length."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


async def _call(
    *, chunks: list[bytes], headers: list[tuple[bytes, bytes]], query: bytes = b""
) -> tuple[int, dict[str, Any] | None, int]:
    """Status, JSON body and how many chunks the app behind the limit pulled."""
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        more = pulled < len(chunks)
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": more}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/customers",
        "query_string": query,
        "headers": headers,
    }
    await BodyLimitMiddleware(_Reader(), max_bytes=1000)(scope, receive, send)
    status = int(sent[0]["status"])
    body = b"".join(m.get("body", b"") for m in sent[1:])
    content_type = dict(sent[0]["headers"]).get(b"content-type", b"")
    parsed = json.loads(body) if content_type == b"application/problem+json" else None
    return status, parsed, pulled


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    status, problem, pulled = await _call(
        chunks=[b"x" * 600] * 3, headers=[(b"content-length", b"1800")]
    )
    assert (status, pulled) == (413, 0)
    assert problem is not None and problem["code"] == "payload-too-large"


async def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit() -> None:
    # 100 chunks of 300 bytes without a Content-Length: the 4th chunk passes 1000 bytes.
    status, problem, pulled = await _call(chunks=[b"x" * 300] * 100, headers=[])
    assert (status, pulled) == (413, 4)
    assert problem is not None and problem["status"] == 413


async def test_a_body_within_the_limit_reaches_the_app() -> None:
    status, _, pulled = await _call(chunks=[b"x" * 500, b"y" * 500], headers=[])
    assert (status, pulled) == (200, 2)


async def test_a_control_character_in_the_query_string_is_refused() -> None:
    status, problem, pulled = await _call(chunks=[b""], headers=[], query=b"q=a%00b")
    assert (status, pulled) == (400, 0)
    assert problem is not None and problem["code"] == "path-not-canonical"
