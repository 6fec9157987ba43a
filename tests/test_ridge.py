"""The ridge topic: derivations, the closed forms, bad input, and the simulation's sizing.

Reference values are computed here by other routes: by hand, from the trace form with
explicit matrix inverses, by a numerical minimizer, by NumPy's least squares.
"""

import math
from statistics import NormalDist

import numpy as np
import pytest
import sympy as sp
import torch
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from derivations import ridge as rd
from derivations.core import FAILED, PROVED
from verify import claims
from verify import montecarlo as mc
from verify import ridge as vr


@pytest.mark.parametrize(
    "build",
    [
        lambda: rd.concrete_risk(3),
        lambda: rd.concrete_risk(1),
        rd.quadratic_form_mean,
        rd.per_direction,
        lambda: rd.optimum()[0],
    ],
    ids=["d2_N3", "d2_N1", "quadratic_form", "per_direction", "optimum"],
)
def test_every_step_is_proved(build):
    report = build().check()
    assert report.counts()[FAILED] == 0, str(report)
    assert all(s.status == PROVED for s in report.steps), str(report)


def test_the_concrete_chains_end_in_the_general_formula():
    # the last step of the d = 2 chain is the per-direction term summed over its spectrum
    for n_rows, spectrum in (
        (3, [rd.sp.Symbol("s_1", positive=True) ** 2, rd.sp.Symbol("s_2", positive=True) ** 2]),
        (1, None),
    ):
        dv = rd.concrete_risk(n_rows)
        if spectrum is None:
            x1, x2 = sp.symbols("x_1 x_2", real=True)
            spectrum = [x1**2 + x2**2, 0]
        total = sum(rd.RISK_TERM.subs({rd.lam: e, rd.d: 2}) for e in spectrum)
        assert sp.simplify(dv.result - total) == 0


def test_mu_star_is_the_textbook_value():
    _, mu_star = rd.optimum()
    assert sp.simplify(mu_star - rd.d * rd.sigma_eps2 / rd.sigma_w2) == 0


def test_bayes_risk_by_hand():
    # one direction, d = 1: (3·1² + 0.5·2)/(2 + 1)² = 4/9
    assert rd.bayes_risk([2.0], 1.0, 3.0, 0.5) == pytest.approx(4 / 9, rel=1e-15)
    # a zero eigenvalue contributes the prior variance σ_w²/d whatever μ > 0 is
    assert rd.bayes_risk([0.0, 0.0], 7.0, 3.0, 0.5) == pytest.approx(3.0, rel=1e-15)


@pytest.mark.parametrize(("n_rows", "dim", "mu"), [(5, 12, 0.3), (12, 12, 2.0), (40, 12, 50.0)])
def test_bayes_risk_equals_the_trace_form(n_rows, dim, mu):
    # μ² (σ_w²/d) tr(H_μ⁻²) + σ_ε² tr(H_μ⁻² H) with explicit inverses: no eigenvalues
    rng = np.random.default_rng(n_rows)
    X = rng.normal(size=(n_rows, dim))
    H = X.T @ X
    inv = np.linalg.inv(H + mu * np.eye(dim))
    sw2, se2 = 1.7, 0.4
    trace_form = mu**2 * sw2 / dim * np.trace(inv @ inv) + se2 * np.trace(inv @ inv @ H)
    eig = np.linalg.eigvalsh(H)
    assert rd.bayes_risk(eig, mu, sw2, se2) == pytest.approx(trace_form, rel=1e-10)


@pytest.mark.parametrize(("n_rows", "dim"), [(5, 20), (20, 20), (60, 20)])
def test_optimal_mu_is_the_numerical_minimizer(n_rows, dim):
    rng = np.random.default_rng(dim + n_rows)
    eig = np.linalg.eigvalsh(rng.normal(size=(n_rows, dim)).T @ rng.normal(size=(n_rows, dim)))
    eig = np.abs(eig)
    sw2, se2 = 2.0, 0.3
    found = minimize_scalar(
        lambda log_mu: rd.bayes_risk(eig, math.exp(log_mu), sw2, se2),
        bounds=(-8, 8),
        method="bounded",
        options={"xatol": 1e-9},
    )
    # a bounded Brent search in log μ: the flat bottom leaves ~1e-4 relative uncertainty
    assert math.exp(found.x) == pytest.approx(rd.optimal_mu(dim, sw2, se2), rel=1e-3)


