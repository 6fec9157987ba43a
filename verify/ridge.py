"""Claims of the ridge topic: the Bayes risk and its optimal ``μ``, by simulation.

The measured side simulates the raw procedure and nothing else: draw a teacher
``w ~ N(0, (σ_w²/d) I)`` and noise ``ε ~ N(0, σ_ε² I)``, form ``y = Xw + ε``, solve the ridge
problem ``(XᵀX + μI) w_μ = Xᵀy`` (a Cholesky factor of ``XᵀX + μI`` is computed once per
design and reused for every draw; it still solves the problem) and record ``‖w_μ − w‖²``.
Nothing of the derivation (eigenvalues, traces, the formula) enters the simulation; the
eigenvalues of ``XᵀX`` are only the *input* of the formula being tested.

For ``μ*`` the simulation records, per draw, the derivative of ``‖w_μ − w‖²`` in ``μ``,
computed by torch's forward-mode autograd through ``torch.linalg.solve``; its mean is
``dR̄/dμ``. ``μ*`` passes when that mean is consistent with 0 at ``μ*`` and significantly
negative at ``μ*/2`` and positive at ``2μ*``: a stationary point where the risk turns from
falling to rising, i.e. the minimizer.

>>> e = get("ridge.bayes_risk.wide_small_mu").check()
>>> e.passed, e.method
(True, 'monte-carlo')
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations import ridge as rd
from verify.claims import Evidence, as_function, claim, get
from verify.lazy import lazy, torch

mc = lazy("verify.montecarlo")

#: Names a typed answer may use: the per-direction term in λ, μ, σ_w², σ_ε², d, and N (the
#: number of rows, which the right answer does not use but a wrong one may: σ_w²/N for σ_w²/d).
RISK_VARIABLES = ("lam", "mu", "sw2", "se2", "d", "N")
#: Names for a typed ``μ*``.
MU_VARIABLES = ("d", "sw2", "se2")


@dataclass(frozen=True)
class Config:
    """One simulated setting: a fixed design ``X`` (drawn once from ``design_seed``)."""

    d: int
    N: int
    mu: float
    sigma_w2: float
    sigma_eps2: float
    #: draws per claim: at least mc.required_draws(cv) for the cv of this setting, so a 1%
    #: error in the expected risk is caught at level 1e-6 (tests/test_ridge.py checks this)
    draws: int
    design_seed: int

    def design(self) -> torch.Tensor:
        """The fixed ``X``: i.i.d. ``N(0, 1)`` entries from ``design_seed``.

        >>> CONFIGS["tall_large_mu"].design().shape
        torch.Size([60, 20])
        """
        gen = torch.Generator().manual_seed(self.design_seed)
        return torch.randn(self.N, self.d, generator=gen, dtype=torch.float64)

    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``XᵀX`` from NumPy's symmetric eigensolver (round-off included).

        >>> bool(CONFIGS["wide_small_mu"].eigenvalues().min() < 1e-12)
        True
        """
        X = self.design().numpy()
        return np.linalg.eigvalsh(X.T @ X)

    def describe(self) -> str:
        shape = "<" if self.N < self.d else ("=" if self.N == self.d else ">")
        return (
            f"N = {self.N} {shape} d = {self.d}, μ = {self.mu:g}, σ_w² = {self.sigma_w2:g}, "
            f"σ_ε² = {self.sigma_eps2:g}"
        )


# Each setting is chosen so that both parts of the risk matter (the prior part (σ_w²/d)μ² and
# the noise part σ_ε²λ each carry at least 8% of it), and no parameter is 1: μ ≠ 1, σ_w² ≠ 1,
# σ_ε² ≠ 1, λ ≠ 1, d > 1. Otherwise a mutation such as μ for μ², σ_ε for σ_ε² or σ_w² for
# σ_w²/d would change the risk by less than the test can see. N ≠ d except in the two square
# settings, which are there for N = d itself (the smallest eigenvalues of XᵀX are tiny); the
# wide ones (N < d) have a null space, whose directions each add σ_w²/d to the risk; the wide
# and tall ones tell σ_w²/N from σ_w²/d. tests/test_ridge.py computes, for every wrong answer
# of WRONG_ANSWERS, how many standard errors it lies from the truth (at least 9.6: rejected
# with probability 1 − 1e-6).
CONFIGS: dict[str, Config] = {
    "wide_small_mu": Config(20, 10, 0.05, 1.5, 0.25, 140_000, 11),
    "wide_large_mu": Config(20, 10, 30.0, 2.0, 5.0, 110_000, 12),
    # N = d: the smallest eigenvalues are tiny, a few directions dominate, cv ≈ 0.56
    "square_small_mu": Config(20, 20, 0.2, 2.0, 0.2, 330_000, 13),
    "square_optimal_mu": Config(20, 20, 10.0, 0.8, 0.4, 140_000, 14),
    "tall_small_mu": Config(20, 60, 0.5, 4.0, 0.02, 160_000, 15),
    "tall_large_mu": Config(20, 60, 50.0, 3.0, 2.5, 125_000, 16),
}

