"""BG/NBD and Gamma-Gamma models: maximum-likelihood fits and closed-form predictions.

Fader, Hardie & Lee (2005) "Counting Your Customers the Easy Way"; Hardie's notes 021 (P(alive)),
025 (Gamma-Gamma), 027 (numerically stable log-likelihood) and 039 (P(no purchase)). Every
function is vectorised over customers; time is in whatever unit the inputs use (weeks here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

Array = NDArray[np.float64]
P = TypeVar("P")

# Weeks per month, as the textbook DCF loop (and lifetimes' freq="W") uses them.
WEEKS_PER_MONTH = 4.345


class FitError(ValueError):
    """The data cannot support a fit (too few customers or no repeat buyers)."""


@dataclass(frozen=True)
class BetaGeoParams:
    """BG/NBD population parameters: purchase rate Gamma(r, alpha), dropout Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma spend parameters: spend per transaction Gamma(p, nu), nu ~ Gamma(q, v)."""

    p: float
    q: float
    v: float


@dataclass(frozen=True)
class FitResult(Generic[P]):
    """Fitted parameters and how the fit went."""

    params: P
    log_likelihood: float
    n: int
    distinct_rows: int
    iterations: int
    converged: bool
    seconds: float


def _f(values: ArrayLike) -> Array:
    return np.asarray(values, dtype=np.float64)


def compress(*columns: ArrayLike) -> tuple[list[Array], Array]:
    """Unique rows of the given columns and how many customers share each (the weights)."""
    stacked = np.column_stack([_f(c) for c in columns])
    if stacked.shape[0] == 0:
        return [np.empty(0) for _ in columns], np.empty(0)
    # lexsort and a diff are several times faster than np.unique(axis=0) on millions of rows.
    ordered = stacked[np.lexsort(stacked.T[::-1])]
    change = np.any(np.diff(ordered, axis=0) != 0, axis=1)
    starts = np.concatenate(([0], np.flatnonzero(change) + 1))
    counts = np.diff(np.append(starts, ordered.shape[0])).astype(np.float64)
    unique = ordered[starts]
    return [unique[:, i] for i in range(unique.shape[1])], counts


def bgnbd_log_likelihood(
    params: BetaGeoParams, x: ArrayLike, t_x: ArrayLike, age: ArrayLike
) -> Array:
    """Per-customer BG/NBD log-likelihood, in log space throughout (Hardie note 027)."""
    xa, ta, age_a = _f(x), _f(t_x), _f(age)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a1 = gammaln(r + xa) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + xa) - betaln(a, b)
    a3 = -(r + xa) * np.log(alpha + age_a)
    # The second term exists only for repeat buyers; -inf makes logaddexp ignore it otherwise.
    with np.errstate(divide="ignore"):
        a4 = np.where(
            xa > 0,
            np.log(a) - np.log(b + np.maximum(xa, 1) - 1) - (r + xa) * np.log(alpha + ta),
            -np.inf,
        )
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=np.float64)


@dataclass(frozen=True)
class _BgData:
    """Compressed BG/NBD data with what the objective needs of it precomputed once.

    Every term that depends on the parameters and on x alone (log-gammas, digammas) is
    evaluated over the few distinct values of x, then weighted by how many customers have
    each: the per-row work left is a couple of logs and exps.
    """

    x: Array
    t_x: Array
    age: Array
    w: Array
    total: float
    xs: Array  # distinct x values
    inv: NDArray[np.intp]  # index of each row's x in xs
    wx: Array  # total weight per distinct x
    repeat: NDArray[np.bool_]  # x > 0
    w_rx_base: Array  # w * x, to add w * r to

    @classmethod
    def of(cls, x: Array, t_x: Array, age: Array, w: Array) -> _BgData:
        xs, inv = np.unique(x, return_inverse=True)
        wx = np.bincount(inv, weights=w, minlength=xs.size).astype(np.float64)
        return cls(x, t_x, age, w, float(w.sum()), xs, inv, wx, x > 0, w * x)


def _bgnbd_objective(log_params: Array, d: _BgData) -> tuple[float, Array]:
    """Mean negative log-likelihood and its analytic gradient with respect to the log-params."""
    r, alpha, a, b = np.exp(log_params)
    xs = d.xs
    bx1 = b + np.maximum(xs, 1) - 1
    # A1 + A2 of note 027 per distinct x, and the dropout term's constant part.
    head = gammaln(r + xs) - gammaln(r) + r * np.log(alpha) + betaln(a, b + xs) - betaln(a, b)
    log_age = np.log(alpha + d.age)
    log_tx = np.log(alpha + d.t_x)
    rx = r + d.x
    a3 = -rx * log_age
    with np.errstate(divide="ignore"):
        a4 = np.where(d.repeat, (np.log(a) - np.log(bx1))[d.inv] - rx * log_tx, -np.inf)
    tail = np.logaddexp(a3, a4)
    value = -(float(np.dot(d.wx, head)) + float(np.dot(d.w, tail))) / d.total
    if not np.isfinite(value):
        return 1e300, np.zeros(4)
    # Shares of the two terms inside logaddexp(A3, A4); the second is zero for one-time buyers.
    s3 = np.exp(a3 - tail)
    s4 = np.where(d.repeat, 1.0 - s3, 0.0)
    ws3, ws4 = d.w * s3, d.w * s4
    w_rx = d.w_rx_base + r * d.w
    d_r = float(np.dot(d.wx, digamma(r + xs) - digamma(r) + np.log(alpha)))
    d_r -= float(np.dot(ws3, log_age)) + float(np.dot(ws4, log_tx))
    d_alpha = r / alpha * d.total
    d_alpha -= float(np.dot(w_rx, s3 / (alpha + d.age) + s4 / (alpha + d.t_x)))
    d_a = float(np.dot(d.wx, digamma(a + b) - digamma(a + b + xs))) + float(ws4.sum()) / a
    d_b = float(np.dot(d.wx, digamma(b + xs) - digamma(a + b + xs) - digamma(b) + digamma(a + b)))
    d_b -= float(np.dot(ws4, 1.0 / bx1[d.inv]))
    grads = np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])
    return value, -grads / d.total


def fit_bgnbd(
    x: ArrayLike, t_x: ArrayLike, age: ArrayLike, *, weights: ArrayLike | None = None
) -> FitResult[BetaGeoParams]:
    """Maximum-likelihood BG/NBD fit on identical-history-compressed data."""
    started = time.perf_counter()
    xa, ta, age_a = _f(x), _f(t_x), _f(age)
    if xa.size == 0 or not np.any(xa > 0):
        raise FitError("a BG/NBD fit needs customers with repeat purchases")
    if weights is None:
        (xu, tu, age_u), w = compress(xa, ta, age_a)
    else:
        xu, tu, age_u, w = xa, ta, age_a, _f(weights)
    # Scale time so max T = 10: the optimiser then sees parameters of similar size.
    scale = 10.0 / float(np.max(age_u)) if float(np.max(age_u)) > 0 else 1.0
    # Imported here: the optimiser is needed only by refits, and costs ~25 MiB resident.
    from scipy.optimize import minimize

    result = minimize(
        _bgnbd_objective,
        x0=np.zeros(4),
        args=(_BgData.of(xu, tu * scale, age_u * scale, w),),
        method="L-BFGS-B",
        jac=True,
        bounds=[(-20.0, 20.0)] * 4,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000},
    )
    r, alpha, a, b = np.exp(result.x)
    params = BetaGeoParams(float(r), float(alpha / scale), float(a), float(b))
    ll = float(np.dot(w, bgnbd_log_likelihood(params, xu, tu, age_u)))
    return _fit_result(params, ll, w, result, started)


def _fit_result(
    params: P, log_likelihood: float, weights: Array, result: Any, started: float
) -> FitResult[P]:
    """How a fit went: `weights` counts the customers behind each distinct history."""
    return FitResult(
        params=params,
        log_likelihood=log_likelihood,
        n=int(float(weights.sum())),
        distinct_rows=int(weights.size),
        iterations=int(result.nit),
        converged=_converged(result),
        seconds=time.perf_counter() - started,
    )


def _converged(result: Any) -> bool:
    """Success, or a stop at machine precision with the gradient already flat."""
    return bool(result.success or np.max(np.abs(result.jac)) < 1e-4)


def _log_hyp2f1(a: Array, b: Array, c: Array, z: Array) -> Array:
    """log ₂F₁ with Euler's transformation where the direct series overflows."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        direct = np.log(hyp2f1(a, b, c, z))
        alt = np.log(hyp2f1(c - a, c - b, c, z)) + (c - a - b) * np.log1p(-z)
    return np.asarray(np.where(np.isfinite(direct), direct, alt), dtype=np.float64)