def test_round_off_negative_eigenvalues_count_as_zero():
    X = np.random.default_rng(0).normal(size=(5, 30))
    eig = np.linalg.eigvalsh(X.T @ X)  # 25 zeros, some come back slightly negative
    assert eig.min() < 0 or np.sum(eig < 1e-10) == 25
    clean = np.where(eig < 1e-10, 0.0, eig)
    assert rd.bayes_risk(eig, 0.5, 1.5, 0.3) == pytest.approx(
        rd.bayes_risk(clean, 0.5, 1.5, 0.3), rel=1e-12
    )


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([1.0, -0.5], 1.0, 1.0, 1.0), ValueError, "eigenvalues: must be >= 0"),
        (([1.0, 2.0], -0.1, 1.0, 1.0), ValueError, r"mu: a real number in \[0, 1e\+100\]"),
        (([1.0, 2.0], 1.0, -1.0, 1.0), ValueError, r"sigma_w2: a real number in \[0,"),
        (([1.0, 2.0], 1.0, 1.0, -2.0), ValueError, r"sigma_eps2: a real number in \[0,"),
        (([1.0, 0.0], 0.0, 1.0, 1.0), ValueError, "mu: must be > 0 when H has a zero"),
        (([], 1.0, 1.0, 1.0), ValueError, "eigenvalues: a non-empty 1-d array"),
        (
            ([[1.0]], 1.0, 1.0, 1.0),
            ValueError,
            r"eigenvalues: a real 1-d array .* got shape \(1, 1\)",
        ),
        (([1.0, math.nan], 1.0, 1.0, 1.0), ValueError, "eigenvalues: finite entries"),
        (([1.0], "big", 1.0, 1.0), TypeError, "mu: a real number"),
        (([1.0], 1e200, 1.0, 1.0), ValueError, "mu: a real number in"),
        (([1.0], True, 1.0, 1.0), TypeError, "mu: a real number"),
        (([1e-200], 1e-200, 1.0, 1.0), ValueError, "eigenvalues, mu: the risk cannot be computed"),
        ((["a"], 1.0, 1.0, 1.0), TypeError, "eigenvalues: a real 1-d array"),
        (([1.0, 1j], 1.0, 1.0, 1.0), TypeError, "eigenvalues: a real 1-d array"),
        (([1.0, math.inf], 1.0, 1.0, 1.0), ValueError, "eigenvalues: finite entries"),
        (([True, False], 1.0, 1.0, 1.0), TypeError, "eigenvalues: a real 1-d array"),
        (([1e150], 1.0, 1.0, 1.0), ValueError, "eigenvalues: entries of magnitude at most"),
        (([1.0], 10**400, 1.0, 1.0), ValueError, "mu: a real number in .* 401 digits"),
        (([1.0], np.True_, 1.0, 1.0), TypeError, "mu: a real number"),
        *[
            (args, error, f"{name}: a real number in")
            for k, name in ((1, "mu"), (2, "sigma_w2"), (3, "sigma_eps2"))
            for bad, error in (
                (math.nan, ValueError),
                (math.inf, ValueError),
                (-math.inf, ValueError),
                (2 + 1j, TypeError),
                (2 + 0j, TypeError),  # a zero imaginary part is still not a real argument
                (True, TypeError),
                ("2", TypeError),
            )
            for args in [tuple(bad if i == k else v for i, v in enumerate(([1.0], 0.5, 1.5, 0.3)))]
        ],
    ],
)
def test_bayes_risk_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        rd.bayes_risk(*args)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((0, 1.0, 1.0), ValueError, "d: a positive integer"),
        ((2.5, 1.0, 1.0), TypeError, "d: a positive integer"),
        ((10, -1.0, 1.0), ValueError, r"sigma_w2: a real number in \[0,"),
        ((10, 0.0, 1.0), ValueError, "sigma_w2: must be > 0"),
        ((10, 1e-300, 1e100), ValueError, "sigma_w2: too small"),
        ((10, 1.0, -1.0), ValueError, r"sigma_eps2: a real number in \[0,"),
        ((10**400, 1.5, 0.3), ValueError, "d: a positive integer .* 401 digits"),
        ((1e300, 1.5, 0.3), TypeError, "d: a positive integer"),
        ((math.nan, 1.5, 0.3), TypeError, "d: a positive integer"),
        ((10 + 0j, 1.5, 0.3), TypeError, "d: a positive integer"),
        ((True, 1.5, 0.3), TypeError, "d: a positive integer"),
        ((10, 10**400, 0.3), ValueError, "sigma_w2: a real number in .* 401 digits"),
        ((10, 1.5, 10**400), ValueError, "sigma_eps2: a real number in .* 401 digits"),
        *[
            (args, error, f"{name}: a real number in")
            for k, name in ((1, "sigma_w2"), (2, "sigma_eps2"))
            for bad, error in (
                (math.nan, ValueError),
                (math.inf, ValueError),
                (0.3 + 1j, TypeError),
                (True, TypeError),
            )
            for args in [tuple(bad if i == k else v for i, v in enumerate((10, 1.5, 0.3)))]
        ],
    ],
)
def test_optimal_mu_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        rd.optimal_mu(*args)


