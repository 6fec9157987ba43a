"""The ridge topic: derivations, the closed forms, bad input, and the simulation's sizing.

Reference values are computed here by other routes: by hand, from the trace form with
explicit matrix inverses, by a numerical minimizer, by NumPy's least squares.
"""

import math

import numpy as np
import pytest
import sympy as sp
import torch
from scipy.optimize import minimize_scalar

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
    assert rd.bayes_risk(eig, 0.5, 1.0, 1.0) == pytest.approx(
        rd.bayes_risk(clean, 0.5, 1.0, 1.0), rel=1e-12
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


@pytest.mark.parametrize("name", list(vr.CONFIGS))
def test_each_simulation_detects_a_one_percent_error(name):
    # ‖w_μ − w‖² is a sum Σ κ_j χ²₁ over the eigenvalues κ_j of the error covariance
    # μ²(σ_w²/d) H_μ⁻² + σ_ε² H_μ⁻¹ H H_μ⁻¹: mean Σκ, variance 2Σκ² — hence its cv
    c = vr.CONFIGS[name]
    X = c.design().numpy()
    H = X.T @ X
    inv = np.linalg.inv(H + c.mu * np.eye(c.d))
    cov = c.mu**2 * c.sigma_w2 / c.d * inv @ inv + c.sigma_eps2 * inv @ H @ inv
    kappa = np.linalg.eigvalsh(cov)
    cv = math.sqrt(2 * np.sum(kappa**2)) / np.sum(kappa)
    assert c.draws >= mc.required_draws(cv, 0.01)
    est = vr.simulated_risk(name, 0)
    assert est.std_error * math.sqrt(est.n) / est.mean == pytest.approx(cv, rel=0.05)
    assert est.tail_error < 0.5  # the stated level 1e-6 holds within 50%


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
    assert check_answer("ridge.optimal_mu", "d*se2/sw2").passed


def test_gaussian_mean_refuses_a_cubic():
    z = sp.Symbol("z")
    with pytest.raises(ValueError, match="degree <= 2"):
        rd.GaussianMean(z**3, ((z, 1),)).doit()