def expected_purchases(
    params: BetaGeoParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, age: ArrayLike
) -> Array:
    """E[X(T, T+t] | x, t_x, T]: expected repeat purchases in the next `t` (FHL 2005 eq. 10)."""
    ta, xa, txa, age_a = _f(t), _f(x), _f(t_x), _f(age)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = ta / (alpha + age_a + ta)
    ln_hyp = _log_hyp2f1(r + xa, b + xa, a + b + xa - 1, z)
    first = (a + b + xa - 1) / (a - 1)
    second = 1 - np.exp(ln_hyp + (r + xa) * np.log((alpha + age_a) / (alpha + ta + age_a)))
    denominator = 1 + (xa > 0) * (a / (b + np.maximum(xa, 1) - 1)) * np.exp(
        (r + xa) * np.log((alpha + age_a) / (alpha + txa))
    )
    return np.asarray(first * second / denominator, dtype=np.float64)


def expected_purchases_new_customer(params: BetaGeoParams, t: ArrayLike) -> Array:
    """E[X(t)] for a customer just acquired (FHL 2005 eq. 9)."""
    ta = _f(t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyp = hyp2f1(r, b, a + b - 1, ta / (alpha + ta))
    return np.asarray((a + b - 1) / (a - 1) * (1 - hyp * (alpha / (alpha + ta)) ** r))


def probability_alive(params: BetaGeoParams, x: ArrayLike, t_x: ArrayLike, age: ArrayLike) -> Array:
    """P(alive | x, t_x, T) (Hardie note 021); 1 for every one-time buyer by construction."""
    xa, txa, age_a = _f(x), _f(t_x), _f(age)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_div = (r + xa) * np.log((alpha + age_a) / (alpha + txa)) + np.log(
        a / (b + np.maximum(xa, 1) - 1)
    )
    return np.asarray(np.where(xa == 0, 1.0, expit(-log_div)), dtype=np.float64)


def probability_no_purchase(
    params: BetaGeoParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, age: ArrayLike
) -> Array:
    """P(no purchase in (T, T+t] | x, t_x, T) (Hardie note 039 eq. 34, with the δ(x>0) term)."""
    ta, xa, txa, age_a = _f(t), _f(x), _f(t_x), _f(age)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    rx = r + xa
    log_rep = betaln(a, b + xa)
    log_dead = betaln(a + 1, b + np.maximum(xa, 1) - 1) - rx * np.log(alpha + txa)
    log_num_alive = log_rep - rx * np.log(alpha + age_a + ta)
    log_den_alive = log_rep - rx * np.log(alpha + age_a)
    repeat = np.exp(np.logaddexp(log_num_alive, log_dead) - np.logaddexp(log_den_alive, log_dead))
    one_time = np.exp(r * (np.log(alpha + age_a) - np.log(alpha + age_a + ta)))
    return np.asarray(np.where(xa > 0, repeat, one_time), dtype=np.float64)


def gamma_gamma_log_likelihood(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> Array:
    """Per-customer Gamma-Gamma log-likelihood of the mean repeat spend `m` over `x` purchases."""
    xa, ma = _f(x), _f(m)
    p, q, v = params.p, params.q, params.v
    px = p * xa
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(ma)
        + px * np.log(xa)
        - (px + q) * np.log(xa * ma + v),
        dtype=np.float64,
    )


def _gg_objective(
    log_params: Array, x: Array, m: Array, w: Array, total: float
) -> tuple[float, Array]:
    """Mean negative log-likelihood and its analytic gradient with respect to the log-params."""
    p, q, v = np.exp(log_params)
    value = -float(np.dot(w, gamma_gamma_log_likelihood(GammaGammaParams(p, q, v), x, m))) / total
    if not np.isfinite(value):
        return 1e300, np.zeros(3)
    px = p * x
    log_xmv = np.log(x * m + v)
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - log_xmv)
    d_q = digamma(px + q) - digamma(q) + np.log(v) - log_xmv
    d_v = q / v - (px + q) / (x * m + v)
    grads = (np.array([d_p, d_q, d_v]) @ w) * np.array([p, q, v])
    return value, -grads / total