#: The setting of the ``μ*`` claim; μ* = d σ_ε²/σ_w² = 6. No parameter is 1 and their logarithms
#: are unrelated (log σ_ε²/log σ_w² is not a ratio of small integers), so a μ* with σ_w², σ_ε² or
#: d raised to another power differs from 6 by a large factor. With 20,000 draws a μ 10% off is
#: rejected at level 1e-6 (tests/test_ridge.py checks it); at μ*/2 and 2μ* the slopes are tens
#: of standard errors from zero.
OPTIMUM = Config(20, 40, 6.0, 2.5, 0.75, 20_000, 21)


def standard_normals(n: int, cols: int, gen: torch.Generator) -> torch.Tensor:
    """``n × cols`` i.i.d. standard normals (float64) on ``gen.device``, fixed by ``gen``.

    On the CPU they come from NumPy's ziggurat generator, seeded by one draw from ``gen``:
    drawing normals is what bounds this simulation, and the ziggurat is about twice as fast
    as ``torch.randn``'s Box–Muller here. On another device ``torch.randn`` draws them there.

    >>> z = standard_normals(4, 3, torch.Generator().manual_seed(0))
    >>> z.shape, z.dtype
    (torch.Size([4, 3]), torch.float64)
    """
    if gen.device.type != "cpu":
        return torch.randn(n, cols, generator=gen, dtype=torch.float64, device=gen.device)
    seed = int(torch.randint(0, 2**62, (1,), generator=gen))
    return torch.from_numpy(np.random.default_rng(seed).standard_normal((n, cols)))


def squared_error_sampler(X: torch.Tensor, mu: float, sigma_w2: float, sigma_eps2: float):
    """A sampler of ``‖w_μ − w‖²``: draw ``w`` and ``ε``, solve the ridge problem, measure.

    >>> X = torch.eye(2, dtype=torch.float64)
    >>> s = squared_error_sampler(X, 1.0, 2.0, 1.0)
    >>> s(4, torch.Generator().manual_seed(0)).shape
    torch.Size([4])
    """
    n_rows, dim = X.shape
    X = X.to(torch.float64)
    # the ridge solution is linear in y: solve H_μ K = Xᵀ once (Cholesky), then every draw's
    # w_μ = H_μ⁻¹Xᵀy is K y, one matrix product for a whole batch
    chol = torch.linalg.cholesky(X.T @ X + mu * torch.eye(dim, dtype=torch.float64))
    solve_t = torch.cholesky_solve(X.T, chol).T.contiguous()  # Kᵀ, N × d
    w_scale, eps_scale = math.sqrt(sigma_w2 / dim), math.sqrt(sigma_eps2)

    def sampler(n: int, gen: torch.Generator) -> torch.Tensor:
        dev = gen.device
        z = standard_normals(n, dim + n_rows, gen)
        z_w, z_eps = z[:, :dim], z[:, dim:]  # w = w_scale z_w, ε = eps_scale z_eps
        # one row per draw: y = X w + ε, the scales folded into the products
        y = torch.addmm(z_eps, z_w, X.T.to(dev), beta=eps_scale, alpha=w_scale)
        error = torch.addmm(z_w, y, solve_t.to(dev), beta=-w_scale)  # w_μ − w = K y − w
        return error.square_().sum(dim=1)

    return sampler


