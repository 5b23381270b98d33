"""The buy-till-you-die models (membership/insight/clv.py): validated against the CDNOW figures
the papers publish, against hand calculations, and by properties that must hold for any
parameters. The data and the published figures are described in tests/fixtures/cdnow/README.md.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize

from membership.insight import clv

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "cdnow"
PAPER_BGNBD = clv.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _columns(name: str) -> dict[str, np.ndarray]:
    with (FIXTURES / name).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(row[key]) for row in rows]) for key in rows[0]}


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    summary = _columns("cdnow_customers_summary.csv")
    holdout = _columns("cdnow_holdout.csv")
    assert np.array_equal(summary["ID"], holdout["ID"])
    return {**summary, "x_star": holdout["x_star"]}


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: dict[str, np.ndarray]) -> clv.BgNbdFit:
    return clv.bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


def _within(value: float, expected: float, share: float) -> bool:
    return abs(value - expected) <= share * abs(expected)


# --- CDNOW: the published figures ------------------------------------------------------------


def test_cdnow_fixture_is_the_papers_sample(cdnow: dict[str, np.ndarray]) -> None:
    assert len(cdnow["x"]) == 2357
    assert int((cdnow["x"] > 0).sum()) == 946
    assert int(cdnow["x"].sum()) == 2457
    assert int(cdnow["x_star"].sum()) == 1882


def test_bgnbd_fit_matches_the_paper(cdnow_fit: clv.BgNbdFit) -> None:
    params = cdnow_fit.params
    assert cdnow_fit.converged
    assert cdnow_fit.customers == 2357
    assert _within(params.r, 0.243, 0.02)
    assert _within(params.alpha, 4.414, 0.02)
    assert _within(params.a, 0.793, 0.02)
    assert _within(params.b, 2.426, 0.02)
    # The paper reports the maximised log-likelihood to one decimal.
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_fit_matches_the_paper(cdnow: dict[str, np.ndarray]) -> None:
    fit = clv.gamma_gamma_fit(cdnow["x"], cdnow["zbar"])
    assert fit.converged
    assert fit.customers == 946  # customers with no repeat purchase are left out
    assert _within(fit.params.p, 6.25, 0.02)
    assert _within(fit.params.q, 3.74, 0.02)
    assert _within(fit.params.gamma, 15.44, 0.02)


def test_gamma_gamma_log_likelihood_agrees_with_the_mixture_integral(cdnow: dict[str, np.ndarray]) -> None:
    """The closed-form likelihood the fit maximises, against the model's definition: the mean
    of x order values ~ Gamma(shape p x, rate nu x), nu ~ Gamma(shape q, rate gamma), integrated
    over nu numerically for each repeat buyer."""
    fit = clv.gamma_gamma_fit(cdnow["x"], cdnow["zbar"])
    p, q, gamma = fit.params.p, fit.params.q, fit.params.gamma
    repeat = cdnow["x"] > 0
    total = 0.0
    for x, m in zip(cdnow["x"][repeat], cdnow["zbar"][repeat], strict=True):

        def joint(nu: float, x: float = x, m: float = m) -> float:
            if nu <= 0:
                return 0.0
            # Gamma(m; shape p x, rate nu x) * Gamma(nu; shape q, rate gamma), written out.
            mean_density = (
                p * x * math.log(nu * x) + (p * x - 1) * math.log(m) - nu * x * m - math.lgamma(p * x)
            )
            nu_density = q * math.log(gamma) + (q - 1) * math.log(nu) - gamma * nu - math.lgamma(q)
            return math.exp(mean_density + nu_density)

        # The integrand is a Gamma(p x + q, gamma + x m) density up to a constant: integrate
        # over its bulk, split at its mode, so quad cannot step over a narrow peak.
        shape, rate = p * x + q, gamma + x * m
        mode, spread = (shape - 1) / rate, math.sqrt(shape) / rate
        value, _ = integrate.quad(joint, 0, mode + 40 * spread, points=[mode], epsrel=1e-11, limit=200)
        total += math.log(value)
    assert fit.log_likelihood == pytest.approx(total, rel=1e-7)


def test_published_conditional_expectation(cdnow_fit: clv.BgNbdFit) -> None:
    """Hardie's spreadsheet for the paper: E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226."""
    for params in (PAPER_BGNBD, cdnow_fit.params):
        value = clv.bgnbd_expected_purchases(params, 39, [2], [30.43], [38.86])
        assert value[0] == pytest.approx(1.226, abs=0.001)