def test_the_sampler_solves_the_ridge_problem():
    # same generator, same draws (NumPy's, seeded from the torch generator, as documented):
    # rebuild w and ε, solve by least squares on the augmented
    # system [X; √μ I] w = [y; 0] (NumPy, no normal equations) and compare the errors
    c = vr.CONFIGS["wide_small_mu"]
    X = c.design()
    got = vr.squared_error_sampler(X, c.mu, c.sigma_w2, c.sigma_eps2)(
        3, torch.Generator().manual_seed(5)
    )
    seed = int(torch.randint(0, 2**62, (1,), generator=torch.Generator().manual_seed(5)))
    z = torch.from_numpy(np.random.default_rng(seed).standard_normal((3, c.d + c.N)))
    w = z[:, : c.d].numpy() * math.sqrt(c.sigma_w2 / c.d)
    eps = z[:, c.d :].numpy() * math.sqrt(c.sigma_eps2)
    Xn = X.numpy()
    A = np.vstack([Xn, math.sqrt(c.mu) * np.eye(c.d)])
    for k in range(3):
        y = Xn @ w[k] + eps[k]
        w_mu = np.linalg.lstsq(A, np.concatenate([y, np.zeros(c.d)]), rcond=None)[0]
        assert got[k].item() == pytest.approx(np.sum((w_mu - w[k]) ** 2), rel=1e-9)


def test_the_slope_sampler_is_the_derivative_of_the_squared_error():
    c = vr.OPTIMUM
    X, h = c.design(), 1e-4
    slope = vr.slope_sampler(X, c.mu, c.sigma_w2, c.sigma_eps2)(4, torch.Generator().manual_seed(1))

    def err(m):
        return vr.squared_error_sampler(X, m, c.sigma_w2, c.sigma_eps2)(
            4, torch.Generator().manual_seed(1)
        )

    central = (err(c.mu + h) - err(c.mu - h)) / (2 * h)
    # central differences: error ~ h² |f'''| ≈ 1e-8 · O(1e-2), far below 1e-6
    assert torch.allclose(slope, central, rtol=0, atol=1e-6)


def _error_kappas(c) -> np.ndarray:
    """Eigenvalues κ_j of the covariance of w_μ − w for the fixed X of ``c``: one draw of
    ‖w_μ − w‖² is Σ κ_j χ²₁, with mean Σκ, variance 2Σκ², skewness √8 Σκ³/(Σκ²)^1.5 and
    excess kurtosis 12 Σκ⁴/(Σκ²)²."""
    X = c.design().numpy()
    H = X.T @ X
    inv = np.linalg.inv(H + c.mu * np.eye(c.d))
    # w_μ − w = −μ H_μ⁻¹ w + H_μ⁻¹ Xᵀ ε: the two covariances, added (w and ε independent)
    cov = c.mu**2 * c.sigma_w2 / c.d * inv @ inv + c.sigma_eps2 * inv @ H @ inv
    return np.linalg.eigvalsh(cov)


#: A shift of this many standard errors is rejected at level 1e-6 with probability 1 − 1e-6.
Z_REJECT = mc.critical_z(1e-6) + NormalDist().inv_cdf(1 - 1e-6)


@pytest.mark.parametrize("name", list(vr.CONFIGS))
def test_each_simulation_detects_a_one_percent_error(name):
    c = vr.CONFIGS[name]
    kappa = _error_kappas(c)
    cv = math.sqrt(2 * np.sum(kappa**2)) / np.sum(kappa)
    assert c.draws >= mc.required_draws(cv, 0.01)
    est = vr.simulated_risk(name, 0)
    assert est.std_error * math.sqrt(est.n) / est.mean == pytest.approx(cv, rel=0.05)
    assert est.tail_error < 0.05  # Edgeworth: the stated level 1e-6 holds within 5%


