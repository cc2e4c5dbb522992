"""Complaints settings read from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.complaints.settings import ComplaintsSettings


def test_categories_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_CATEGORIES", " billing, 物流 ,other,")

    settings = ComplaintsSettings(_env_file=None)

    assert settings.categories == ["billing", "物流", "other"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMPLAINTS_CATEGORIES", ","),
        ("COMPLAINTS_DEFAULT_CALENDAR", "mars"),
        ("COMPLAINTS_SLA_WARNING_FRACTION", "1.5"),
        ("COMPLAINTS_SLA_SCAN_BATCH_SIZE", "0"),
    ],
)
def test_bad_values_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError):
        ComplaintsSettings(_env_file=None)
