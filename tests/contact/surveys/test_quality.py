"""Q1 against Q0, and what counts as a low score."""

from __future__ import annotations

import pytest

from services.contact.surveys.quality import classify, low_score


@pytest.mark.parametrize(
    ("expected", "perceived", "verdict"),
    [
        (4, 3, "unacceptable"),
        (5, 1, "unacceptable"),
        (3, 3, "acceptable"),
        (1, 1, "acceptable"),
        (2, 3, "delighted"),
        (1, 5, "delighted"),
    ],
)
def test_perceived_against_expected_quality(expected: int, perceived: int, verdict: str) -> None:
    assert classify(expected, perceived) == verdict


def test_low_scores_are_a_csat_of_two_or_less_or_quality_below_expectation() -> None:
    assert [low_score(c, None) for c in (1, 2, 3, 4, 5)] == [True, True, False, False, False]
    assert low_score(None, "unacceptable") is True
    assert low_score(5, "unacceptable") is True
    assert low_score(None, "acceptable") is False
    assert low_score(None, None) is False
    assert low_score(3, None, csat_at_most=3) is True
