"""Plain builders of test data and app settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.contact.settings import ContactSettings
from services.scoring.settings import ScoringSettings


def call_event(**overrides: Any) -> dict[str, Any]:
    """A valid generic call event body."""
    body: dict[str, Any] = {
        "provider": "asterisk",
        "call_id": "1700000000.42",
        "sequence_number": 0,
        "status": "ringing",
        "from": "+1 415 555 0100",
        "to": "+1 415 555 0199",
        "timestamp": dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC).isoformat(),
    }
    body.update(overrides)
    return body


def contact_settings(database_url: str, broker: str, prefix: str, **extra: Any) -> ContactSettings:
    # Most tests read the outbox right after a delivery: provider calls and contacts publish at
    # once unless a test sets a settle window (tests/contact/calls/test_settling.py).
    extra.setdefault("call_settle_seconds", 0)
    return ContactSettings(
        database_url=database_url,
        migrate_on_start=False,
        kafka_bootstrap_servers=broker,
        kafka_topic_prefix=prefix,
        kafka_topic_partitions=1,
        relay_poll_interval_seconds=0.1,
        log_json=True,
        **extra,
    )


def scoring_settings(database_url: str, broker: str, prefix: str, **extra: Any) -> ScoringSettings:
    return ScoringSettings(
        database_url=database_url,
        migrate_on_start=False,
        kafka_bootstrap_servers=broker,
        kafka_topic_prefix=prefix,
        kafka_topic_partitions=1,
        relay_poll_interval_seconds=0.1,
        consumer_max_attempts=2,
        kafka_session_timeout_ms=2000,
        **extra,
    )
