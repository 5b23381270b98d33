"""Buy-till-you-die models: BG/NBD for repeat purchases and Gamma-Gamma for order value.

This module's only job is the model; it knows nothing about orders, members or Django. Inputs are
plain arrays, one entry per customer, in whatever time unit the caller chooses (the refresh uses
weeks, as the papers do); every time argument and result is in that same unit.

- ``frequency`` (x): repeat purchases, i.e. purchases after the first (integers, 0 or more);
- ``recency`` (t_x): time from the first purchase to the last one (0 when x is 0);
- ``T``: time from the first purchase to the end of the observation period (t_x <= T);
- ``monetary_value``: the mean value of a customer's repeat purchases.

References
----------
- Fader, Hardie and Lee (2005a), "'Counting Your Customers' the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2). BG/NBD: likelihood eq. 6, E[X(t)] eq. 9,
  conditional expectation eq. 10, P(alive) from the note "Computing P(alive) Using the BG/NBD
  Model" (2008). CDNOW estimates: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
- Fader, Hardie and Lee (2005b), "RFM and CLV: Using Iso-Value Curves for Customer Base
  Analysis", Journal of Marketing Research 42(4), and Fader and Hardie (2013), "The Gamma-Gamma
  Model of Monetary Value". Gamma-Gamma: conditional expected order value eq. 5. CDNOW estimates:
  p = 6.25, q = 3.74, gamma = 15.44.

Fits are maximum likelihood with ``scipy.optimize`` over the logarithms of the parameters (so
they stay positive), with the likelihood in log space and an analytic gradient, on data rescaled
to a mean of 1 (results are returned in the caller's units). Identical
customers are aggregated into weights first, so a fit's cost grows with the number of distinct
histories rather than the number of customers.

Errors: :class:`ModelError` for input the model cannot take (empty, NaN, negative, recency after
``T``, no repeat buyers) and for a degenerate optimum: a non-finite likelihood, a parameter
driven to the edge of its range, or one the data leave unidentified (the likelihood nearly flat
along a ridge to 0 or infinity, as small samples often give: see ``_check_identified``). An
optimiser that stopped short of its tolerance on an otherwise sound fit is not an error: the
result says so in ``converged``, and the caller decides whether to use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, special

FloatArray = NDArray[np.float64]

# Parameters are optimised as logarithms inside these bounds. An optimum on a bound means the
# parameter ran off to 0 or infinity: the data cannot identify it, so the fit is degenerate.
# Times and money are rescaled to a mean of 1 first, so these bounds do not depend on the units.
_LOG_BOUND = float(np.log(1e6))
_BOUND_MARGIN = 1e-3
# A parameter whose logarithm has a standard error above this (the inverse of the observed
# information) is not identified by the data: the likelihood is nearly flat along a ridge to 0
# or infinity. On CDNOW samples of 20-2,357 customers identified fits stay below 4, ridge fits
# (a and b both in the thousands, or p in the hundreds of thousands) above 40.
_MAX_LOG_SE = 10.0
# The Nelder-Mead polish stops once the summed log-likelihood has gained less than _STALL_GAIN
# over _STALL_ITERATIONS iterations. On the ridge a BG/NBD likelihood has when the dropout
# probability hardly varies between customers (a and b -> infinity with a / (a + b) fixed) it
# otherwise ran all 4,000 iterations (23,000 evaluations, 20 s on 20,000 customers) to end
# where it stood after 250, and a gain that small is no evidence for any point on the ridge.
_STALL_GAIN = 1e-3
_STALL_ITERATIONS = 200
# The expected-purchases formula divides by (a - 1); closer to 1 than _A_NEAR_ONE it is
# interpolated between a = 1 -+ _A_STEP (the expectation is smooth in a; the formula is 0/0 at 1).
_A_NEAR_ONE = 1e-5
_A_STEP = 2e-5
# When both shapes of the dropout distribution Beta(a, b + x) are at least this large it is
# concentrated and near-normal in logit p, and expected purchases are a Gauss-Hermite sum there
# (see ``_purchases_if_alive_concentrated``); scipy's 2F1 returns NaN or loses accuracy for
# parameters in the thousands. With _HERMITE_NODES nodes the sum agrees with adaptive quadrature
# to 1e-13 relative from 20 up (1e-10 from 10, 6e-8 from 5), on r 0.01-10, x 0-300,
# t / (alpha + T) 1e-4-1e3 and the other shape up to 150 times larger.
_CONCENTRATED_SHAPE = 20.0
_HERMITE_NODES = 32


class ModelError(ValueError):
    """Input the model cannot take, or a fit that is degenerate (see the module docstring)."""


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters: purchase rates ~ Gamma(shape r, rate alpha); the probability of
    dropping out after each purchase ~ Beta(a, b). ``alpha`` is in the caller's time unit."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    log_likelihood: float  # summed over customers (weighted), as the paper reports it
    customers: int  # customers the fit used (sum of weights)
    converged: bool


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: order values ~ Gamma(shape p, rate nu) per customer, with
    nu ~ Gamma(shape q, rate gamma) across customers. Mean order value p * gamma / (q - 1)."""

    p: float
    q: float
    gamma: float


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    customers: int  # repeat buyers the fit used
    converged: bool


