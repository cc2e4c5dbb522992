"""The one path the gateway decides on and forwards.

Authorisation and routing look at a path; the upstream resolves a path. When those two can
differ — dot-segments that the upstream (or the HTTP client) collapses, an encoded slash that
is decoded after the check, a backslash some servers treat as a slash — a request authorised
for one path reaches another. So the gateway accepts only paths that have a single reading:
it refuses every spelling that a later hop could interpret differently, and forwards exactly
the path it authorised, re-encoded canonically.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from starlette.types import Scope

from services.gateway.errors import NonCanonicalPathError

# Percent-encoded `/` and `\`: decoding them after the check would change the segments.
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c)", re.IGNORECASE)
# Characters that stay literal when the canonical path is re-encoded (RFC 3986 pchar minus `%`).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def canonical_path(scope: Scope) -> str:
    """The decoded request path, refused (400) unless it reads the same at every hop.

    Refused: encoded slashes or backslashes, malformed or double percent-encoding, control
    characters, backslashes, empty segments (`//`), and segments made of dots or ending in a
    dot, trailing blanks aside (`.`, `..`, `...`, `name.`, `.. `), however they are spelled
    (`%2e%2e`, `%2E%2e`, …).
    """
    raw_bytes: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
    raw = raw_bytes.decode("latin-1").split("?", 1)[0]
    if _ENCODED_SEPARATOR.search(raw):
        raise NonCanonicalPathError("an encoded `/` or `\\`")
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise NonCanonicalPathError("percent-encoded bytes that are not UTF-8") from exc
    if "%" in path:
        raise NonCanonicalPathError("a `%` after decoding (double or malformed encoding)")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        raise NonCanonicalPathError("a control character")
    if "\\" in path:
        raise NonCanonicalPathError("a backslash")
    if not path.startswith("/"):
        raise NonCanonicalPathError("no leading `/`")
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        if segment == "" and index < len(segments) - 1:
            raise NonCanonicalPathError("an empty segment (`//`)")
        if segment.rstrip(" \t").endswith("."):
            raise NonCanonicalPathError("a dot-segment or a segment ending in a dot")
    return path


def encode_path(path: str) -> str:
    """The canonical percent-encoding of a decoded path: what the upstream receives."""
    return quote(path, safe=_PATH_SAFE)
