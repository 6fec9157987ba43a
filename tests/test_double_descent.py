"""The double-descent topic: derivations, closed forms, bad input, and the claims' sizing.

Reference values come by other routes: by hand, from SciPy's integration of the chi-square and
Marchenko–Pastur densities, from a numerical minimizer, from an explicit gradient-descent loop
and from NumPy's least squares.
"""

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import integrate
from scipy.optimize import minimize_scalar
from scipy.stats import binom, chi2

from derivations import double_descent as dd
from derivations.core import PROVED
from derivations.double_descent import kinds, min_norm
from verify import claims
from verify import double_descent as vd
from verify import montecarlo as mc


@pytest.mark.parametrize("name", sorted(dd.DERIVATIONS))
def test_every_step_is_proved(name):
    report = dd.DERIVATIONS[name]().check()
    assert all(s.status == PROVED for s in report.steps), str(report)


def test_min_norm_risk_by_hand():
    assert dd.min_norm_risk(24, 12, 0.6, 2.5) == pytest.approx(0.6 * 12 / 11, rel=1e-15)
    # 0.8·(1 − 10/22) + 1.5·10/11 = 0.436363… + 1.363636… = 1.8
    assert dd.min_norm_risk(10, 22, 1.5, 0.8) == pytest.approx(1.8, rel=1e-15)
    assert dd.test_risk(10, 22, 1.5, 0.8) == pytest.approx(3.3, rel=1e-15)


def test_the_band_is_exactly_three_wide():
    d = 15
    finite = [n for n in range(1, 40) if math.isfinite(dd.min_norm_risk(n, d, 0.7, 1.8))]
    assert set(range(1, 40)) - set(finite) == {d - 1, d, d + 1}


@pytest.mark.parametrize("n_rows", [5, 9, 23])
def test_d1_matches_scipys_chi_square_mean(n_rows):
    # d = 1: XᵀX ~ χ²_N, and the risk is σ² E[1/χ²_N]
    mean_inverse = chi2(n_rows).expect(lambda x: 1 / x)
    assert dd.min_norm_risk(n_rows, 1, 0.7, 1.8) == pytest.approx(0.7 * mean_inverse, rel=1e-8)


@pytest.mark.parametrize("dim", [5, 11, 30])
def test_one_row_matches_scipys_chi_square_mean(dim):
    # N = 1: ŵ = x y/‖x‖²; bias (1 − 1/d)‖w‖², noise σ² E[1/‖x‖²] with ‖x‖² ~ χ²_d
    noise = 0.7 * chi2(dim).expect(lambda x: 1 / x)
    expected = 1.8 * (1 - 1 / dim) + noise
    assert dd.min_norm_risk(1, dim, 0.7, 1.8) == pytest.approx(expected, rel=1e-8)