def test_published_unconditional_expectation(cdnow_fit: clv.BgNbdFit) -> None:
    """E[X(t)] for a new customer (eq. 9) at the paper's parameters, against 30-digit mpmath
    evaluations of eq. 9 itself, and against Hardie's spreadsheet as lifetimes tests it.

    The spreadsheet's figures for t = 0.1429 … 78 weeks are 0.0078, 0.0532, 0.1506, 1.0405,
    1.0437, 1.8576; eq. 9 evaluated exactly with the same rounded parameters gives up to 0.16 %
    more (1.8605 at 78 weeks), so those are checked to 0.2 % (lifetimes checks them to an
    absolute 0.0015) and the exact values to 1e-10.
    """
    times = np.array([0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0])
    exact = np.array(
        [
            0.007828347516072164,
            0.05326789117165828,
            0.15086523089304668,
            1.041996060852211,
            1.0452433283744438,
            1.8605190579427686,
        ]
    )
    spreadsheet = np.array([0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576])
    value = clv.bgnbd_expected_purchases_new(PAPER_BGNBD, times)
    np.testing.assert_allclose(value, exact, rtol=1e-10)
    np.testing.assert_allclose(value, spreadsheet, rtol=0.002, atol=0.00005)
    fitted = clv.bgnbd_expected_purchases_new(cdnow_fit.params, times)
    np.testing.assert_allclose(fitted, spreadsheet, rtol=0.002, atol=0.00005)
    assert isinstance(clv.bgnbd_expected_purchases_new(PAPER_BGNBD, 78.0), float)


def test_calibration_holdout_check_on_cdnow(cdnow: dict[str, np.ndarray], cdnow_fit: clv.BgNbdFit) -> None:
    """The paper's figure: fitted on weeks 1-39, the model's expectation of each customer's
    repeat purchases in weeks 40-78, averaged per calibration frequency, beside what they did.

    Tolerance: three standard errors of each group's actual mean. The actual means are sample
    means of counts over a few dozen to 1,411 customers, so that is their sampling noise; a
    correct model lands within it in every group, while a wrong formula (say eq. 10 without
    its P(alive) factor, or the horizon in days) misses by many times more.
    """
    groups = clv.holdout_check(
        cdnow_fit.params,
        frequency_cal=cdnow["x"],
        recency_cal=cdnow["t_x"],
        T_cal=cdnow["T"],
        holdout_purchases=cdnow["x_star"],
        duration=39,
    )
    assert [g.frequency for g in groups] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert [g.customers for g in groups] == [1411, 439, 214, 100, 62, 38, 29, 64]
    # Actual means from the transactions (the fixture), to two decimals.
    assert [round(g.actual, 2) for g in groups] == [0.24, 0.70, 1.39, 1.56, 2.53, 2.95, 3.86, 6.36]
    for group in groups:
        members = cdnow["x"] >= 7 if group.frequency == "7+" else cdnow["x"] == int(group.frequency)
        standard_error = cdnow["x_star"][members].std(ddof=1) / math.sqrt(members.sum())
        assert abs(group.predicted - group.actual) <= 3 * standard_error, group


def test_fit_does_not_depend_on_the_time_unit(cdnow: dict[str, np.ndarray], cdnow_fit: clv.BgNbdFit) -> None:
    """The same data in days: alpha scales by 7, the shape parameters stay, and the predicted
    purchases for the same span of time are the same."""
    days = clv.bgnbd_fit(cdnow["x"], cdnow["t_x"] * 7, cdnow["T"] * 7)
    assert days.params.r == pytest.approx(cdnow_fit.params.r, rel=1e-4)
    assert days.params.alpha == pytest.approx(cdnow_fit.params.alpha * 7, rel=1e-4)
    assert days.params.a == pytest.approx(cdnow_fit.params.a, rel=1e-4)
    assert days.params.b == pytest.approx(cdnow_fit.params.b, rel=1e-4)
    in_weeks = clv.bgnbd_expected_purchases(cdnow_fit.params, 13, cdnow["x"], cdnow["t_x"], cdnow["T"])
    in_days = clv.bgnbd_expected_purchases(days.params, 91, cdnow["x"], cdnow["t_x"] * 7, cdnow["T"] * 7)
    np.testing.assert_allclose(in_days, in_weeks, rtol=1e-3)