def fit_gamma_gamma(
    x: ArrayLike, m: ArrayLike, *, weights: ArrayLike | None = None
) -> FitResult[GammaGammaParams]:
    """Maximum-likelihood Gamma-Gamma fit on repeat buyers with positive mean repeat spend."""
    started = time.perf_counter()
    xa, ma = _f(x), _f(m)
    keep = (xa > 0) & (ma > 0)
    if weights is None:
        (xu, mu), w = compress(xa[keep], ma[keep])
    else:
        xu, mu, w = xa[keep], ma[keep], _f(weights)[keep]
    if xu.size < 2:
        raise FitError("a Gamma-Gamma fit needs repeat buyers with positive spend")
    # Scale money so its mean is about 1, then put the scale back into v.
    scale = 1.0 / float(np.average(mu, weights=w))
    total = float(w.sum())
    from scipy.optimize import minimize

    result = minimize(
        _gg_objective,
        x0=np.zeros(3),
        args=(xu, mu * scale, w, total),
        method="L-BFGS-B",
        jac=True,
        bounds=[(-20.0, 20.0)] * 3,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000},
    )
    p, q, v = np.exp(result.x)
    params = GammaGammaParams(float(p), float(q), float(v / scale))
    ll = float(np.dot(w, gamma_gamma_log_likelihood(params, xu, mu)))
    return _fit_result(params, ll, w, result, started)