def slope_sampler(X: torch.Tensor, mu: float, sigma_w2: float, sigma_eps2: float):
    """A sampler of ``d/dμ ‖w_μ − w‖²`` by forward-mode autograd through the ridge solve.

    >>> X = torch.eye(2, dtype=torch.float64)
    >>> s = slope_sampler(X, 1.0, 2.0, 1.0)
    >>> s(3, torch.Generator().manual_seed(0)).shape
    torch.Size([3])
    """
    n_rows, dim = X.shape
    X = X.to(torch.float64)
    H = X.T @ X
    eye = torch.eye(dim, dtype=torch.float64)
    w_scale, eps_scale = math.sqrt(sigma_w2 / dim), math.sqrt(sigma_eps2)

    def sampler(n: int, gen: torch.Generator) -> torch.Tensor:
        z = standard_normals(n, dim + n_rows, gen)
        w, eps = z[:, :dim] * w_scale, z[:, dim:] * eps_scale
        xty = ((w @ X.T + eps) @ X).T

        def squared_error(m):
            return ((torch.linalg.solve(H + m * eye, xty).T - w) ** 2).sum(dim=1)

        m0 = torch.tensor(float(mu), dtype=torch.float64)
        with warnings.catch_warnings():
            # forward AD loads torch's own decompositions through torch.jit.script the first
            # time, which warns about torch.jit's deprecation: torch's business, not ours, and
            # a warning on stderr would fail a book page
            warnings.filterwarnings(
                "ignore", "`torch.jit.script` is deprecated", DeprecationWarning
            )
            return torch.func.jvp(squared_error, (m0,), (torch.ones_like(m0),))[1]

    return sampler


def _risk_function(candidate, n_rows: int):
    """The candidate as ``risk(eigenvalues, mu, sigma_w2, sigma_eps2)``; an expression is one
    direction's risk, summed over the spectrum with ``d = len(eigenvalues)`` and ``N = n_rows``.
    """
    if isinstance(candidate, sp.Basic):
        term = as_function(candidate, RISK_VARIABLES, vectorized=True)

        def risk(eigenvalues, mu, sigma_w2, sigma_eps2):
            lams = np.asarray(eigenvalues, dtype=np.float64)
            values = term(lams, mu, sigma_w2, sigma_eps2, lams.size, n_rows)
            return float(np.sum(np.broadcast_to(values, lams.shape)))

        return risk
    if callable(candidate):
        return candidate
    raise TypeError(
        "candidate: a SymPy expression in lam, mu, sw2, se2, d, N (one direction's risk) or a "
        f"function (eigenvalues, mu, sigma_w2, sigma_eps2) -> risk is required, got {candidate!r}"
    )


@lru_cache(maxsize=64)
def simulated_risk(name: str, seed: int) -> mc.Estimate:
    """The Monte Carlo estimate of ``E‖w_μ − w‖²`` for ``CONFIGS[name]`` from ``seed``.

    The simulation does not depend on the candidate being checked, so it is kept: checking
    several wrong answers against the same seed reuses one simulation.

    >>> simulated_risk("tall_large_mu", 0).n
    125000
    """
    c = CONFIGS[name]
    sampler = squared_error_sampler(c.design(), c.mu, c.sigma_w2, c.sigma_eps2)
    return mc.estimate(sampler, c.draws, seed=seed)


@lru_cache(maxsize=64)
def simulated_slope(mu: float, seed: int) -> mc.Estimate:
    """The Monte Carlo estimate of ``dR̄/dμ`` at ``mu`` for :data:`OPTIMUM` from ``seed``.

    >>> simulated_slope(20.0, 0).mean > 0
    True
    """
    c = OPTIMUM
    return mc.estimate(slope_sampler(c.design(), mu, c.sigma_w2, c.sigma_eps2), c.draws, seed=seed)


