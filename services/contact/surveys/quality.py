"""Satisfaction as the textbook defines it: perceived quality Q1 against expected quality Q0.

Q1 < Q0 is unacceptable (不满意), Q1 = Q0 acceptable (满意), Q1 > Q0 delighted (愉悦/非常满意).
A low answer by itself is what `low_score` judges: CSAT at most 2 of 5, or an unacceptable Q1.
"""

from __future__ import annotations

from shared.contracts.contact import QualityClass

# CSAT at or below this (of 5) is a low score wherever one is judged.
LOW_CSAT = 2


def classify(expected: int, perceived: int) -> QualityClass:
    """Q1 (`perceived`) against Q0 (`expected`), on the same scale."""
    if perceived < expected:
        return "unacceptable"
    if perceived == expected:
        return "acceptable"
    return "delighted"


def low_score(
    csat: int | None, quality: QualityClass | None, *, csat_at_most: int = LOW_CSAT
) -> bool:
    """True for a CSAT of `csat_at_most` or less, or a perceived quality below expectation."""
    return (csat is not None and csat <= csat_at_most) or quality == "unacceptable"
