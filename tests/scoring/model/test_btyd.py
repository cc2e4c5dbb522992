"""BG/NBD and Gamma-Gamma against the published CDNOW numbers and the lifetimes package."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from services.scoring.model import btyd
from services.scoring.scores.clv import net_textbook_clv

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.datasets import (
        load_cdnow_summary,
        load_cdnow_summary_data_with_monetary_value,
    )

SAMPLE = [1, 2, 3, 18, 100, 1516]


@pytest.fixture(scope="module")
def summary() -> Any:
    return load_cdnow_summary(index_col=[0])


@pytest.fixture(scope="module")
def with_money() -> Any:
    return load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def ours(summary: Any) -> btyd.FitResult[btyd.BetaGeoParams]:
    return btyd.fit_bgnbd(summary.frequency, summary.recency, summary["T"])


@pytest.fixture(scope="module")
def theirs(summary: Any) -> Any:
    return BetaGeoFitter().fit(summary.frequency, summary.recency, summary["T"])


def _sig3(value: float) -> str:
    return f"{value:.3g}"


def test_bgnbd_reproduces_the_published_cdnow_parameters(
    ours: btyd.FitResult[btyd.BetaGeoParams],
) -> None:
    p = ours.params
    assert [round(v, 3) for v in (p.r, p.alpha, p.a, p.b)] == [0.243, 4.414, 0.793, 2.426]
    assert ours.log_likelihood == pytest.approx(-9582.4256, abs=1e-3)
    assert ours.converged and ours.n == 2357


def test_gamma_gamma_reproduces_the_published_cdnow_parameters(with_money: Any) -> None:
    repeaters = with_money[with_money.frequency > 0]
    fit = btyd.fit_gamma_gamma(repeaters.frequency, repeaters.monetary_value)
    p = fit.params
    assert [_sig3(p.p), _sig3(p.q), f"{p.v:.2f}"] == ["6.25", "3.74", "15.45"]
    assert p.v == pytest.approx(15.44, abs=0.01)
    assert fit.n == 946


def test_predictions_match_lifetimes_to_1e_6_on_a_sample(
    summary: Any, ours: btyd.FitResult[btyd.BetaGeoParams], theirs: Any
) -> None:
    rng = np.random.default_rng(7)
    ids = sorted(set(SAMPLE) | {int(i) for i in rng.choice(summary.index, 200, replace=False)})
    sub = summary.loc[ids]
    x, t_x, age = sub.frequency.to_numpy(), sub.recency.to_numpy(), sub["T"].to_numpy()
    expected = theirs.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, age)
    alive = theirs.conditional_probability_alive(x, t_x, age)

    assert np.max(np.abs(btyd.expected_purchases(ours.params, 39, x, t_x, age) - expected)) < 1e-6
    assert np.max(np.abs(btyd.probability_alive(ours.params, x, t_x, age) - alive)) < 1e-6


def test_closed_forms_equal_lifetimes_with_the_same_parameters(summary: Any, theirs: Any) -> None:
    params = btyd.BetaGeoParams(*theirs.params_[["r", "alpha", "a", "b"]].to_numpy())
    x, t_x, age = summary.frequency, summary.recency, summary["T"]
    for t in (1, 39, 78):
        np.testing.assert_allclose(
            btyd.expected_purchases(params, t, x, t_x, age),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, age),
            rtol=1e-10,
        )
    np.testing.assert_allclose(
        btyd.probability_alive(params, x, t_x, age),
        theirs.conditional_probability_alive(x, t_x, age),
        rtol=1e-12,
    )
    times = np.array([0.1429, 1, 3, 31.8571, 32, 78])
    np.testing.assert_allclose(
        btyd.expected_purchases_new_customer(params, times),
        theirs.expected_number_of_purchases_up_to_time(times),
        rtol=1e-10,
    )


def test_customer_one_and_the_population_totals(
    summary: Any, ours: btyd.FitResult[btyd.BetaGeoParams]
) -> None:
    x, t_x, age = summary.frequency, summary.recency, summary["T"]
    total = btyd.expected_purchases(ours.params, 39, x, t_x, age).sum()
    one = btyd.expected_purchases(ours.params, 39, 2, 30.43, 38.86)

    assert float(one) == pytest.approx(1.226, abs=1e-3)
    assert total == pytest.approx(1653.42, abs=0.05)


def test_probability_of_no_purchase_matches_the_reference_values(
    summary: Any, ours: btyd.FitResult[btyd.BetaGeoParams]
) -> None:
    sub = summary.loc[SAMPLE]
    got = btyd.probability_no_purchase(ours.params, 39, sub.frequency, sub.recency, sub["T"])
    np.testing.assert_allclose(got, [0.4454, 0.8832, 0.8557, 0.8290, 0.6419, 0.0311], atol=1e-4)
    paper = btyd.BetaGeoParams(0.243, 4.414, 0.793, 2.426)
    assert float(btyd.probability_no_purchase(paper, 39, 0, 0, 0)) == pytest.approx(
        0.5737864, abs=1e-6
    )


def test_log_likelihood_is_stable_at_hardies_reference_points() -> None:
    params = btyd.BetaGeoParams(r=0.25, alpha=4, a=0.8, b=2.5)
    ll = btyd.bgnbd_log_likelihood(params, [0, 200], [0, 38], [40, 40])
    np.testing.assert_allclose(ll, [-0.59947382, 100.7957], atol=1e-4)
    extreme = btyd.expected_purchases(
        params, 39, [0, 5000, 1000, 3], [0, 40, 40, 40], [0, 40, 40, 40]
    )
    assert np.all(np.isfinite(extreme))


def test_clv_matches_lifetimes_dcf_in_weeks(with_money: Any) -> None:
    data = with_money
    repeaters = data[data.frequency > 0]
    gg = btyd.fit_gamma_gamma(repeaters.frequency, repeaters.monetary_value).params
    bg = btyd.fit_bgnbd(data.frequency, data.recency, data["T"]).params
    spend = btyd.expected_spend(gg, data.frequency, data.monetary_value)
    flows = btyd.monthly_cash_flows(bg, spend, data.frequency, data.recency, data["T"], months=12)
    clv = btyd.discounted_clv(flows, 0.01)

    their_bg = BetaGeoFitter().fit(data.frequency, data.recency, data["T"])
    their_gg = GammaGammaFitter().fit(repeaters.frequency, repeaters.monetary_value)
    expected = their_gg.customer_lifetime_value(
        their_bg,
        data.frequency,
        data.recency,
        data["T"],
        data.monetary_value,
        time=12,
        discount_rate=0.01,
        freq="W",
    ).to_numpy()
    assert clv[0] == pytest.approx(36.2785, abs=1e-3)
    np.testing.assert_allclose(clv, expected, rtol=1e-4, atol=1e-3)
    # The textbook yearly form at a 0 % rate, with nothing to serve, is the undiscounted sum.
    no_cost = np.zeros(len(spend))
    np.testing.assert_allclose(
        net_textbook_clv(flows, spend, no_cost, 0.0), flows.sum(axis=1), atol=1e-9
    )