def error_kappas(config: Config) -> np.ndarray:
    """Eigenvalues ``κ_j`` of the covariance of ``w_μ − w`` for the fixed design of ``config``.

    ``w_μ − w = −μ H_μ⁻¹ w + H_μ⁻¹ Xᵀ ε`` is Gaussian, so one draw of ``‖w_μ − w‖²`` is
    ``Σ_j κ_j χ²₁``: the law of the simulated quantity, used only to size the test and to
    compute its level (:func:`exact_level`), never as the value tested.

    >>> k = error_kappas(CONFIGS["square_small_mu"])
    >>> k.shape, bool(k.min() > 0)
    ((20,), True)
    """
    if not isinstance(config, Config):
        raise TypeError(f"config: a verify.ridge.Config is required, got {config!r}")
    X = config.design().numpy()
    H = X.T @ X
    inv = np.linalg.inv(H + config.mu * np.eye(config.d))
    cov = config.mu**2 * config.sigma_w2 / config.d * inv @ inv
    cov += config.sigma_eps2 * inv @ H @ inv
    return np.linalg.eigvalsh(cov)


def chi_square_sum_cdf(s: float, kappa, n: int) -> float:
    """``P(Σ_j κ_j χ²_n ≤ s)`` by the Lugannani–Rice saddlepoint formula (relative error O(1/n)).

    ``κ_j > 0``; the ``χ²_n`` are independent. With one term it is the chi-square law itself:

    >>> from scipy.stats import chi2
    >>> round(chi_square_sum_cdf(30.0, [1.0], 20), 4), round(float(chi2.cdf(30.0, 20)), 4)
    (0.9301, 0.9301)
    """
    from scipy.optimize import brentq
    from scipy.stats import norm

    kappa = np.asarray(kappa, dtype=np.float64)
    if kappa.ndim != 1 or kappa.size == 0 or not np.all(np.isfinite(kappa) & (kappa > 0)):
        raise ValueError(
            f"kappa: a non-empty 1-d array of finite numbers > 0 is required, got {kappa}"
        )
    n = arg.count(n, "n")
    s = arg.real(s, "s", low=0)
    mean = n * float(kappa.sum())
    if s == mean:
        s = mean * (1 + 1e-12)  # the formula is 0/0 at the mean; its limit is continuous

    def cgf(t):
        return -n / 2 * float(np.sum(np.log1p(-2 * kappa * t)))

    def slope(t):
        return n * float(np.sum(kappa / (1 - 2 * kappa * t)))

    top = (1 - 1e-12) / (2 * kappa.max())
    t = brentq(lambda t: slope(t) - s, -1e6 / kappa.max(), top, xtol=1e-300, rtol=1e-15)
    w = math.copysign(math.sqrt(max(2 * (t * s - cgf(t)), 0.0)), t)
    u = t * math.sqrt(2 * n * float(np.sum(kappa**2 / (1 - 2 * kappa * t) ** 2)))
    return float(norm.cdf(w) - norm.pdf(w) * (1 / u - 1 / w))


def studentized_tails(kappa, n: int, z: float) -> tuple[float, float]:
    """``P(t ≤ −z)`` and ``P(t ≥ z)`` for the studentized mean ``t`` of ``n`` draws of
    ``Σ_j κ_j χ²₁``.

    The sum of ``n`` draws is ``Σ_j κ_j χ²_n`` exactly, so the tails of the standardized mean
    ``Z`` follow from :func:`chi_square_sum_cdf`. The sample standard deviation is correlated
    with the mean through the third moment, so ``t = Z − γZ²/(2√n)`` to first order (``γ`` the
    skewness of one draw); the rest of its spread moves each tail by about
    ``(z²(z² − 1)/2)·Var(s/σ)`` relative, below 10⁻³ for the claims' ``n``. Right-skewed
    draws make the lower tail the heavier one:

    >>> low, high = studentized_tails([1.0, 0.5], 100, 3.0)
    >>> bool(low > 0.00135 > high)  # the normal's tail: Φ(−3) = 0.00135
    True
    """
    kappa = np.asarray(kappa, dtype=np.float64)
    n = arg.count(n, "n", minimum=2)
    z = arg.positive(z, "z")
    mean, sd = n * float(kappa.sum()), math.sqrt(2 * float(np.sum(kappa**2)) * n)
    gamma = math.sqrt(8) * float(np.sum(kappa**3)) / float(np.sum(kappa**2)) ** 1.5
    shift = gamma * z * z / (2 * math.sqrt(n))
    low = chi_square_sum_cdf(max(mean - (z - shift) * sd, 0.0), kappa, n)
    high = 1 - chi_square_sum_cdf(mean + (z + shift) * sd, kappa, n)
    return low, high


