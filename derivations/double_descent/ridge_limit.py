"""The proportional limit of the ridge risk (Marchenko–Pastur) and its optimal ``λ``.

Ridge with ``λ`` per sample, ``ŵ_λ = (XᵀX + NλI)⁻¹Xᵀy``, rows ``x ~ N(0, I_d)``,
``d/N → γ``. With ``Σ̂ = XᵀX/N`` the error is ``ŵ_λ − w* = −λ(Σ̂ + λ)⁻¹w* + (XᵀX + Nλ)⁻¹Xᵀε``,
so ``E‖ŵ_λ − w*‖² = λ²w*ᵀE(Σ̂ + λ)⁻²w* + (σ²/N) E tr Σ̂(Σ̂ + λ)⁻²``. The spectrum of ``Σ̂``
tends to the Marchenko–Pastur law ``μ_γ`` (Marchenko & Pastur 1967; Bai & Silverstein 2010,
ch. 3), whose Stieltjes transform ``m(z) = ∫ dμ_γ(s)/(s − z)`` solves
``γ z m² − (1 − γ − z) m + 1 = 0``. With ``m = m(−λ)`` and ``m' = ∫ dμ_γ/(s + λ)²``, the risk
tends to (Hastie, Montanari, Rosset & Tibshirani 2019, Thm 5 for isotropic features;
Dobriban & Wager 2018)

``R(γ, λ) = ‖w*‖² λ² m' + σ² γ (m − λ m')``,

minimized by ``λ* = σ²γ/‖w*‖²``; at ``λ → 0`` it is the min-norm limit.

>>> round(ridge_limit_risk(1.0, 0.3, 0.6, 2.5), 6)  # finite at the threshold γ = 1
0.967849
>>> optimal_lambda(2.0, 0.6, 2.5)
0.48
"""

from __future__ import annotations

import math
from functools import lru_cache

import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.printing import Equation
from derivations.render import Reason

gamma = sp.Symbol("gamma", positive=True)
lam = sp.Symbol("lambda", positive=True)
sigma2 = sp.Symbol("sigma^2", positive=True)
w_norm2 = sp.Symbol("r^2", positive=True)
z = sp.Symbol("z")

_b = 1 - gamma + lam
#: ``m(−λ)``: the root of the Marchenko–Pastur equation that is ``~1/λ`` as ``λ → ∞``
M = (-_b + sp.sqrt(_b**2 + 4 * gamma * lam)) / (2 * gamma * lam)
#: ``m' = ∫ dμ/(s + λ)² = −dm(−λ)/dλ``
M_PRIME = -sp.diff(M, lam)
#: the limit risk
RISK = w_norm2 * lam**2 * M_PRIME + sigma2 * gamma * (M - lam * M_PRIME)
LAMBDA_STAR = sigma2 * gamma / w_norm2


@lru_cache
def stieltjes_equation() -> Derivation:
    """``m(−λ)`` solves the Marchenko–Pastur equation at ``z = −λ``.

    >>> stieltjes_equation().result
    0
    """
    mm = sp.Symbol("m")
    steps = [
        Step(
            (gamma * z * mm**2 - (1 - gamma - z) * mm + 1).subs({z: -lam, mm: M}),
            Reason("{} at z = −λ", (Equation(gamma * z * mm**2 - (1 - gamma - z) * mm + 1, 0),)),
        ),
        Step(sp.Integer(0), "the closed form of m(−λ) is its root (Marchenko & Pastur 1967)"),
    ]
    return Derivation("the Marchenko–Pastur Stieltjes transform", [gamma, lam], steps)


@lru_cache
def optimum() -> Derivation:
    """``dR/dλ = 0`` at ``λ* = σ²γ/‖w*‖²`` (the finite-sample ``μ* = dσ²/‖w*‖²`` over ``N``).

    >>> optimum().result
    0
    """
    steps = [
        Step(sp.Subs(sp.Derivative(RISK, lam), lam, LAMBDA_STAR), "the slope of the limit risk"),
        Step(sp.Integer(0), Reason("{}: SymPy simplifies the slope there to 0", (lam,))),
    ]
    return Derivation(
        "the optimal ridge λ* = σ²γ/‖w*‖² (Dobriban & Wager 2018)",
        [gamma, sigma2, w_norm2],
        steps,
        points=6,
        domain={gamma: (0.2, 4), sigma2: (0.1, 3), w_norm2: (0.1, 3)},
    )


