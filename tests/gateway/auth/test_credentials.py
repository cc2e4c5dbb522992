"""Verified credentials are reused for a while, never past their end or their revocation."""

from __future__ import annotations

import datetime as dt
import uuid

from services.gateway.auth.credentials import CredentialCache
from shared.identity import Identity

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
WHO = Identity(subject="key:x", kind="api-key", roles=["cti"], permissions=["webhooks:deliver"])


def test_a_credential_is_reused_until_the_ttl_and_never_past_its_end() -> None:
    clock = [0.0]
    cache = CredentialCache(30, clock=lambda: clock[0])
    cache.put("rpk_a_s", WHO, ends_at=NOW + dt.timedelta(seconds=10))
    cache.put("rpk_b_s", WHO, ends_at=None)

    assert cache.get("rpk_a_s", NOW) == WHO
    assert cache.get("rpk_a_s", NOW + dt.timedelta(seconds=10)) is None  # its own end
    assert cache.get("rpk_other", NOW) is None
    clock[0] = 30.0
    assert cache.get("rpk_b_s", NOW) is None  # the TTL


def test_a_revoked_key_is_refused_at_once_and_a_graced_one_until_its_grace_ends() -> None:
    cache = CredentialCache(30, clock=lambda: 0.0)
    revoked, graced = uuid.uuid4(), uuid.uuid4()
    cache.put("rpk_r_s", WHO, ends_at=None, key_id=revoked)
    cache.put("rpk_g_s", WHO, ends_at=None, key_id=graced)

    cache.revoked(revoked, NOW)
    cache.revocations({graced: NOW + dt.timedelta(hours=1)})  # read from the database

    assert cache.get("rpk_r_s", NOW) is None
    assert cache.get("rpk_g_s", NOW) == WHO
    assert cache.get("rpk_g_s", NOW + dt.timedelta(hours=1)) is None


def test_a_zero_ttl_remembers_nothing() -> None:
    cache = CredentialCache(0)
    cache.put("rpk_a_s", WHO, ends_at=None)
    assert cache.get("rpk_a_s", NOW) is None