def exact_level(name: str, level: float = 1e-6) -> float:
    """The false-alarm rate the z-test of ``ridge.bayes_risk.<name>`` actually has at the
    nominal ``level``: both tails of :func:`studentized_tails` beyond the critical value.

    >>> round(exact_level("square_small_mu") / 1e-6, 2)
    1.01
    """
    if name not in CONFIGS:
        raise ValueError(f"name: one of {sorted(CONFIGS)} is required, got {name!r}")
    c = CONFIGS[name]
    return sum(studentized_tails(error_kappas(c), c.draws, mc.critical_z(level)))


def _risk_check(name: str):
    config = CONFIGS[name]
    claim_id = f"ridge.bayes_risk.{name}"

    def check(candidate, seed: int) -> Evidence:
        risk = _risk_function(candidate, config.N)
        expected = float(risk(config.eigenvalues(), config.mu, config.sigma_w2, config.sigma_eps2))
        point = {
            "N": config.N,
            "d": config.d,
            "mu": config.mu,
            "sw2": config.sigma_w2,
            "se2": config.sigma_eps2,
        }
        return mc.evidence(claim_id, simulated_risk(name, seed), expected, point=point)

    return check


def _mu_function(candidate):
    if isinstance(candidate, sp.Basic):
        return as_function(candidate, MU_VARIABLES)
    if callable(candidate):
        return candidate
    raise TypeError(
        "candidate: a SymPy expression in d, sw2, se2 or a function (d, sigma_w2, sigma_eps2) "
        f"-> mu is required, got {candidate!r}"
    )


def _optimum_check(candidate, seed: int) -> Evidence:
    c = OPTIMUM
    mu_c = float(_mu_function(candidate)(c.d, c.sigma_w2, c.sigma_eps2))
    if not (math.isfinite(mu_c) and mu_c > 0):
        return Evidence(passed=False, measured=mu_c, message=f"μ = {mu_c} ≤ 0")
    # three independent streams from one seed: the slope at mu_c/2, mu_c and 2 mu_c
    at = {k: simulated_slope(k * mu_c, 3 * seed + i) for i, k in enumerate((0.5, 1.0, 2.0))}
    setting = {"d": c.d, "sw2": c.sigma_w2, "se2": c.sigma_eps2, "mu": mu_c}
    ev = mc.evidence("ridge.optimal_mu", at[1.0], 0.0, point=setting)
    falls = at[0.5].interval[1] < 0
    rises = at[2.0].interval[0] > 0
    ev.passed = ev.passed and falls and rises
    ev.message = (
        f"dR/dμ at μ = {mu_c:.4g}: {at[1.0].mean:.3g} ± {at[1.0].half_width:.2g} (zero?); "
        f"at μ/2: {at[0.5].mean:.3g} ({'< 0' if falls else 'not < 0'}), "
        f"at 2μ: {at[2.0].mean:.3g} ({'> 0' if rises else 'not > 0'})"
    )
    ev.details.update(mu=mu_c, slope_half=at[0.5].mean, slope_double=at[2.0].mean)
    return ev


#: The derivation's symbols under the names a typed answer uses.
_NAMES = {rd.lam: "lam", rd.mu: "mu", rd.sigma_w2: "sw2", rd.sigma_eps2: "se2", rd.d: "d"}
#: What each name ranges over: eigenvalues λ ≥ 0, μ > 0, the variances > 0, d ≥ 1 an integer.
RISK_DOMAIN = {
    "lam": (0, math.inf),
    "mu": (0, math.inf),
    "sw2": (0, math.inf),
    "se2": (0, math.inf),
    "d": (1, math.inf, "integer"),
    "N": (1, math.inf, "integer"),
}


def _renamed(expr: sp.Expr) -> sp.Expr:
    """``expr`` in symbols named as a typed answer names them (assumptions kept)."""
    return expr.xreplace({s: sp.Symbol(_NAMES[s], **s.assumptions0) for s in expr.free_symbols})


