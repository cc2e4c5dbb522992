"""HTTP/1.1 requests written byte for byte, for paths an HTTP client would normalise."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.body)
        return parsed


async def raw_request(
    port: int, method: str, target: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> RawAnswer:
    """Send `target` exactly as given (no client-side normalisation) and read the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = dict(line.split(": ", 1) for line in header_lines if ": " in line)
    return RawAnswer(
        int(status_line.split()[1]), {k.lower(): v for k, v in parsed.items()}, payload
    )
