"""Names of the domain's values in English and Chinese, from one catalogue.

`shared/contracts/catalogue.json` is the one message catalogue: for each section (tiers,
lifecycle stages, customer states, complaint states, relationship levels, ...) the English and
Chinese name of every value, and for each response field the sections its values come from.
The services and the web pages read the same file.

A request asks for names with `?lang=zh|en` or an `Accept-Language` header; `NamesMiddleware`
then adds `<field>_name` beside every field of a JSON response whose value the catalogue names
(`"tier": "gold"` gets `"tier_name": "金客户"`). A request that asks for no language gets the
response untouched, so machine clients pay nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
CATALOGUE_PATH = Path(__file__).parent / "contracts" / "catalogue.json"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """The whole catalogue: `languages`, `sections` (value → names) and `fields`."""
    return cast(dict[str, Any], json.loads(CATALOGUE_PATH.read_text(encoding="utf-8")))


def sections() -> dict[str, dict[str, dict[str, str]]]:
    return cast(dict[str, dict[str, dict[str, str]]], catalogue()["sections"])


def name_of(section: str, value: str, lang: Language) -> str | None:
    """The name of `value` in `section` in `lang`, or None when the catalogue has none."""
    entry = sections().get(section, {}).get(value)
    return None if entry is None else entry[lang]


def names_in(lang: Language) -> dict[str, dict[str, str]]:
    """Every section's names in one language: what a page needs to label values."""
    return {s: {v: names[lang] for v, names in values.items()} for s, values in sections().items()}


def language(query_lang: str | None, accept_language: str | None) -> Language | None:
    """The language a request asks for: `lang` first, then the best `Accept-Language` match.

    None when the request asks for none (or for one the catalogue lacks and no other).
    """
    if query_lang:
        code = query_lang.strip().lower()[:2]
        return code if code in LANGUAGES else None
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for quality, _, code in sorted(ranked):
        if quality < 0 and code in LANGUAGES:
            return code
    return None


def add_names(value: Any, lang: Language, fields: Mapping[str, list[str]]) -> Any:
    """`value` (decoded JSON) with `<field>_name` beside every field the catalogue names."""
    if isinstance(value, list):
        return [add_names(item, lang, fields) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        out[key] = add_names(item, lang, fields)
        if isinstance(item, str) and key in fields and f"{key}_name" not in value:
            for section in fields[key]:
                name = name_of(section, item, lang)
                if name is not None:
                    out[f"{key}_name"] = name
                    break
    return out


class NamesMiddleware:
    """Adds the catalogue's names to JSON responses of requests that ask for a language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.fields: dict[str, list[str]] = catalogue()["fields"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = _requested(scope)
        if lang is None:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if not _is_json(message):
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await _send_named(send, start, b"".join(chunks), lang, self.fields)

        await self.app(scope, receive, buffered)


def _requested(scope: Scope) -> Language | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    header = next(
        (v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"accept-language"),
        None,
    )
    return language((query.get("lang") or [None])[0], header)


def _is_json(start: Message) -> bool:
    for key, value in start.get("headers", []):
        if key.lower() == b"content-type":
            return bool(value.split(b";")[0].strip() == b"application/json")
    return False


async def _send_named(
    send: Send, start: Message, body: bytes, lang: Language, fields: Mapping[str, list[str]]
) -> None:
    try:
        named = json.dumps(
            add_names(json.loads(body), lang, fields), ensure_ascii=False, separators=(",", ":")
        ).encode()
    except ValueError:
        named = body
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(named)).encode()))
    headers.append((b"content-language", lang.encode()))
    headers.append((b"vary", b"Accept-Language"))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": named})
