"""The signed identity statements the gateway puts on upstream requests, minted once and reused.

A token lives a minute (`shared.identity.TOKEN_LIFETIME`); signing one for every request is
wasted work when the same caller sends many. A token is reused for `REUSE` at most, so what an
upstream receives is always valid for at least the rest of its minute minus that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from shared.identity import IDENTITY_HEADER, Identity, mint_identity_token

REUSE = dt.timedelta(seconds=20)
_SIZE = 10_000

_Key = tuple[str, str, str | None, tuple[str, ...], tuple[str, ...], str | None, str]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class IdentityTokens:
    """Identity tokens per caller and upstream, signed with the internal secret."""

    def __init__(self, secret: str, *, clock: Callable[[], dt.datetime] = _now) -> None:
        self.secret = secret
        self.clock = clock
        self._minted: dict[_Key, tuple[dt.datetime, str]] = {}

    def header(self, identity: Identity, upstream: str) -> tuple[str, str]:
        """The identity header for a request of `identity` to `upstream`."""
        key: _Key = (
            identity.subject,
            identity.kind,
            identity.name,
            tuple(identity.roles),
            tuple(identity.permissions),
            identity.agent_id,
            upstream,
        )
        now = self.clock()
        found = self._minted.get(key)
        if found is not None and now - found[0] < REUSE:
            return IDENTITY_HEADER, found[1]
        if len(self._minted) >= _SIZE:
            self._minted.clear()
        token = mint_identity_token(identity, secret=self.secret, audience=upstream, now=now)
        self._minted[key] = (now, token)
        return IDENTITY_HEADER, token