def test_weights_equal_repeated_rows(cdnow: dict[str, np.ndarray]) -> None:
    x, t_x, big_t = cdnow["x"][:400], cdnow["t_x"][:400], cdnow["T"][:400]
    weights = np.arange(400) % 3 + 1.0
    weighted = clv.bgnbd_fit(x, t_x, big_t, weights=weights)
    repeated = clv.bgnbd_fit(*(np.repeat(column, weights.astype(int)) for column in (x, t_x, big_t)))
    assert weighted.customers == repeated.customers == int(weights.sum())
    for name in ("r", "alpha", "a", "b"):
        assert getattr(weighted.params, name) == pytest.approx(getattr(repeated.params, name), rel=1e-6)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-9)


def test_clv_predict_on_cdnow(cdnow: dict[str, np.ndarray], cdnow_fit: clv.BgNbdFit) -> None:
    gamma_gamma = clv.gamma_gamma_fit(cdnow["x"], cdnow["zbar"]).params
    args = (cdnow["x"], cdnow["t_x"], cdnow["T"])
    value = clv.clv_predict(cdnow_fit.params, gamma_gamma, *args, cdnow["zbar"], horizon=52)
    purchases = clv.bgnbd_expected_purchases(cdnow_fit.params, 52, *args)
    order_value = clv.gamma_gamma_expected_value(gamma_gamma, cdnow["x"], cdnow["zbar"])
    np.testing.assert_allclose(value, purchases * order_value)
    assert np.all(value > 0)


# --- hand-computed cases ---------------------------------------------------------------------


def test_p_alive_is_one_without_repeat_purchases() -> None:
    alive = clv.bgnbd_p_alive(PAPER_BGNBD, [0, 0, 0], [0, 0, 0], [0, 5, 500])
    assert alive.tolist() == [1.0, 1.0, 1.0]


def test_p_alive_by_hand() -> None:
    """r = 1, alpha = 2, a = 1, b = 3; x = 2, t_x = 4, T = 6:
    1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    = 1 / (1 + 1/4 * (8/6) ** 3) = 1 / (1 + 16/27) = 27/43."""
    params = clv.BgNbdParams(r=1, alpha=2, a=1, b=3)
    assert clv.bgnbd_p_alive(params, [2], [4], [6])[0] == pytest.approx(27 / 43, rel=1e-12)


HAND = clv.BgNbdParams(r=1, alpha=1, a=2, b=1)


def test_expected_purchases_new_by_hand() -> None:
    """r = 1, alpha = 1, a = 2, b = 1: eq. 9 is 2 (1 - 2F1(1, 1; 2; -t)) and
    2F1(1, 1; 2; -t) = ln(1 + t) / t, so E[X(1)] = 2 (1 - ln 2)."""
    assert clv.bgnbd_expected_purchases_new(HAND, 1.0) == pytest.approx(2 * (1 - math.log(2)), rel=1e-12)
    assert clv.bgnbd_expected_purchases_new(HAND, 3.0) == pytest.approx(2 * (1 - math.log(4) / 3), rel=1e-12)
    assert clv.bgnbd_expected_purchases_new(HAND, 0.0) == 0.0


def test_conditional_expected_purchases_by_hand() -> None:
    """Same parameters, t = 4 after T = 3, so t / (alpha + T) = 1.

    x = 0: P(alive) = 1 and the expectation equals a new customer's over one unit: 2 (1 - ln 2).
    x = 1, t_x = 1: (a + b + x - 1) / (a - 1) = 3; 2F1(2, 1; 3; -1) = 2 (1 - ln 2), so if alive
    3 (2 ln 2 - 1); P(alive) = 1 / (1 + 2/1 * (4/2) ** 2) = 1/9. Together (2 ln 2 - 1) / 3."""
    value = clv.bgnbd_expected_purchases(HAND, 4, [0, 1], [0, 1], [3, 3])
    assert value[0] == pytest.approx(2 * (1 - math.log(2)), rel=1e-12)
    assert value[1] == pytest.approx((2 * math.log(2) - 1) / 3, rel=1e-12)