@lru_cache
def ridgeless() -> tuple[Derivation, Derivation]:
    """``λ → 0``: ``σ²γ/(1 − γ)`` below the threshold, ``‖w*‖²(1 − 1/γ) + σ²/(γ − 1)`` above,
    written with ``γ = 1/(1 + a)`` and ``γ = 1 + a`` (``a > 0``) so SymPy knows the side.

    >>> [dv.result for dv in ridgeless()]
    [sigma^2/a, r^2*(1 - 1/(a + 1)) + sigma^2/a]
    """
    a = sp.Symbol("a", positive=True)
    out = []
    for g, limit, side in (
        (1 / (1 + a), sigma2 / a, "gamma = 1/(1 + a) < 1"),
        (1 + a, w_norm2 * (1 - 1 / (1 + a)) + sigma2 / a, "gamma = 1 + a > 1"),
    ):
        out.append(
            Derivation(
                f"ridgeless limit, {side}",
                [a, sigma2, w_norm2],
                [
                    Step(sp.Limit(RISK.subs(gamma, g), lam, 0, "+"), "λ → 0⁺ of R(γ, λ)"),
                    Step(limit, "the min-norm proportional limit (Hastie et al. 2019, Thm 1)"),
                ],
                points=6,
            )
        )
    return out[0], out[1]


_m = sp.lambdify((gamma, lam), M, "math")
_risk = sp.lambdify((gamma, lam, sigma2, w_norm2), RISK, "math")


def _gamma(value) -> float:
    return arg.positive(value, "gamma")


def stieltjes(gamma, lam) -> float:  # noqa: F811 - the function of the symbols above
    """``m(−λ) = ∫ dμ_γ(s)/(s + λ)`` for the Marchenko–Pastur law of ratio ``γ``.

    >>> round(stieltjes(1.0, 2.0), 12)  # (−2 + √(4 + 8))/4
    0.366025403784
    """
    return float(_m(_gamma(gamma), arg.positive(lam, "lam")))


def ridge_limit_risk(gamma, lam, sigma2, w_norm2) -> float:  # noqa: F811
    """``R(γ, λ)``; ``λ = 0`` is the min-norm limit (``inf`` at ``γ = 1``).

    >>> ridge_limit_risk(0.5, 0.0, 0.6, 2.5) == min_norm_limit(0.5, 0.6, 2.5)
    True
    >>> ridge_limit_risk(0.5, -1.0, 0.6, 2.5)
    Traceback (most recent call last):
    ...
    ValueError: lam: a finite real number >= 0 is required, got -1.0
    """
    g, lm = _gamma(gamma), arg.non_negative(lam, "lam")
    s2, w2 = arg.non_negative(sigma2, "sigma2"), arg.non_negative(w_norm2, "w_norm2")
    if lm == 0:
        return min_norm_limit(g, s2, w2)
    return float(_risk(g, lm, s2, w2))


def optimal_lambda(gamma, sigma2, w_norm2) -> float:  # noqa: F811
    """``λ* = σ²γ/‖w*‖²``.

    >>> optimal_lambda(1.0, 0.6, 0.0)
    Traceback (most recent call last):
    ...
    ValueError: w_norm2: a finite real number > 0 is required, got 0.0
    """
    g, s2 = _gamma(gamma), arg.non_negative(sigma2, "sigma2")
    return s2 * g / arg.positive(w_norm2, "w_norm2")


def min_norm_limit(gamma, sigma2, w_norm2) -> float:  # noqa: F811
    """The proportional limit of the min-norm risk (``inf`` at ``γ = 1``).

    >>> min_norm_limit(0.5, 0.6, 2.5), min_norm_limit(2.0, 0.6, 2.5)
    (0.6, 1.85)
    """
    g = _gamma(gamma)
    s2, w2 = arg.non_negative(sigma2, "sigma2"), arg.non_negative(w_norm2, "w_norm2")
    if g < 1:
        return s2 * g / (1 - g)
    if g > 1:
        return w2 * (1 - 1 / g) + s2 / (g - 1)
    return math.inf