def test_test_risk_adds_sigma2_only():
    for n_rows, dim in [(24, 12), (10, 22), (3, 40)]:
        gap = dd.test_risk(n_rows, dim, 0.45, 2.2) - dd.min_norm_risk(n_rows, dim, 0.45, 2.2)
        assert gap == pytest.approx(0.45, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: dd.min_norm_risk(0, 5, 0.5, 1.5), "N"),
        (lambda: dd.min_norm_risk(2.5, 5, 0.5, 1.5), "N"),
        (lambda: dd.min_norm_risk(True, 5, 0.5, 1.5), "N"),
        (lambda: dd.min_norm_risk(5, -3, 0.5, 1.5), "d"),
        (lambda: dd.test_risk(5, "7", 0.5, 1.5), "d"),
        (lambda: dd.min_norm_risk(5, 9, -0.5, 1.5), "sigma2"),
        (lambda: dd.test_risk(5, 9, 0.5, -1.5), "w_norm2"),
        (lambda: dd.min_norm_risk(5, 9, float("nan"), 1.5), "sigma2"),
        (lambda: dd.misspecified_test_risk(5, 0, 0.5, 1.5, 0.3), "p"),
        (lambda: dd.misspecified_test_risk(5, 9, 0.5, 1.5, -0.3), "w_unseen2"),
        (lambda: dd.ridge_limit_risk(0.0, 0.3, 0.5, 1.5), "gamma"),
        (lambda: dd.optimal_lambda(0.5, -0.1, 1.5), "sigma2"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        call()


def test_more_data_hurts_is_the_sign_of_the_difference():
    # the difference of the over-side formula, written out here
    def risk(n, d, s2, w2):
        return w2 * (1 - n / d) + s2 * n / (d - n - 1)

    for d, s2, w2 in [(15, 0.7, 1.8), (30, 0.2, 4.5), (22, 1.5, 0.8)]:
        for n in range(1, d - 2):
            assert dd.more_data_hurts(n, d, s2, w2) == (risk(n + 1, d, s2, w2) > risk(n, d, s2, w2))


def test_misspecified_is_the_well_specified_formula_with_more_noise():
    # p of D features: σ² + s² plays the noise, p plays d
    expected = (0.5 + 0.7) + 1.2 * (1 - 10 / 22) + (0.5 + 0.7) * 10 / 11
    assert dd.misspecified_test_risk(10, 22, 0.5, 1.2, 0.7) == pytest.approx(expected, rel=1e-14)


def test_the_finite_formulas_tend_to_the_proportional_limits():
    n = 10**6
    for gamma in (0.4, 2.5):
        finite = dd.min_norm_risk(n, int(gamma * n), 0.6, 2.5)
        assert finite == pytest.approx(dd.min_norm_limit(gamma, 0.6, 2.5), rel=1e-4)


def _mp_transforms(gamma, lam):
    """m and m' from SciPy's integration of the Marchenko–Pastur density (and its atom)."""
    lo, hi = (1 - math.sqrt(gamma)) ** 2, (1 + math.sqrt(gamma)) ** 2

    def density(s):
        return math.sqrt(max((hi - s) * (s - lo), 0.0)) / (2 * math.pi * gamma * s)

    atom = max(1 - 1 / gamma, 0.0)
    m = integrate.quad(lambda s: density(s) / (s + lam), lo, hi, limit=200)[0] + atom / lam
    m1 = integrate.quad(lambda s: density(s) / (s + lam) ** 2, lo, hi, limit=200)[0]
    return m, m1 + atom / lam**2


@pytest.mark.parametrize(("gamma", "lam"), [(0.5, 0.3), (1.0, 0.15), (2.5, 0.7)])
def test_ridge_limit_against_the_marchenko_pastur_density(gamma, lam):
    m, m1 = _mp_transforms(gamma, lam)
    assert dd.stieltjes(gamma, lam) == pytest.approx(m, rel=1e-7)
    expected = 2.5 * lam**2 * m1 + 0.6 * gamma * (m - lam * m1)
    assert dd.ridge_limit_risk(gamma, lam, 0.6, 2.5) == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("gamma", [0.4, 1.0, 2.5])
def test_optimal_lambda_is_the_numerical_minimizer(gamma):
    found = minimize_scalar(
        lambda lm: dd.ridge_limit_risk(gamma, lm, 0.6, 2.5),
        bounds=(1e-4, 10),
        method="bounded",
        options={"xatol": 1e-9},
    )
    assert found.x == pytest.approx(dd.optimal_lambda(gamma, 0.6, 2.5), rel=1e-4)


@pytest.mark.parametrize(("dim", "designs"), [(25, 2000), (50, 2000)])
def test_the_ridge_limits_finite_size_gap_is_within_the_claims_allowance(dim, designs):
    # E over designs of the exact conditional risk (given X, averaged over w* directions and
    # ε): λ²‖w*‖² mean (s + λ)⁻² + (σ²/N) Σ s/(s + λ)², s the eigenvalues of XᵀX/N
    lam, s2, w2 = 0.3, 0.6, 2.5
    rng = np.random.default_rng(7)
    vals = []
    for _ in range(designs):
        X = rng.standard_normal((dim, dim))
        s = np.linalg.eigvalsh(X.T @ X / dim)
        vals.append(
            lam**2 * w2 * np.mean(1 / (s + lam) ** 2) + s2 / dim * np.sum(s / (s + lam) ** 2)
        )
    vals = np.array(vals)
    limit = dd.ridge_limit_risk(1.0, lam, s2, w2)
    gap = (vals.mean() - limit) / limit
    se = vals.std() / math.sqrt(designs) / limit
    # a real finite-size effect (it is a limit) and at most half the allowance 1/d
    assert gap > 4 * se
    assert gap + 4 * se <= 0.5 * vd.FINITE_SIZE / dim


@pytest.mark.parametrize("theta", [0.4, math.pi / 2, 2.6])
def test_arccos_kernel_against_scipys_double_integral(theta):
    # E[relu(u) relu(v)] for standard normals of correlation cos θ, scaled by the norms
    rho = math.cos(theta)
    det = 1 - rho**2

    def density(v, u):
        return math.exp(-(u * u - 2 * rho * u * v + v * v) / (2 * det)) / (
            2 * math.pi * math.sqrt(det)
        )

    value = integrate.dblquad(lambda v, u: u * v * density(v, u), 0, 12, 0, 12)[0]
    x, y = np.array([0.7, 0.0]), 1.6 * np.array([math.cos(theta), math.sin(theta)])
    assert kinds.arccos_kernel(x, y) == pytest.approx(0.7 * 1.6 * value, rel=1e-7)


def test_gd_weights_against_an_explicit_loop():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((9, 4)) * np.array([2.0, 1.5, 0.3, 0.1])
    y = rng.standard_normal(9)
    eta, steps = 0.2, 50
    w = np.zeros(4)
    loop = [w]
    for _ in range(steps):
        w = w - eta * X.T @ (X @ w - y) / 9
        loop.append(w)
    np.testing.assert_allclose(
        kinds.gd_weights(X, y, eta, steps), np.array(loop), rtol=1e-10, atol=1e-13
    )
    with pytest.raises(ValueError, match="^eta:"):
        kinds.gd_weights(X, y, 10.0, 5)


def test_monotone_pieces():
    assert kinds.monotone_pieces([5.0, 4.0, 3.0]) == (-1,)
    assert kinds.monotone_pieces([1.0, 3.0, 2.0, 2.0, 4.0]) == (1, -1, 1)
    # a slow steady rise of tiny steps still counts
    assert kinds.monotone_pieces(
        np.r_[np.linspace(2, 1, 10), 1 + 1e-3 * np.arange(1, 1000) * 1e-3]
    ) == (-1, 1)


def test_the_epoch_curve_tends_to_least_squares():
    # the page quotes the least-squares risk as the t → ∞ end of the curve: N > d, so the
    # eigenbasis factor 1 − (1 − ηλ)^t → 1 gives ŵ = H⁻¹b, NumPy's least-squares solution
    X, y, w, cov, eta = vd.epoch_problem()
    w_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    late = kinds.gd_weights(X, y, eta * 9, 20_000)[-1]  # 9η·λ_max = 1.8 < 2: it converges
    np.testing.assert_allclose(late, w_ls, rtol=1e-8)


Z_NEED = mc.critical_z(1e-6) + NormalDist().inv_cdf(1 - 1e-6)


@pytest.mark.parametrize("name", sorted(vd.SETTINGS))
def test_every_named_wrong_answer_is_rejected_with_probability_1_minus_1e6(name):
    c = vd.SETTINGS[name]
    est = vd.simulated(name, 0)
    truth = vd._value(c.derived, c.variables, c.point)
    for label, wrong in vd.WRONG_ANSWERS[f"double_descent.{name}"].items():
        distance = abs(vd._value(wrong, c.variables, c.point) - truth) / est.std_error
        assert distance >= Z_NEED, f"{label}: only {distance:.1f} standard errors out"


@pytest.mark.parametrize("kind", ["sample_wise", "model_wise"])
def test_the_peak_tests_have_power(kind):
    # at the measured win rate, the count needed for p <= 1e-6 is exceeded by 4.75 sd
    q = vd.PEAKS[kind]
    n = q["draws"]
    critical = binom.isf(1e-6, n, 0.5)
    ev = claims.get(f"double_descent.{kind}.peak").check()
    for wins in ev.details["wins"].values():
        rate = wins / n
        assert rate * n - 4.75 * math.sqrt(n * rate * (1 - rate)) > critical


def test_the_settings_keep_away_from_the_threshold():
    for c in vd.SETTINGS.values():
        other = c.point.get("d", c.point.get("p"))
        assert abs(c.point["N"] - other) >= 10 > min_norm.FOURTH_MOMENT_GAP
        assert all(v != 1 for v in c.point.values())