def test_gamma_gamma_expected_value_by_hand() -> None:
    """p = 2, q = 3, gamma = 10: population mean p gamma / (q - 1) = 10; for x = 2 and a mean of
    20, p (gamma + x m) / (p x + q - 1) = 2 * 50 / 6."""
    params = clv.GammaGammaParams(p=2, q=3, gamma=10)
    value = clv.gamma_gamma_expected_value(params, [0, 2], [0, 20])
    np.testing.assert_allclose(value, [10, 100 / 6], rtol=1e-12)


def test_clv_by_hand() -> None:
    """The x = 1 customer above, spending 16 on average: order value 2 (10 + 16) / (2 + 2) = 13,
    expected purchases in 4 units (2 ln 2 - 1) / 3; undiscounted product."""
    value = clv.clv_predict(HAND, clv.GammaGammaParams(p=2, q=3, gamma=10), [1], [1], [3], [16], horizon=4)
    assert value[0] == pytest.approx(13 * (2 * math.log(2) - 1) / 3, rel=1e-12)


def test_expected_purchases_for_large_horizons_stay_finite_and_right() -> None:
    """Where scipy's 2F1 gives up (NaN) the module integrates instead; the references are
    60-100 digit mpmath evaluations of eq. 10 (three forms of it agreeing)."""
    scipy_nan_case = clv.BgNbdParams(
        r=0.15946005085267215, alpha=0.13595565400512458, a=0.023254020312092262, b=649.5436487950443
    )
    value = clv.bgnbd_expected_purchases(scipy_nan_case, 85.40627636569191, [0], [0], [0.017079527818556855])
    assert value[0] == pytest.approx(88.28184581427387, rel=1e-8)
    large = clv.BgNbdParams(
        r=38.606021922054744, alpha=5474.169894955689, a=30.892441994386637, b=857.5659103400546
    )
    value = clv.bgnbd_expected_purchases(large, 27183.932474914727, [622], [0], [0])
    alive = 1 / (1 + large.a / (large.b + 621))
    assert value[0] == pytest.approx(50.49632119777613 * alive, rel=1e-8)
    # CDNOW parameters (a < 1: expected purchases keep growing, like t ** (1 - a)).
    far = clv.bgnbd_expected_purchases(PAPER_BGNBD, [1e3, 1e5, 1e7], [3, 3, 3], [20, 20, 20], [30, 30, 30])
    assert np.all(np.isfinite(far)) and np.all(np.diff(far) > 0)


def test_expected_purchases_are_continuous_through_a_equal_to_one() -> None:
    """The formula divides by a - 1; the module interpolates across it."""
    values = [
        clv.bgnbd_expected_purchases(clv.BgNbdParams(r=0.5, alpha=3, a=a, b=2), 26, [4], [20], [30])[0]
        for a in (1 - 1e-3, 1 - 1e-9, 1.0, 1 + 1e-9, 1 + 1e-3)
    ]
    assert all(np.isfinite(values))
    assert values[1] == pytest.approx(values[2], rel=1e-7)
    assert values[3] == pytest.approx(values[2], rel=1e-7)
    # and between its neighbours (it falls as a rises: more dropout)
    assert values[0] > values[2] > values[4]


def test_predictions_on_edge_inputs() -> None:
    # No customers: empty results, not errors (a store with no buyers yet).
    assert clv.bgnbd_p_alive(PAPER_BGNBD, [], [], []).shape == (0,)
    assert clv.bgnbd_expected_purchases(PAPER_BGNBD, 13, [], [], []).shape == (0,)
    assert (
        clv.holdout_check(
            PAPER_BGNBD, frequency_cal=[], recency_cal=[], T_cal=[], holdout_purchases=[], duration=13
        )
        == []
    )
    # a + b = 1 with x = 0 puts 2F1's lower parameter at 0 (a pole scipy cannot evaluate); the
    # expectation itself is finite there: mpmath's limit at 40 digits.
    params = clv.BgNbdParams(r=0.7, alpha=3, a=0.5, b=0.5)
    value = clv.bgnbd_expected_purchases(params, [0, 10], [0, 0], [0, 0], [5, 5])
    assert value[0] == 0.0
    assert value[1] == pytest.approx(0.6137935306037937, rel=1e-8)