def expected_spend(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> Array:
    """E[spend per transaction | x, m̄]: the population mean shrunk towards the customer's own."""
    xa, ma = _f(x), _f(m)
    p, q, v = params.p, params.q, params.v
    weight = p * xa / (p * xa + q - 1)
    population = p * v / (q - 1)
    return np.asarray((1 - weight) * population + weight * ma, dtype=np.float64)


def monthly_cash_flows(
    bg: BetaGeoParams,
    spend: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    age: ArrayLike,
    *,
    months: int,
    weeks_per_month: float = WEEKS_PER_MONTH,
) -> Array:
    """Expected spend per future month, shape (customers, months); time unit weeks."""
    xa, txa, age_a, sa = _f(x), _f(t_x), _f(age), _f(spend)
    steps = np.arange(months + 1, dtype=np.float64) * weeks_per_month
    columns = [expected_purchases(bg, s, xa, txa, age_a) for s in steps]
    cumulative = np.stack(columns, axis=-1).reshape(-1, months + 1)
    return np.asarray(np.diff(cumulative, axis=-1) * sa.reshape(-1, 1), dtype=np.float64)


def discounted_clv(cash_flows: Array, monthly_rate: float) -> Array:
    """Σ_i R_i/(1+d)^i over the monthly cash flows (lifetimes' DCF loop)."""
    months = cash_flows.shape[-1]
    factors = (1 + monthly_rate) ** -np.arange(1, months + 1, dtype=np.float64)
    return np.asarray(cash_flows @ factors, dtype=np.float64)
