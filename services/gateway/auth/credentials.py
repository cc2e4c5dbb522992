"""Credentials already verified, remembered for a short time, and the keys revoked since.

Checking a credential costs a signature verification (bearer tokens) or a database read and a
hash (API keys). A caller sends the same credential with every request, so the outcome is kept
for `ttl` seconds, never past the credential's own end (the token's `exp`, the key's expiry or
announced revocation). Revocation still stops a key at once: a hit is refused when the key is
on the revocation list, which the replica that revokes updates at once and every replica
refreshes from the database every `GATEWAY_KEY_REVOCATION_POLL_SECONDS` (one small read per
interval, not per request). Only successes are kept; a failure is checked afresh every time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.identity import Identity


@dataclass(frozen=True)
class Verified:
    """A credential's identity, until when it may be reused, and the API key it is, if any."""

    identity: Identity
    until: float  # on the cache's clock
    ends_at: dt.datetime | None  # the credential's own end: expiry, revocation, token `exp`
    key_id: uuid.UUID | None = None


class CredentialCache:
    """Verified credentials by the SHA-256 of the credential (the secret itself is not kept)."""

    def __init__(
        self, ttl: float, *, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._entries: dict[bytes, Verified] = {}
        self._revoked: dict[uuid.UUID, dt.datetime] = {}

    @staticmethod
    def _digest(presented: str) -> bytes:
        return hashlib.sha256(presented.encode()).digest()

    def get(self, presented: str, now: dt.datetime) -> Identity | None:
        """The identity remembered for `presented`, unless it has ended or was revoked."""
        if self.ttl <= 0:
            return None
        digest = self._digest(presented)
        found = self._entries.get(digest)
        if found is None:
            return None
        if self.clock() >= found.until or (found.ends_at is not None and found.ends_at <= now):
            del self._entries[digest]
            return None
        if found.key_id is not None and self._is_revoked(found.key_id, now):
            del self._entries[digest]
            return None
        return found.identity

    def put(
        self,
        presented: str,
        identity: Identity,
        *,
        ends_at: dt.datetime | None,
        key_id: uuid.UUID | None = None,
    ) -> None:
        """Remember a credential that was just verified (not one revoked meanwhile)."""
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.size:
            self._entries.clear()  # a flood of distinct credentials: start over, stay bounded
        revoked = self._revoked.get(key_id) if key_id is not None else None
        end = min((t for t in (ends_at, revoked) if t is not None), default=None)
        self._entries[self._digest(presented)] = Verified(
            identity, self.clock() + self.ttl, end, key_id
        )

    def revoked(self, key_id: uuid.UUID, at: dt.datetime) -> None:
        """`key_id` stops working at `at` (now, or the end of a rotation's grace)."""
        known = self._revoked.get(key_id)
        self._revoked[key_id] = at if known is None else min(known, at)

    def revocations(self, listed: Mapping[uuid.UUID, dt.datetime]) -> None:
        """Merge the revocation list read from the database (revocations are never undone)."""
        for key_id, at in listed.items():
            self.revoked(key_id, at)

    def _is_revoked(self, key_id: uuid.UUID, now: dt.datetime) -> bool:
        at = self._revoked.get(key_id)
        return at is not None and at <= now