def _if_alive_by_quadrature(r: float, a: float, b: float, x: float, w: float) -> float:
    """E[(1 - (1 + p w) ** -(r + x)) / p] over p ~ Beta(a, b + x), by adaptive quadrature in
    logit p over 60 standard deviations either side of the mode, divided by the integral of
    the density itself (so no Beta function of huge arguments enters)."""
    bx, k = b + x, r + x
    mode = math.log(a / bx)
    spread = math.sqrt((a + bx) / (a * bx))
    peak = a * mode - (a + bx) * np.logaddexp(0.0, mode)

    def density(u: float) -> float:
        return math.exp(a * u - (a + bx) * np.logaddexp(0.0, u) - peak)

    def weighted(u: float) -> float:
        p = 1 / (1 + math.exp(-u))
        return density(u) * -math.expm1(-k * math.log1p(p * w)) / p

    span = (mode - 60 * spread, mode + 60 * spread)
    options = {"points": [mode], "limit": 500, "epsabs": 0.0, "epsrel": 1e-13}
    return integrate.quad(weighted, *span, **options)[0] / integrate.quad(density, *span, **options)[0]


# A fit on 20,000 synthetic customers whose dropout probability hardly varied: Beta(a, b)
# concentrated near a / (a + b) = 0.0826, where scipy's 2F1 returns NaN.
CONCENTRATED = clv.BgNbdParams(r=1.0256, alpha=8.5345, a=14083.0, b=156437.0)
HISTORIES = (
    np.array([0, 1, 3, 12, 50, 7]),
    np.array([0, 2.5, 40.0, 90.0, 103.0, 0.4]),
    np.array([20.0, 30.0, 60.0, 100.0, 104.0, 104.0]),
)


@pytest.mark.parametrize("t", [90 / 7, 365 / 7, 1000.0])
def test_expected_purchases_with_concentrated_dropout(t: float) -> None:
    x, t_x, big_t = HISTORIES
    r, alpha, a, b = CONCENTRATED.r, CONCENTRATED.alpha, CONCENTRATED.a, CONCENTRATED.b
    value = clv.bgnbd_expected_purchases(CONCENTRATED, t, x, t_x, big_t)
    for i in range(len(x)):
        alive = 1.0
        if x[i] > 0:
            alive = 1 / (1 + a / (b + x[i] - 1) * ((alpha + big_t[i]) / (alpha + t_x[i])) ** (r + x[i]))
        expected = alive * _if_alive_by_quadrature(r, a, b, x[i], t / (alpha + big_t[i]))
        assert value[i] == pytest.approx(expected, rel=1e-9), i


def test_expected_purchases_tend_to_the_fixed_dropout_limit() -> None:
    """As a, b -> infinity with a / (a + b) = pi fixed, p no longer varies: a customer alive
    after x repeat purchases expects (1 - (1 + pi t / (alpha + T)) ** -(r + x)) / pi more. The
    gap is of the order of Var(p) / pi ** 2 = (1 - pi) / (pi (a + b)): 7e-5 at the fitted a and
    b, 7e-10 when both are 100,000 times larger."""
    x, t_x, big_t = HISTORIES
    t = 365 / 7
    for factor, tolerance in ((1.0, 2e-4), (1e5, 1e-8)):
        params = clv.BgNbdParams(
            r=CONCENTRATED.r, alpha=CONCENTRATED.alpha, a=CONCENTRATED.a * factor, b=CONCENTRATED.b * factor
        )
        dropout = params.a / (params.a + params.b + x)
        limit = -np.expm1(-(params.r + x) * np.log1p(dropout * t / (params.alpha + big_t))) / dropout
        alive = clv.bgnbd_p_alive(params, x, t_x, big_t)
        value = clv.bgnbd_expected_purchases(params, t, x, t_x, big_t)
        np.testing.assert_allclose(value, alive * limit, rtol=tolerance)


def test_concentrated_and_2f1_evaluations_meet_at_the_threshold() -> None:
    """Either side of a = 20 the expectation is computed two ways; they agree."""
    x, t_x, big_t = HISTORIES
    below = clv.BgNbdParams(r=0.8, alpha=6.0, a=20 * (1 - 1e-12), b=60.0)
    at = clv.BgNbdParams(r=0.8, alpha=6.0, a=20.0, b=60.0)
    for t in (1.0, 13.0, 52.0):
        np.testing.assert_allclose(
            clv.bgnbd_expected_purchases(below, t, x, t_x, big_t),
            clv.bgnbd_expected_purchases(at, t, x, t_x, big_t),
            rtol=1e-8,
        )