def _declare():
    for name, config in CONFIGS.items():
        claim(
            f"ridge.bayes_risk.{name}",
            f"E‖w_μ − w‖² = Σ_i ((σ_w²/d)μ² + σ_ε²λ_i)/(λ_i + μ)² for {config.describe()}",
            method="monte-carlo",
            answer="expression",
            variables=RISK_VARIABLES,
            derived=lambda: _renamed(rd.RISK_TERM),
            domain=RISK_DOMAIN,
        )(_risk_check(name))
    claim(
        "ridge.optimal_mu",
        f"μ* = d σ_ε²/σ_w² minimizes the Bayes risk ({OPTIMUM.describe().split(', μ')[0]}, "
        f"σ_w² = {OPTIMUM.sigma_w2:g}, σ_ε² = {OPTIMUM.sigma_eps2:g})",
        method="monte-carlo",
        answer="expression",
        variables=MU_VARIABLES,
        derived=lambda: _renamed(rd.optimum()[1]),
        domain={k: RISK_DOMAIN[k] for k in MU_VARIABLES},
    )(_optimum_check)


_declare()


# --- plausible wrong answers (tests/test_mutations.py asserts each is rejected) ------------
def _null_space_dropped(eigenvalues, mu, sigma_w2, sigma_eps2):
    """The risk summed over the nonzero eigenvalues only (``d`` still the dimension): the
    directions X does not see are forgotten, though each adds σ_w²/d (the student answers 0
    there)."""
    lams = np.asarray(eigenvalues, dtype=np.float64)
    seen = lams[lams > rd.EIGEN_RTOL * lams.max()]
    return float(np.sum((sigma_w2 / lams.size * mu**2 + sigma_eps2 * seen) / (seen + mu) ** 2))


def _wrong_answers() -> dict:
    """One direction's risk in lam, mu, sw2, se2, d, N (the claim sums it over the spectrum),
    and μ* in d, sw2, se2: each with a plausible slip."""
    lam, mu, sw2, se2, d, N = sp.symbols("lam mu sw2 se2 d N")
    risk = {
        "μ instead of μ²": (sw2 / d * mu + se2 * lam) / (lam + mu) ** 2,
        "λ_i squared in the numerator": (sw2 / d * mu**2 + se2 * lam**2) / (lam + mu) ** 2,
        "σ_w² instead of σ_w²/d": (sw2 * mu**2 + se2 * lam) / (lam + mu) ** 2,
        "(λ_i + μ) not squared": (sw2 / d * mu**2 + se2 * lam) / (lam + mu),
        "σ_ε instead of σ_ε²": (sw2 / d * mu**2 + sp.sqrt(se2) * lam) / (lam + mu) ** 2,
    }
    out = {}
    for name, config in CONFIGS.items():
        out[f"ridge.bayes_risk.{name}"] = wrong = dict(risk)
        if config.N != config.d:  # at N = d the two are the same number
            wrong["σ_w²/N instead of σ_w²/d"] = (sw2 / N * mu**2 + se2 * lam) / (lam + mu) ** 2
        if config.N < config.d:  # only a wide X has a null space to drop
            wrong["null space dropped: the sum runs over the N nonzero eigenvalues"] = (
                _null_space_dropped
            )
    out["ridge.optimal_mu"] = {
        "d forgotten: σ_ε²/σ_w²": se2 / sw2,
        "ratio inverted: d σ_w²/σ_ε²": d * sw2 / se2,
        "d in the denominator: σ_ε²/(d σ_w²)": se2 / (d * sw2),
        "standard deviations: d σ_ε/σ_w": d * sp.sqrt(se2 / sw2),
        "σ_w² left out: d σ_ε²": d * se2,
        "σ_w² squared: d σ_ε²/σ_w⁴": d * se2 / sw2**2,
        "σ_w (not squared) below: d σ_ε²/σ_w": d * se2 / sp.sqrt(sw2),
        "σ_w³ below: d σ_ε²/σ_w³": d * se2 / sw2 ** sp.Rational(3, 2),
        "σ_w² above: d σ_ε² σ_w²": d * se2 * sw2,
    }
    return out


#: claim id -> {label: wrong answer}
WRONG_ANSWERS = _wrong_answers()

__all__ = [
    "CONFIGS",
    "WRONG_ANSWERS",
    "OPTIMUM",
    "standard_normals",
    "squared_error_sampler",
    "slope_sampler",
    "error_kappas",
    "chi_square_sum_cdf",
    "studentized_tails",
    "exact_level",
    "get",
]