@pytest.mark.parametrize("name", list(vr.CONFIGS))
def test_each_draw_has_the_light_tail_of_a_chi_square_sum(name):
    # the simulated draws have the skewness and kurtosis of Σ κ_j χ²₁ (computed from the
    # covariance, not from the draws): an exponential tail, every moment finite
    c = vr.CONFIGS[name]
    kappa = _error_kappas(c)
    k2 = np.sum(kappa**2)
    skew = math.sqrt(8) * np.sum(kappa**3) / k2**1.5
    kurt = 12 * np.sum(kappa**4) / k2**2
    est = vr.simulated_risk(name, 0)
    # sampling error of the sample skewness and kurtosis at n ≥ 1.1e5: below 2% and 5% here
    assert est.skewness == pytest.approx(skew, rel=0.06)
    assert est.kurtosis == pytest.approx(kurt, rel=0.15)


def test_the_saddlepoint_cdf_matches_a_simulation():
    kappa = np.array([0.3, 0.1, 0.05])
    rng = np.random.default_rng(7)
    draws = (rng.chisquare(20, size=(200_000, 3)) * kappa).sum(axis=1)
    for q in (0.001, 0.5, 0.99):
        s = float(np.quantile(draws, q))
        assert vr.chi_square_sum_cdf(s, kappa, 20) == pytest.approx(q, rel=0.05, abs=2e-4)


def test_the_studentized_tails_match_a_simulation_where_the_normal_is_off():
    # at n = 200 draws of the square_small_mu law the lower tail at z = 3 is 2.5 times the
    # normal's: the prediction follows it (so at n = 330,000, where it is 1.0x, it can be
    # trusted). 20,000 studentized means: about 65 below −3, sampling error ±8.
    kappa = _error_kappas(vr.CONFIGS["square_small_mu"])
    n, reps = 200, 20_000
    x = np.random.default_rng(11).standard_normal((reps, n, kappa.size)) ** 2 @ kappa
    t = (x.mean(axis=1) - kappa.sum()) / (x.std(axis=1, ddof=1) / math.sqrt(n))
    low, high = vr.studentized_tails(kappa, n, 3.0)
    assert low > 2 * norm.sf(3.0) > 2 * high  # the normal is far off at this n
    assert np.sum(t <= -3) == pytest.approx(low * reps, abs=5 * math.sqrt(low * reps))
    assert np.sum(t >= 3) == pytest.approx(high * reps, abs=5 * math.sqrt(high * reps) + 2)


@pytest.mark.parametrize("name", list(vr.CONFIGS))
def test_the_false_alarm_rate_is_the_stated_level(name):
    # the level a z-test at 1e-6 actually has: within 2% of 1e-6 even for square_small_mu
    # (skewness 1.5), whose seed-1005 run fell at z = −5.16 (an event of probability 2.5e-7)
    assert np.allclose(vr.error_kappas(vr.CONFIGS[name]), _error_kappas(vr.CONFIGS[name]))
    assert vr.exact_level(name) == pytest.approx(1e-6, rel=0.02)


def _risk_of(candidate, c) -> float:
    """A wrong answer's risk at the setting ``c``, evaluated here (not by verify.ridge)."""
    eig = c.eigenvalues()
    if isinstance(candidate, sp.Basic):
        names = sp.symbols("lam mu sw2 se2 d N")
        f = sp.lambdify(names, candidate, "numpy")
        values = f(eig, c.mu, c.sigma_w2, c.sigma_eps2, c.d, c.N)
        return float(np.sum(np.broadcast_to(values, eig.shape)))
    return float(candidate(eig, c.mu, c.sigma_w2, c.sigma_eps2))


RISK_MUTATIONS = [
    (name, label) for name in vr.CONFIGS for label in vr.WRONG_ANSWERS[f"ridge.bayes_risk.{name}"]
]


@pytest.mark.parametrize(("name", "label"), RISK_MUTATIONS)
def test_each_wrong_risk_is_rejected_with_probability_one_minus_1e_6(name, label):
    # the truth is Σκ (from the error covariance); the wrong answer lies Z_REJECT or more
    # standard errors away, so its miss probability is at most 1e-6
    c = vr.CONFIGS[name]
    kappa = _error_kappas(c)
    se = math.sqrt(2 * np.sum(kappa**2) / c.draws)
    wrong = _risk_of(vr.WRONG_ANSWERS[f"ridge.bayes_risk.{name}"][label], c)
    assert abs(wrong - np.sum(kappa)) / se >= Z_REJECT


