"""Reading the services' documents and keeping the merged one for a while."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from services.gateway.openapi.merge import merge_documents

CACHE_SECONDS = 60.0


class OpenApiAggregator:
    """The public API document, re-read from the services at most once a minute."""

    def __init__(self, upstreams: dict[str, str], *, timeout: float = 3.0) -> None:
        self.upstreams = upstreams
        self.timeout = timeout
        self._document: dict[str, Any] | None = None
        self._built_at = 0.0
        self._lock = asyncio.Lock()

    async def document(self, client: httpx.AsyncClient, own: dict[str, Any]) -> dict[str, Any]:
        """The merged document; a service that cannot be read is named, not fatal."""
        async with self._lock:
            fresh = time.monotonic() - self._built_at < CACHE_SECONDS
            if self._document is not None and fresh:
                return self._document
            answers = await asyncio.gather(
                *(self._read(client, url) for url in self.upstreams.values())
            )
            docs = {n: d for n, d in zip(self.upstreams, answers, strict=True) if d is not None}
            missing = [n for n in self.upstreams if n not in docs]
            document = merge_documents(own, docs, missing=missing)
            if not missing:  # keep only a complete document
                self._document, self._built_at = document, time.monotonic()
            return document

    async def _read(self, client: httpx.AsyncClient, base_url: str) -> dict[str, Any] | None:
        try:
            response = await client.get(f"{base_url}/openapi.json", timeout=self.timeout)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        return body
