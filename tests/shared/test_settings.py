"""`.env.example` lists exactly the variables the services read, with their defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from services.complaints.settings import ComplaintsSettings
from services.contact.settings import ContactSettings
from services.gateway.settings import GatewaySettings
from services.scoring.settings import ScoringSettings
from shared.settings import env_value, env_var

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: list[type[BaseSettings]] = [
    ContactSettings,
    ComplaintsSettings,
    ScoringSettings,
    GatewaySettings,
]


def _example() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    expected = {env_var(cls, name) for cls in SETTINGS for name in cls.model_fields}

    assert set(_example()) == expected


def test_env_example_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test run sets the internal token secret for every service: read the bare defaults.
    monkeypatch.delenv("RAPPORT_INTERNAL_TOKEN_SECRET", raising=False)
    example = _example()
    for cls in SETTINGS:
        defaults = cls(_env_file=None)
        for name in cls.model_fields:
            key = env_var(cls, name)
            value = getattr(defaults, name)
            assert example[key] == env_value(value), key


def test_outbox_retention_must_cover_the_republish_window() -> None:
    # One day kept covers a one-day window; a window a second longer would need rows deleted.
    ContactSettings(_env_file=None, outbox_retention_days=1, relay_republish_window_seconds=86400)
    ContactSettings(_env_file=None, outbox_retention_days=0, relay_republish_window_seconds=10**7)
    with pytest.raises(ValueError, match="republish"):
        ContactSettings(
            _env_file=None, outbox_retention_days=1, relay_republish_window_seconds=86401
        )