def test_the_new_mutations_are_listed_where_they_can_show():
    for name, c in vr.CONFIGS.items():
        labels = " ".join(vr.WRONG_ANSWERS[f"ridge.bayes_risk.{name}"])
        assert "σ_ε instead of σ_ε²" in labels
        assert ("σ_w²/N" in labels) == (c.N != c.d)
        assert ("null space dropped" in labels) == (c.N < c.d)
        assert 1.0 not in (c.mu, c.sigma_w2, c.sigma_eps2)
    assert sum(c.N != c.d for c in vr.CONFIGS.values()) >= 4
    o = vr.OPTIMUM
    assert 1.0 not in (o.sigma_w2, o.sigma_eps2) and o.N != o.d


def _exact_slope(c, mu: float) -> float:
    """dR̄/dμ from the trace form with explicit inverses: R̄ = μ² s tr(H_μ⁻²) + σ_ε² tr(H_μ⁻²H),
    s = σ_w²/d, and d(H_μ⁻²)/dμ = −2 H_μ⁻³."""
    X = c.design().numpy()
    H = X.T @ X
    inv = np.linalg.inv(H + mu * np.eye(c.d))
    inv2, inv3 = inv @ inv, inv @ inv @ inv
    s = c.sigma_w2 / c.d
    return float(
        2 * mu * s * np.trace(inv2)
        - 2 * mu**2 * s * np.trace(inv3)
        - 2 * c.sigma_eps2 * np.trace(inv3 @ H)
    )


@pytest.mark.parametrize("label", [*vr.WRONG_ANSWERS["ridge.optimal_mu"], "10% low", "10% high"])
def test_each_wrong_mu_star_has_a_slope_far_from_zero(label):
    # the claim needs the slope at the candidate μ to be consistent with 0: a wrong μ whose
    # exact slope is Z_REJECT standard errors from 0 is rejected with probability 1 − 1e-6;
    # the slope's spread per draw is measured at that μ with 4,000 draws (a few % accurate)
    c = vr.OPTIMUM
    right = c.d * c.sigma_eps2 / c.sigma_w2
    if label.startswith("10%"):
        mu = right * (0.9 if "low" in label else 1.1)
    else:
        f = sp.lambdify(sp.symbols("d sw2 se2"), vr.WRONG_ANSWERS["ridge.optimal_mu"][label])
        mu = float(f(c.d, c.sigma_w2, c.sigma_eps2))
    assert abs(mu / right - 1) >= 0.1 - 1e-12
    sampler = vr.slope_sampler(c.design(), mu, c.sigma_w2, c.sigma_eps2)
    spread = mc.estimate(sampler, 4000, seed=3).std_error * math.sqrt(4000)
    assert abs(_exact_slope(c, mu)) / (spread / math.sqrt(c.draws)) >= 1.1 * Z_REJECT


def test_the_exact_slope_vanishes_at_mu_star():
    c = vr.OPTIMUM
    mu_star = c.d * c.sigma_eps2 / c.sigma_w2
    assert abs(_exact_slope(c, mu_star)) < 1e-12
    assert _exact_slope(c, mu_star / 2) < 0 < _exact_slope(c, 2 * mu_star)


def test_ridge_claims_pass_and_a_near_miss_for_mu_star_fails():
    evidence = claims.run("ridge")
    assert len(evidence) == 7 and all(e.passed for e in evidence), claims.table(evidence)
    claim = claims.get("ridge.optimal_mu")
    for factor in (0.9, 1.1):
        assert not claim.check(lambda d, a, b, f=factor: f * d * b / a).passed


def test_a_typed_answer_is_read_by_name():
    from verify.answers import check_answer

    ok = check_answer("ridge.bayes_risk.tall_large_mu", "(sw2/d*mu^2 + se2*lam)/(lam + mu)^2")
    bad = check_answer("ridge.bayes_risk.tall_large_mu", "(sw2*mu^2 + se2*lam)/(lam + mu)^2")
    assert ok.passed and not bad.passed
    # N is a name a typed answer may use (the right answer does not): σ_w²/N is rejected
    rows = check_answer("ridge.bayes_risk.tall_large_mu", "(sw2/N*mu^2 + se2*lam)/(lam + mu)^2")
    assert not rows.passed and rows.witness is not None and "N" in rows.witness.point
    root = check_answer("ridge.bayes_risk.tall_large_mu", "(sw2/d*mu^2 + sigma_eps*lam)/(lam+mu)^2")
    assert not root.passed
    assert check_answer("ridge.optimal_mu", "d*se2/sw2").passed


def test_gaussian_mean_refuses_a_cubic():
    z = sp.Symbol("z")
    with pytest.raises(ValueError, match="degree <= 2"):
        rd.GaussianMean(z**3, ((z, 1),)).doit()
