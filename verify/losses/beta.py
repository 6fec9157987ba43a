"""The checks of the claims on the law of λ ~ Beta(α, α): a z-test of the variance and a
Kolmogorov–Smirnov test whose level and power follow from the DKW inequality.

>>> round(dkw_epsilon(LAW_DRAWS), 4)
0.0138
"""

from __future__ import annotations

import math

import numpy as np

from verify.claims import Evidence
from verify.evidence import Witness
from verify.lazy import lazy
from verify.losses.compare import as_vector_function

mc = lazy("verify.montecarlo")

#: The two α of the λ claims: U-shaped (α < 1) and peaked (α > 1); neither is 1, where every
#: Beta(α, α) law that is wrong only in how it depends on α would agree with the right one.
ALPHAS = (0.4, 2.5)
#: The level of each of the two tests of a λ claim (Bonferroni: the claim's level is 1e-6).
SUB_LEVEL = 5e-7
#: Draws per α of the variance claim: ``mc.required_draws(cv, 0.01, level=5e-7)`` for the cv of
#: ``(λ − ½)²`` (0.65 at α = 0.4, 1.12 at α = 2.5; tests/test_losses.py checks it).
VARIANCE_DRAWS = {0.4: 420_000, 2.5: 1_250_000}
#: Draws per α of the law claim, and the grid its CDFs are compared on.
LAW_DRAWS = 40_000
LAW_GRID = np.linspace(0.0, 1.0, 101)[1:]


def dkw_epsilon(n: int, level: float = SUB_LEVEL) -> float:
    """``ε`` with ``P(sup|F_n − F| > ε) ≤ 2exp(−2nε²) = level`` (Massart's DKW bound).

    >>> round(dkw_epsilon(40_000), 4)
    0.0138
    """
    return math.sqrt(math.log(2 / level) / (2 * n))


def _beta_sampler(a: float, transform):
    torch = __import__("torch")

    def sampler(n, gen):
        seed = int(torch.randint(0, 2**62, (1,), generator=gen))
        draws = np.random.default_rng(seed).beta(a, a, n)
        return torch.from_numpy(transform(draws))

    return sampler


def _variance_check(candidate, seed: int) -> Evidence:
    f = as_vector_function(candidate, ("alpha",))
    worst = None
    for i, a in enumerate(ALPHAS):
        est = mc.estimate(
            _beta_sampler(a, lambda x: (x - 0.5) ** 2),
            VARIANCE_DRAWS[a],
            seed=2 * seed + i,
            level=SUB_LEVEL,
        )
        with np.errstate(all="ignore"):
            value = float(np.asarray(f(a), dtype=np.float64))
        ev = mc.evidence("losses.mixup.lambda_variance", est, value, point={"alpha": a})
        if worst is None or (ev.p_value or 0) < (worst.p_value or 0):
            worst = ev
    worst.claim_id = ""
    worst.message = f"𝔼[(λ − ½)²] at α = {worst.witness.point['alpha']}: " + worst.message
    return worst


def candidate_cdf(density, a: float, grid=LAW_GRID) -> np.ndarray:
    """``∫₀^g density(λ, α) dλ`` at each grid point (adaptive quadrature, interval by interval).

    >>> bool(abs(candidate_cdf(lambda lam, alpha: 1.0 + 0 * lam, 2.5)[-1] - 1) < 1e-12)
    True
    """
    import warnings

    from scipy.integrate import IntegrationWarning, quad

    def f(x):
        with np.errstate(all="ignore"):
            return float(np.asarray(density(x, a), dtype=np.float64))

    out, total, left = [], 0.0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        for g in grid:
            try:
                part = quad(f, left, float(g), limit=200)[0]
            except (ValueError, ZeroDivisionError, OverflowError):
                part = math.nan
            total += part
            out.append(total)
            left = float(g)
    return np.array(out)


def _law_check(candidate, seed: int) -> Evidence:
    f = as_vector_function(candidate, ("lam", "alpha"))
    eps = dkw_epsilon(LAW_DRAWS)
    worst = None
    for i, a in enumerate(ALPHAS):
        draws = np.sort(np.random.default_rng([18, seed, i]).beta(a, a, LAW_DRAWS))
        empirical = np.searchsorted(draws, LAW_GRID, side="right") / LAW_DRAWS
        cdf = candidate_cdf(f, a)
        gap = np.where(np.isfinite(cdf), np.abs(cdf - empirical), np.inf)
        j = int(np.argmax(gap))
        if worst is None or gap[j] > worst[0]:
            worst = (float(gap[j]), a, float(LAW_GRID[j]), float(cdf[j]), float(empirical[j]))
    gap, a, g, mine, theirs = worst
    passed = gap <= eps
    return Evidence(
        passed=passed,
        expected=mine,
        measured=theirs,
        error=gap,
        tolerance=eps,
        n=LAW_DRAWS * len(ALPHAS),
        message=(
            f"Kolmogorov–Smirnov on a grid of {LAW_GRID.size}: largest |F_n − F| = {gap:.3g} "
            f"(α = {a}, λ = {g:.2f}) against the DKW bound {eps:.3g} at level 1e-6"
        ),
        witness=Witness({"alpha": a, "lam": g}, mine, theirs),
    )
