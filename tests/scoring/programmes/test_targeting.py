"""Whom a programme reaches: the target's criteria and the seeded random split."""

from __future__ import annotations

import random
from decimal import Decimal

from scipy.stats import chi2_contingency

from services.scoring.programmes.targeting import (
    Candidate,
    Target,
    describe,
    draw,
    matches,
    target_of,
)

KEY_AT_RISK = Target(tiers=frozenset({"gold", "silver"}), min_churn_risk=0.6)


def _customer(n: int, tier: str | None, risk: float | None, stage: str | None = None) -> Candidate:
    return Candidate(f"{n:08d}-0000-0000-0000-000000000000", tier, risk, stage, Decimal(n))


def _population(n: int, seed: int = 5) -> list[Candidate]:
    rng = random.Random(seed)
    tiers = ("gold", "silver", "bronze", "iron")
    return [_customer(i, rng.choice(tiers), rng.random()) for i in range(n)]


def test_a_target_matches_by_tier_churn_risk_and_stage() -> None:
    assert matches(KEY_AT_RISK, _customer(1, "gold", 0.6))
    assert matches(KEY_AT_RISK, _customer(2, "silver", 0.93))
    assert not matches(KEY_AT_RISK, _customer(3, "bronze", 0.9))
    assert not matches(KEY_AT_RISK, _customer(4, "gold", 0.59))
    assert not matches(KEY_AT_RISK, _customer(5, "gold", None))
    assert not matches(KEY_AT_RISK, _customer(6, None, 0.9))
    declining = Target(lifecycle_stages=frozenset({"decline"}), max_churn_risk=0.8)
    assert matches(declining, _customer(7, "iron", 0.8, "decline"))
    assert not matches(declining, _customer(8, "iron", 0.81, "decline"))
    assert not matches(declining, _customer(9, "iron", 0.5, "stability"))
    assert matches(Target(), _customer(10, None, None))


def test_the_draw_holds_out_the_control_share_of_exactly_the_matching_customers() -> None:
    everyone = _population(2000)
    found = draw(KEY_AT_RISK, everyone, control_share=0.3, seed=11)
    wanted = {
        c.customer_id
        for c in everyone
        if c.tier in ("gold", "silver") and c.churn_risk is not None and c.churn_risk >= 0.6
    }
    treated = {c.customer_id for c in found.treated}
    control = {c.customer_id for c in found.control}
    assert treated | control == wanted
    assert not treated & control
    assert len(control) == round(len(wanted) * 0.3)
    assert found.seed == 11


def test_the_same_seed_draws_the_same_groups_and_another_seed_other_groups() -> None:
    everyone = _population(600)
    first = draw(Target(), everyone, control_share=0.5, seed=1)
    again = draw(Target(), list(reversed(everyone)), control_share=0.5, seed=1)
    other = draw(Target(), everyone, control_share=0.5, seed=2)
    assert first == again
    overlap = {c.customer_id for c in first.control} & {c.customer_id for c in other.control}
    # Two independent halves of 600 share about 150 customers (sd ≈ 6): far from all 300.
    assert 100 < len(overlap) < 200


def test_the_control_group_is_balanced_over_tiers_and_customer_ids() -> None:
    everyone = _population(2000, seed=9)
    found = draw(Target(), everyone, control_share=0.5, seed=21)
    control = {c.customer_id for c in found.control}
    tiers = ("gold", "silver", "bronze", "iron")
    table = [
        [
            sum(1 for c in everyone if c.tier == t and (c.customer_id in control) == side)
            for t in tiers
        ]
        for side in (True, False)
    ]
    assert chi2_contingency(table).pvalue > 0.01
    # Not a slice by id: the lower half of the ids holds about half the controls
    # (hypergeometric, sd ≈ 11).
    low_ids = {c.customer_id for c in everyone[:1000]}
    assert abs(len(control & low_ids) - 500) < 45


def test_past_max_members_a_random_sample_of_that_size_is_drawn() -> None:
    everyone = _population(500)
    capped = Target(tiers=frozenset({"gold"}), max_members=40)
    found = draw(capped, everyone, control_share=0.25, seed=4)
    drawn = found.treated + found.control
    assert len(drawn) == 40
    assert all(c.tier == "gold" for c in drawn)
    assert len(found.control) == 10


def test_a_target_is_stored_and_read_back_unchanged() -> None:
    target = Target(
        tiers=frozenset({"silver", "gold"}),
        lifecycle_stages=frozenset({"decline"}),
        min_churn_risk=0.6,
        max_members=100,
    )
    stored = describe(target)
    assert stored == {
        "tiers": ["gold", "silver"],
        "lifecycle_stages": ["decline"],
        "min_churn_risk": 0.6,
        "max_members": 100,
    }
    assert target_of(stored) == target
    assert target_of({}) == Target()