def test_nelder_mead_polish_stops_when_the_likelihood_stalls() -> None:
    """On a likelihood ridge the polish gains nothing yet used to run its 4,000 iterations."""
    total = 20_000.0
    stall = clv._stall_detector(total)
    # 2e-8 per iteration in the summed log-likelihood: the check needs a full window first.
    for i in range(clv._STALL_ITERATIONS):
        stall(optimize.OptimizeResult(fun=-2.5 - i * 1e-12))
    with pytest.raises(StopIteration):
        stall(optimize.OptimizeResult(fun=-2.5 - clv._STALL_ITERATIONS * 1e-12))
    climbing = clv._stall_detector(total)
    for i in range(5 * clv._STALL_ITERATIONS):
        climbing(optimize.OptimizeResult(fun=-2.5 - i * 1e-6))  # 0.02 per iteration


# --- properties ------------------------------------------------------------------------------

params_strategy = st.builds(
    clv.BgNbdParams,
    r=st.floats(0.01, 10),
    alpha=st.floats(0.1, 200),
    a=st.floats(0.05, 20),
    b=st.floats(0.05, 50),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[int, float, float]:
    big_t = draw(st.floats(0, 300))
    x = draw(st.integers(0, 200))
    t_x = draw(st.floats(0, 1)) * big_t if x > 0 else 0.0
    return x, t_x, big_t


@settings(max_examples=300, deadline=None)
@given(params=params_strategy, history=histories(), extra=st.floats(0, 500))
def test_p_alive_is_a_probability_and_silence_never_raises_it(
    params: clv.BgNbdParams, history: tuple[int, float, float], extra: float
) -> None:
    x, t_x, big_t = history
    now, later = clv.bgnbd_p_alive(params, [x, x], [t_x, t_x], [big_t, big_t + extra])
    assert 0 <= later <= now <= 1


@settings(max_examples=300, deadline=None)
@given(
    params=params_strategy,
    history=histories(),
    t=st.floats(0, 200),
    more=st.floats(0, 200),
)
def test_expected_purchases_are_non_negative_and_grow_with_the_horizon(
    params: clv.BgNbdParams, history: tuple[int, float, float], t: float, more: float
) -> None:
    x, t_x, big_t = history
    short, long = clv.bgnbd_expected_purchases(params, [t, t + more], [x, x], [t_x, t_x], [big_t, big_t])
    assert short >= 0
    assert long >= short * (1 - 1e-9) - 1e-12


@settings(max_examples=300, deadline=None)
@given(
    p=st.floats(0.1, 50),
    q=st.floats(1.01, 50),
    gamma=st.floats(0.1, 1000),
    x=st.integers(0, 200),
    m=st.floats(0.01, 10_000),
)
def test_expected_order_value_is_positive_and_between_the_population_and_the_customer(
    p: float, q: float, gamma: float, x: int, m: float
) -> None:
    params = clv.GammaGammaParams(p=p, q=q, gamma=gamma)
    value = clv.gamma_gamma_expected_value(params, [x], [m])[0]
    population = p * gamma / (q - 1)
    assert value > 0
    if x == 0:
        assert value == pytest.approx(population)
    else:
        assert min(population, m) * (1 - 1e-12) <= value <= max(population, m) * (1 + 1e-12)


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "recency", "big_t", "message"),
    [
        ([], [], [], "No customers"),
        ([1, float("nan")], [1, 0], [2, 2], "NaN"),
        ([1, 0], [-1, 0], [2, 2], "negative"),
        ([1, -1], [1, 0], [2, 2], "negative"),
        ([2, 1], [3, 1], [2, 2], "greater than T"),
        ([0, 1], [1, 1], [2, 2], "recency must be 0"),
        ([1.5, 1], [1, 1], [2, 2], "whole numbers"),
        ([1, 1], [1], [2, 2], "equal length"),
        ([0, 0, 0], [0, 0, 0], [5, 6, 7], "No customer made a repeat purchase"),
        ([[1, 1]], [[1, 1]], [[2, 2]], "one-dimensional"),
    ],
)
def test_bgnbd_fit_rejects_bad_input(frequency: list, recency: list, big_t: list, message: str) -> None:
    with pytest.raises(clv.ModelError, match=message):
        clv.bgnbd_fit(frequency, recency, big_t)