@dataclass(frozen=True)
class HoldoutGroup:
    """One group of the calibration/holdout check: customers with ``frequency`` repeat purchases
    in the calibration period ("0" … "6", or "7+"), their mean repeat purchases in the holdout
    period (``actual``) and the model's conditional expectation of it (``predicted``)."""

    frequency: str
    customers: int
    actual: float
    predicted: float


# --- input checks ---------------------------------------------------------------------------


def _array(name: str, values: ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ModelError(f"{name} must be one-dimensional, got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ModelError(f"{name} contains NaN or infinite values.")
    if np.any(array < 0):
        raise ModelError(f"{name} contains negative values.")
    return array


def _same_length(**arrays: FloatArray) -> int:
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ModelError(f"Arrays must have equal length, got {lengths}.")
    return next(iter(lengths.values()))


def _rfm(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = _array("frequency", frequency)
    t_x = _array("recency", recency)
    big_t = _array("T", T)
    _same_length(frequency=x, recency=t_x, T=big_t)
    if np.any(x != np.round(x)):
        raise ModelError("frequency must hold whole numbers of repeat purchases.")
    # Callers derive both from the same clock; the slack only forgives float rounding.
    if np.any(t_x > big_t * (1 + 1e-9) + 1e-12):
        raise ModelError("recency is greater than T for some customers (last purchase after the end).")
    if np.any((x == 0) & (t_x > 0)):
        raise ModelError("recency must be 0 for customers with no repeat purchases (frequency 0).")
    return x, np.minimum(t_x, big_t), big_t


def _check_bgnbd(params: BgNbdParams) -> None:
    values = (params.r, params.alpha, params.a, params.b)
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ModelError(f"BG/NBD parameters must be positive and finite, got {params}.")


def _check_gamma_gamma(params: GammaGammaParams) -> None:
    values = (params.p, params.q, params.gamma)
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ModelError(f"Gamma-Gamma parameters must be positive and finite, got {params}.")
    if params.q <= 1:
        raise ModelError(f"Gamma-Gamma q must exceed 1 for a finite mean order value, got {params.q}.")


def _aggregate(
    columns: tuple[FloatArray, ...], weights: FloatArray
) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """Collapse identical rows into one row with the summed weight (rows of zero weight go)."""
    if len(weights) == 0:
        return columns, weights
    # lexsort on the columns is several times faster than np.unique(axis=0) on float rows.
    order = np.lexsort(columns[::-1])
    ordered = [column[order] for column in columns]
    same = np.ones(len(order) - 1, dtype=bool)
    for column in ordered:
        same &= column[1:] == column[:-1]
    starts = np.concatenate(([True], ~same))
    # With weights, bincount sums floats (numpy's stubs type every bincount as integers).
    summed = cast(FloatArray, np.bincount(np.cumsum(starts) - 1, weights=weights[order]))
    keep = summed > 0
    return tuple(column[starts][keep] for column in ordered), summed[keep]


def _wsum(weights: FloatArray, values: FloatArray) -> float:
    """Weighted sum. Not np.dot: BLAS may spread a dot over threads, and at these sizes on a
    busy machine the hand-off costs more than the arithmetic."""
    return float(np.sum(weights * values))


def _weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    w = _array("weights", weights)
    if len(w) != n:
        raise ModelError(f"weights must have one entry per customer ({n}), got {len(w)}.")
    return w


# --- fitting --------------------------------------------------------------------------------


def _maximise(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    names: tuple[str, ...],
    model: str,
    total: float,
) -> tuple[FloatArray, float, bool]:
    """Minimise a mean negative log-likelihood over log-parameters, then check that the data
    identify the optimum. ``total`` is the number of customers the mean is over.

    A truncated Newton method (TNC, bounded) with the analytic gradient first; when it stops
    without meeting its tolerance, Nelder-Mead polishes from where it stopped. Returns
    log-parameters, the minimum and whether it converged. TNC rather than L-BFGS-B: both reach
    the same optimum on CDNOW, but L-BFGS-B's small LAPACK calls go through a threaded BLAS
    whose hand-offs made a fit ten times slower on a busy two-core machine.
    """
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    with np.errstate(all="ignore"):
        result: Any = optimize.minimize(
            objective,
            start,
            jac=True,
            method="TNC",
            bounds=bounds,
            options={"maxfun": 2000, "ftol": 1e-13, "gtol": 1e-9},
        )
        converged = bool(result.success)
        if not converged:
            result = optimize.minimize(
                lambda theta: objective(theta)[0],
                result.x,
                method="Nelder-Mead",
                bounds=bounds,
                options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-12},
                callback=_stall_detector(total),
            )
            converged = bool(result.success)
    theta = np.asarray(result.x, dtype=np.float64)
    value = float(result.fun)
    if not np.isfinite(value) or not np.all(np.isfinite(theta)):
        raise ModelError(f"The {model} likelihood is not finite at the optimum: the data are degenerate.")
    at_edge = [
        f"{name} -> {'infinity' if v > 0 else '0'}"
        for name, v in zip(names, theta, strict=True)
        if abs(v) >= _LOG_BOUND - _BOUND_MARGIN
    ]
    if at_edge:
        # Typical causes: too few repeat buyers; or no spread to estimate, e.g. Gamma-Gamma's
        # q -> infinity when customers' average order values vary no more than single orders do.
        raise ModelError(
            f"The {model} fit is degenerate ({', '.join(at_edge)}): the likelihood keeps rising "
            "towards a limit the model's parameters cannot reach, so the data cannot identify them."
        )
    _check_identified(objective, theta, names, model, total)
    return theta, value, converged


def _stall_detector(total: float) -> Callable[[Any], None]:
    """A Nelder-Mead callback that ends the search (scipy stops on StopIteration, reporting no
    success) when the last ``_STALL_ITERATIONS`` iterations raised the summed log-likelihood of
    ``total`` customers by less than ``_STALL_GAIN``."""
    history: list[float] = []

    def callback(intermediate_result: Any) -> None:
        history.append(float(intermediate_result.fun) * total)
        if len(history) > _STALL_ITERATIONS and history[-_STALL_ITERATIONS - 1] - history[-1] < _STALL_GAIN:
            raise StopIteration

    return callback


def _check_identified(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    theta: FloatArray,
    names: tuple[str, ...],
    model: str,
    total: float,
) -> None:
    """Raise ModelError unless the log-likelihood is curved enough at ``theta`` to pin down
    every parameter: the observed information (the Hessian of the negative log-likelihood,
    by central differences of the analytic gradient) must be positive definite, and each
    log-parameter's standard error at most ``_MAX_LOG_SE``."""
    step = 1e-4
    size = len(theta)
    hessian = np.empty((size, size))
    with np.errstate(all="ignore"):
        for i in range(size):
            shift = np.zeros(size)
            shift[i] = step
            hessian[:, i] = (objective(theta + shift)[1] - objective(theta - shift)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2 * total
    if not np.all(np.isfinite(hessian)) or np.linalg.eigvalsh(hessian).min() <= 0:
        raise ModelError(
            f"The {model} fit is degenerate: the likelihood is flat or not at a maximum there, "
            "so the data cannot identify the parameters (typically too few repeat buyers)."
        )
    errors = np.sqrt(np.diag(np.linalg.inv(hessian)))
    loose = [name for name, error in zip(names, errors, strict=True) if not error <= _MAX_LOG_SE]
    if loose:
        raise ModelError(
            f"The {model} fit is degenerate: the data cannot pin down {', '.join(loose)} "
            f"(standard error of the logarithm above {_MAX_LOG_SE:g}; the likelihood is nearly flat "
            "towards 0 or infinity), typically because there are too few repeat buyers."
        )


def _bgnbd_objective(
    x: FloatArray, t_x: FloatArray, big_t: FloatArray, w: FloatArray
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    total = float(w.sum())
    repeat = x > 0
    # Terms that depend on x alone are computed once per distinct x.
    x_values, x_index = np.unique(x, return_inverse=True)
    x_index = x_index.ravel()
    w_by_x = cast(FloatArray, np.bincount(x_index, weights=w, minlength=len(x_values)))  # floats: weighted
    b_x_minus_1 = np.where(repeat, x - 1, 0.0)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        # A1 + A2 (paper eq. 6): per distinct x.
        per_x = (
            special.gammaln(r + x_values)
            - special.gammaln(r)
            + special.gammaln(a + b)
            + special.gammaln(b + x_values)
            - special.gammaln(b)
            - special.gammaln(a + b + x_values)
        )
        ll = _wsum(w_by_x, per_x) + r * np.log(alpha) * total
        log_alpha_t = np.log(alpha + big_t)
        log_alpha_tx = np.log(alpha + t_x)
        # "still alive at T" and "dropped out after the last purchase" (x > 0 only).
        still = -(r + x) * log_alpha_t
        dropped = np.where(repeat, np.log(a) - np.log(b + b_x_minus_1) - (r + x) * log_alpha_tx, -np.inf)
        both = np.logaddexp(still, dropped)
        ll += _wsum(w, both)
        share = np.exp(dropped - both)  # weight of the "dropped" branch in the sum
        keep = 1.0 - share

        d_per_x_r = special.digamma(r + x_values) - special.digamma(r)
        d_per_x_a = special.digamma(a + b) - special.digamma(a + b + x_values)
        d_per_x_b = (
            special.digamma(a + b)
            + special.digamma(b + x_values)
            - special.digamma(b)
            - special.digamma(a + b + x_values)
        )
        d_r = _wsum(w_by_x, d_per_x_r) + np.log(alpha) * total
        d_r -= _wsum(w, keep * log_alpha_t + share * log_alpha_tx)
        d_alpha = r / alpha * total - float(
            _wsum(w, (r + x) * (keep / (alpha + big_t) + share / (alpha + t_x)))
        )
        d_a = _wsum(w_by_x, d_per_x_a) + _wsum(w, share) / a
        d_b = _wsum(w_by_x, d_per_x_b) - _wsum(w, share / (b + b_x_minus_1))
        # Chain rule to log-parameters; scaled to a per-customer mean for the tolerances.
        gradient = np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])
        if not np.isfinite(ll):
            return np.inf, np.zeros(4)
        return -ll / total, -gradient / total

    return objective


def bgnbd_fit(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, weights: ArrayLike | None = None
) -> BgNbdFit:
    """Fit the BG/NBD model by maximum likelihood.

    ``frequency``, ``recency`` and ``T`` are equal-length arrays, one entry per customer (or per
    group of identical customers, with ``weights`` giving how many). Identical histories are
    aggregated internally, so 100,000 customers fit in well under a second or two.

    Raises :class:`ModelError` for invalid input, when nobody made a repeat purchase (the
    dropout process cannot be estimated), or when the optimum is degenerate.
    """
    x, t_x, big_t = _rfm(frequency, recency, T)
    if len(x) == 0:
        raise ModelError("No customers to fit.")
    w = _weights(weights, len(x))
    (x, t_x, big_t), w = _aggregate((x, t_x, big_t), w)
    if len(w) == 0:
        raise ModelError("All weights are zero: no customers to fit.")
    if not np.any(x > 0):
        raise ModelError("No customer made a repeat purchase: the BG/NBD model cannot be fitted.")
    if not np.any(big_t > 0):
        raise ModelError("Every customer's T is 0: there is no observation time to fit.")

    # Fit in units of the mean T so that alpha's range does not depend on the caller's unit.
    # Only alpha carries the unit; the likelihood, a density in x purchase times, changes by
    # scale ** -x per customer.
    total = float(w.sum())
    scale = _wsum(w, big_t) / total
    # Start from r = 1 with alpha matching the observed repeat rate (sum x / sum T), and a
    # Beta(1, 3) dropout: a quarter of customers drop out after each purchase.
    r0 = 1.0
    alpha0 = r0 * _wsum(w, big_t / scale) / _wsum(w, x)
    start = np.clip(np.log(np.array([r0, alpha0, 1.0, 3.0])), -_LOG_BOUND / 2, _LOG_BOUND / 2)
    objective = _bgnbd_objective(x, t_x / scale, big_t / scale, w)
    theta, value, converged = _maximise(objective, start, ("r", "alpha", "a", "b"), "BG/NBD", total)
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    return BgNbdFit(
        params=BgNbdParams(r=r, alpha=alpha * scale, a=a, b=b),
        log_likelihood=-value * total - _wsum(w, x) * float(np.log(scale)),
        customers=round(total),
        converged=converged,
    )


def _gamma_gamma_objective(
    x: FloatArray, m: FloatArray, w: FloatArray
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    total = float(w.sum())
    log_m = np.log(m)
    log_x = np.log(x)
    # (p x - 1) log m + p x log x: the p-free part, -log m, is a constant of the data.
    constant = -_wsum(w, log_m)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(theta)
        px = p * x
        log_gamma_mx = np.log(gamma + m * x)
        per_customer = (
            special.gammaln(px + q) - special.gammaln(px) + px * (log_m + log_x) - (px + q) * log_gamma_mx
        )
        ll = _wsum(w, per_customer) + total * (q * np.log(gamma) - special.gammaln(q)) + constant
        psi_pxq = special.digamma(px + q)
        d_p = _wsum(w, x * (psi_pxq - special.digamma(px) + log_m + log_x - log_gamma_mx))
        d_q = _wsum(w, psi_pxq - log_gamma_mx) + total * (np.log(gamma) - special.digamma(q))
        d_gamma = total * q / gamma - _wsum(w, (px + q) / (gamma + m * x))
        gradient = np.array([p * d_p, q * d_q, gamma * d_gamma])
        if not np.isfinite(ll):
            return np.inf, np.zeros(3)
        return -ll / total, -gradient / total

    return objective


def gamma_gamma_fit(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaFit:
    """Fit the Gamma-Gamma model of order value by maximum likelihood.

    Only repeat buyers carry information (``monetary_value`` is the mean of their repeat
    purchases), so customers with frequency 0 are left out; ``customers`` in the result counts
    those used. Values must be positive for repeat buyers. The model assumes order value is
    independent of purchase frequency; check that correlation before trusting it.

    Raises :class:`ModelError` for invalid input, fewer than two repeat buyers, or a degenerate
    optimum, including q <= 1 (the population mean order value would be infinite).
    """
    x = _array("frequency", frequency)
    m = _array("monetary_value", monetary_value)
    _same_length(frequency=x, monetary_value=m)
    if np.any(x != np.round(x)):
        raise ModelError("frequency must hold whole numbers of repeat purchases.")
    repeat = x > 0
    x, m = x[repeat], m[repeat]
    if len(x) < 2:
        raise ModelError("The Gamma-Gamma model needs at least two repeat buyers (frequency > 0).")
    if np.any(m <= 0):
        raise ModelError("monetary_value must be positive for every repeat buyer.")
    if np.all(m == m[0]):
        raise ModelError("Every repeat buyer has the same order value: the spread cannot be estimated.")
    (x, m), w = _aggregate((x, m), np.ones(len(x)))

    # Fit in units of the mean value so that gamma's range does not depend on the currency;
    # the likelihood, a density in each customer's mean value, changes by 1 / scale each.
    total = float(w.sum())
    scale = _wsum(w, m) / total
    # Start at p = 1, q = 2 with gamma making the model's mean order value the observed one (1).
    p0, q0 = 1.0, 2.0
    start = np.log(np.array([p0, q0, (q0 - 1) / p0]))
    objective = _gamma_gamma_objective(x, m / scale, w)
    theta, value, converged = _maximise(objective, start, ("p", "q", "gamma"), "Gamma-Gamma", total)
    p, q, gamma = (float(v) for v in np.exp(theta))
    if q <= 1:
        raise ModelError(
            f"The Gamma-Gamma fit gives q = {q:.3f} <= 1: the mean order value would be infinite, "
            "so the data cannot support the model."
        )
    return GammaGammaFit(
        params=GammaGammaParams(p=p, q=q, gamma=gamma * scale),
        log_likelihood=-value * total - total * float(np.log(scale)),
        customers=round(total),
        converged=converged,
    )


# --- predictions ----------------------------------------------------------------------------


def bgnbd_p_alive(params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
    """P(the customer is still active at T | x, t_x, T).

    1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)); exactly 1
    for customers with no repeat purchase (the model lets customers drop out only right after a
    purchase, so one who never repurchased cannot have dropped out yet).
    """
    _check_bgnbd(params)
    x, t_x, big_t = _rfm(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    with np.errstate(divide="ignore", over="ignore"):
        log_odds = (
            np.log(a)
            - np.log(b + np.where(repeat, x - 1, 0.0))
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
    # 1 / (1 + exp(log_odds)), computed without overflow for long silences.
    alive = special.expit(-log_odds)
    return np.where(repeat, alive, 1.0)


def _purchases_if_alive_quad(r: float, a: float, b: float, x: float, w: float) -> float:
    """The same expectation as ``_purchases_if_alive`` by quadrature over the dropout
    probability p ~ Beta(a, b + x): E[(1 - (1 + p w) ** -(r + x)) / p]."""
    if w == 0:
        return 0.0
    k, bx = r + x, b + x
    log_beta = float(special.betaln(a, bx))

    def integrand(p: float) -> float:
        if p <= 0.0:
            return 0.0 if a > 1 else float("inf")
        density = np.exp((a - 2) * np.log(p) + (bx - 1) * np.log1p(-p) - log_beta)
        return float(density * -np.expm1(-k * np.log1p(p * w)))

    # Break the interval where the integrand changes shape: where p w reaches 1/k, and around
    # the bulk of the Beta(a, b + x) density (which is narrow when b + x is large).
    mean = a / (a + bx)
    spread = np.sqrt(a * bx / ((a + bx) ** 2 * (a + bx + 1)))
    candidates = (1 / (k * w), mean, mean - 5 * spread, mean + 5 * spread, mean + 20 * spread)
    points = sorted({float(q) for q in candidates if 0 < q < 1})
    with np.errstate(all="ignore"):
        value, _ = integrate.quad(integrand, 0.0, 1.0, points=points, limit=500, epsabs=0.0, epsrel=1e-10)
    if not np.isfinite(value):
        raise ModelError(
            f"Expected purchases could not be evaluated (r={r}, a={a}, b={b}, x={x}, t/(alpha+T)={w})."
        )
    return float(value)


def _purchases_if_alive_concentrated(
    r: float, a: float, b: float, x: FloatArray, w: FloatArray
) -> FloatArray:
    """The same expectation as ``_purchases_if_alive`` for a Beta(a, b + x) dropout with both
    shapes large, vectorised: E[(1 - (1 + p w) ** -(r + x)) / p] over p ~ Beta(a, b + x).

    In u = logit p the density is proportional to exp(h(u)), h(u) = a u - (a + b + x) log(1 + e^u),
    with its mode at u* = log(a / (b + x)) and curvature n = a (b + x) / (a + b + x) there. With
    u = u* + s sqrt(2 / n) the integral is a Gauss-Hermite sum over s whose weights are corrected
    by exp(h(u) - h(u*) + s^2), a factor that is smooth and near 1 when the Beta is concentrated.
    Dividing by the same sum without the integrand normalises it (no Beta function needed).

    Each distinct (x, w) is evaluated once: customers share a few thousand of them (whole
    numbers of purchases, T in whole days), and the sum costs _HERMITE_NODES evaluations each."""
    if len(x) == 0:
        return np.empty(0)
    # lexsort rather than np.unique(axis=0), which is several times slower on float rows.
    order = np.lexsort((w, x))
    x_sorted, w_sorted = x[order], w[order]
    starts = np.concatenate(([True], (x_sorted[1:] != x_sorted[:-1]) | (w_sorted[1:] != w_sorted[:-1])))
    group = np.empty(len(x), dtype=np.intp)
    group[order] = np.cumsum(starts) - 1
    x, w = x_sorted[starts], w_sorted[starts]
    nodes, node_weights = special.roots_hermite(_HERMITE_NODES)
    bx = b + x
    mode = np.log(a) - np.log(bx)
    u = mode[:, None] + np.sqrt(2 * (a + bx) / (a * bx))[:, None] * nodes
    soft = np.logaddexp(0.0, u)  # log(1 + e^u)
    correction = a * (u - mode[:, None]) - (a + bx)[:, None] * (soft - np.logaddexp(0.0, mode)[:, None])
    weights = node_weights * np.exp(correction + nodes**2)
    p = np.exp(u - soft)
    gain = -np.expm1(-(r + x)[:, None] * np.log1p(p * w[:, None])) / p
    expected: FloatArray = (np.sum(weights * gain, axis=1) / np.sum(weights, axis=1))[group]
    return expected


def _purchases_if_alive(params: BgNbdParams, w: FloatArray, x: FloatArray) -> FloatArray:
    """E[purchases in the next t | still alive after x repeat purchases], w = t / (alpha + T).

    Eq. 10 without its P(alive) factor: (a + b + x - 1) / (a - 1) * (1 - F) with
    F = ((alpha + T) / (alpha + T + t)) ** (r + x) * 2F1(r + x, b + x; a + b + x - 1; z) and
    z = t / (alpha + T + t). 2F1 is evaluated after Euler's transformation,
    F = (1 - z) ** (a - 1) * 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z): the upper parameters no
    longer grow with x, and the factor outside no longer cancels a 2F1 that diverges as z nears 1.

    Validity: checked against mpmath at 60 digits (where the original and transformed forms
    agree) on random parameters r 0.01-10, alpha 0.1-1000, a 0.05-20, b 0.05-100, x 0-500,
    T 0-500, t 0.1-100 (any unit): relative error below 1e-8, and below 1e-6 within 1e-5 of
    a = 1, where the value is interpolated. Far outside that range scipy's 2F1 can return NaN
    (e.g. t / (alpha + T) in the hundreds with b + x in the hundreds): every value that is not
    finite or breaks the bounds 0 <= E <= (r + x) t / (alpha + T) (and E <= (a + b + x - 1) /
    (a - 1) when a > 1) is recomputed by quadrature over p ~ Beta(a, b + x) of
    (1 - (1 + p t / (alpha + T)) ** -(r + x)) / p, and one that still fails raises
    :class:`ModelError`. No NaN or infinity reaches the caller.

    Where a and b + x are both at least ``_CONCENTRATED_SHAPE`` (fits on data whose dropout
    probability hardly varies give a and b in the thousands or more, where scipy's 2F1 returns
    NaN) the same expectation is a vectorised Gauss-Hermite sum in logit p instead: see
    ``_purchases_if_alive_concentrated``; per-customer quadrature there took 17 s for 20,000.
    """
    r, a, b = params.r, params.a, params.b
    if abs(a - 1) < _A_NEAR_ONE:
        # (a - 1) cancels between the factor and 1 - F; the expectation is smooth in a, so
        # interpolate linearly between a = 1 -+ _A_STEP rather than divide rounding error by a
        # tiny number (the interpolation error, of order _A_STEP ** 2, is far smaller).
        below = _purchases_if_alive(BgNbdParams(r=r, alpha=params.alpha, a=1 - _A_STEP, b=b), w, x)
        above = _purchases_if_alive(BgNbdParams(r=r, alpha=params.alpha, a=1 + _A_STEP, b=b), w, x)
        share = (a - (1 - _A_STEP)) / (2 * _A_STEP)
        return (1 - share) * below + share * above
    c = a + b + x - 1
    concentrated = (a >= _CONCENTRATED_SHAPE) & (b + x >= _CONCENTRATED_SHAPE)
    value = np.empty(len(w))
    if np.any(concentrated):
        value[concentrated] = _purchases_if_alive_concentrated(r, a, b, x[concentrated], w[concentrated])
    spread = ~concentrated
    with np.errstate(all="ignore"):
        ws, cs = w[spread], c[spread]
        outside = np.exp(-(a - 1) * np.log1p(ws))
        value[spread] = cs / (a - 1) * (1 - outside * special.hyp2f1(a + b - 1 - r, a - 1, cs, ws / (1 + ws)))
    # (1 - (1 + p w) ** -k) / p is at most k w, and at most 1 / p, whose mean is c / (a - 1).
    ceiling = (r + x) * w
    if a > 1:
        ceiling = np.minimum(ceiling, c / (a - 1))
    slack = 1e-9 * np.maximum(ceiling, 1e-12)
    bad = ~np.isfinite(value) | (value < -slack) | (value > ceiling + slack)
    if np.any(bad):
        pairs, inverse = np.unique(np.column_stack((x[bad], w[bad])), axis=0, return_inverse=True)
        redone = np.array([_purchases_if_alive_quad(r, a, b, px, pw) for px, pw in pairs])
        value[bad] = redone[inverse.ravel()]
    return np.clip(value, 0.0, ceiling)


def _duration(name: str, t: ArrayLike) -> FloatArray:
    array = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ModelError(f"{name} must be finite and not negative.")
    return array


def bgnbd_expected_purchases_new(params: BgNbdParams, t: ArrayLike) -> FloatArray | float:
    """E[X(t)]: expected repeat purchases in a period of length ``t`` for a customer just
    acquired (paper eq. 9; it is eq. 10 with x = t_x = T = 0). A float for a scalar ``t``."""
    _check_bgnbd(params)
    times = _duration("t", t)
    flat = times.ravel()
    value = _purchases_if_alive(params, flat / params.alpha, np.zeros_like(flat)).reshape(times.shape)
    return float(value) if np.ndim(t) == 0 else value


def bgnbd_expected_purchases(
    params: BgNbdParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` for each customer (paper eq. 10):
    P(alive | x, t_x, T) times the purchases expected if alive.

    ``t`` is a scalar or broadcasts against the customers. For how the Gaussian hypergeometric
    function is evaluated, and where that has been checked, see ``_purchases_if_alive``: large
    t/T do not blow up, and no non-finite value reaches the caller.
    """
    _check_bgnbd(params)
    x, t_x, big_t = _rfm(frequency, recency, T)
    times, x, t_x, big_t = np.broadcast_arrays(_duration("t", t), x, t_x, big_t)
    shape = times.shape
    x, t_x, big_t, times = (np.ravel(v) for v in (x, t_x, big_t, times))
    alive = bgnbd_p_alive(params, x, t_x, big_t)
    if_alive = _purchases_if_alive(params, times / (params.alpha + big_t), x)
    return (alive * if_alive).reshape(shape)


def gamma_gamma_expected_value(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """E[order value | x, mean value m_x] (Fader, Hardie and Lee 2005b, eq. 5):

        p (gamma + x m_x) / (p x + q - 1)

    a weighted mean of the population mean p gamma / (q - 1) and the customer's own mean, the
    latter weighing more the more repeat purchases they made. For frequency 0 it is the
    population mean (``monetary_value`` is then ignored).
    """
    _check_gamma_gamma(params)
    x = _array("frequency", frequency)
    m = _array("monetary_value", monetary_value)
    _same_length(frequency=x, monetary_value=m)
    p, q, gamma = params.p, params.q, params.gamma
    m = np.where(x > 0, m, 0.0)
    return p * (gamma + x * m) / (p * x + q - 1)


def clv_predict(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon: float,
) -> FloatArray:
    """Predicted customer value over the next ``horizon``: expected purchases (BG/NBD eq. 10)
    times expected order value (Gamma-Gamma eq. 5).

    Undiscounted: no discount rate or margin is applied, so it is expected revenue in the
    horizon, in the currency of ``monetary_value``.
    """
    purchases = bgnbd_expected_purchases(bgnbd, horizon, frequency, recency, T)
    value = gamma_gamma_expected_value(gamma_gamma, frequency, monetary_value)
    _same_length(purchases=purchases, value=value)
    return purchases * value


def holdout_check(
    params: BgNbdParams,
    *,
    frequency_cal: ArrayLike,
    recency_cal: ArrayLike,
    T_cal: ArrayLike,
    holdout_purchases: ArrayLike,
    duration: float,
    max_frequency: int = 7,
) -> list[HoldoutGroup]:
    """Calibration/holdout check, as in the BG/NBD paper's figure of conditional expectations.

    ``params`` were fitted on the calibration period; ``holdout_purchases`` are the purchases
    each customer actually made in the ``duration`` after it. Customers are grouped by their
    calibration frequency 0, 1, … ``max_frequency - 1`` and ``max_frequency``+; each group gets
    its size, the mean actual holdout purchases and the mean predicted by eq. 10. Groups with
    no customers are left out.
    """
    if max_frequency < 1:
        raise ModelError("max_frequency must be at least 1.")
    x, t_x, big_t = _rfm(frequency_cal, recency_cal, T_cal)
    actual = _array("holdout_purchases", holdout_purchases)
    _same_length(frequency_cal=x, holdout_purchases=actual)
    predicted = bgnbd_expected_purchases(params, _duration("duration", duration), x, t_x, big_t)
    groups: list[HoldoutGroup] = []
    for k in range(max_frequency + 1):
        members = x == k if k < max_frequency else x >= k
        count = int(members.sum())
        if count == 0:
            continue
        groups.append(
            HoldoutGroup(
                frequency=str(k) if k < max_frequency else f"{k}+",
                customers=count,
                actual=float(actual[members].mean()),
                predicted=float(predicted[members].mean()),
            )
        )
    return groups