def test_bgnbd_fit_rejects_bad_weights() -> None:
    with pytest.raises(clv.ModelError, match="negative"):
        clv.bgnbd_fit([1, 0], [1, 0], [2, 2], weights=[1, -1])
    with pytest.raises(clv.ModelError, match="one entry per customer"):
        clv.bgnbd_fit([1, 0], [1, 0], [2, 2], weights=[1])
    with pytest.raises(clv.ModelError, match="All weights are zero"):
        clv.bgnbd_fit([1, 0], [1, 0], [2, 2], weights=[0, 0])


def test_bgnbd_fit_reports_a_degenerate_optimum() -> None:
    """Four customers who each bought every week and were seen buying at the very end: nothing
    suggests anybody drops out, and the likelihood keeps rising as the parameters run off."""
    with pytest.raises(clv.ModelError, match="degenerate"):
        clv.bgnbd_fit([10, 10, 10, 10], [10, 10, 10, 10], [10, 10, 10, 10])


def test_fits_on_too_few_customers_are_refused(cdnow: dict[str, np.ndarray]) -> None:
    """Twenty CDNOW customers (customers 1001-1020; 8 repeat buyers): the likelihood runs along
    a ridge towards 0 or infinity instead of peaking, so the fits say they cannot identify the
    parameters rather than return numbers like a = 3,000. Three hundred customers are enough."""
    few = slice(1000, 1020)
    with pytest.raises(clv.ModelError, match="degenerate"):
        clv.bgnbd_fit(cdnow["x"][few], cdnow["t_x"][few], cdnow["T"][few])
    with pytest.raises(clv.ModelError, match="degenerate"):
        clv.gamma_gamma_fit(cdnow["x"][few], cdnow["zbar"][few])
    enough = slice(1000, 1300)
    assert clv.bgnbd_fit(cdnow["x"][enough], cdnow["t_x"][enough], cdnow["T"][enough]).converged
    assert clv.gamma_gamma_fit(cdnow["x"][enough], cdnow["zbar"][enough]).converged


@pytest.mark.parametrize(
    ("frequency", "monetary", "message"),
    [
        ([1, 0, 0], [10, 0, 0], "at least two repeat buyers"),
        ([1, 2], [10, 0], "positive"),
        ([1, 2, 3], [10, 10, 10], "same order value"),
        ([1, 2], [10, float("inf")], "NaN or infinite"),
        ([1, 2], [10], "equal length"),
        ([1, 1, 1, 1], [10, 12, 11, 50], "degenerate"),  # one purchase each: spread not identifiable
    ],
)
def test_gamma_gamma_fit_rejects_bad_input(frequency: list, monetary: list, message: str) -> None:
    with pytest.raises(clv.ModelError, match=message):
        clv.gamma_gamma_fit(frequency, monetary)


def test_predictions_reject_bad_parameters_and_horizons() -> None:
    with pytest.raises(clv.ModelError, match="positive and finite"):
        clv.bgnbd_p_alive(clv.BgNbdParams(r=-1, alpha=1, a=1, b=1), [1], [1], [2])
    with pytest.raises(clv.ModelError, match="positive and finite"):
        clv.bgnbd_expected_purchases_new(clv.BgNbdParams(r=1, alpha=float("nan"), a=1, b=1), 1)
    with pytest.raises(clv.ModelError, match="not negative"):
        clv.bgnbd_expected_purchases(PAPER_BGNBD, -1, [1], [1], [2])
    with pytest.raises(clv.ModelError, match="q must exceed 1"):
        clv.gamma_gamma_expected_value(clv.GammaGammaParams(p=1, q=1, gamma=1), [1], [10])
    with pytest.raises(clv.ModelError, match="at least 1"):
        clv.holdout_check(
            PAPER_BGNBD,
            frequency_cal=[1],
            recency_cal=[1],
            T_cal=[2],
            holdout_purchases=[0],
            duration=1,
            max_frequency=0,
        )
    with pytest.raises(clv.ModelError, match="equal length"):
        clv.holdout_check(
            PAPER_BGNBD,
            frequency_cal=[1, 0],
            recency_cal=[1, 0],
            T_cal=[2, 2],
            holdout_purchases=[0],
            duration=1,
        )
