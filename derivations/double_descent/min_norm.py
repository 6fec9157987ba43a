"""The exact finite-sample risk of min-norm least squares with isotropic Gaussian features.

Rows ``x ~ N(0, I_d)``, labels ``y = xᵀw* + ε`` with ``ε ~ N(0, σ²)``, ``N`` rows stacked in
``X``; the student answers ``ŵ = X⁺y`` (the least-squares solution of smallest norm).

- ``N ≥ d + 2``: ``X`` has full column rank, ``ŵ − w* = X⁺ε`` and
  ``E‖ŵ − w*‖² = σ² E tr (XᵀX)⁻¹ = σ² d/(N − d − 1)``;
- ``d ≥ N + 2``: ``ŵ − w* = (P − I)w* + X⁺ε`` with ``P = X⁺X`` the projection on the row
  space; the two parts are orthogonal, ``E‖(I − P)w*‖² = (1 − N/d)‖w*‖²`` and
  ``E‖X⁺ε‖² = σ² E tr (XXᵀ)⁻¹ = σ² N/(d − N − 1)``;
- ``|N − d| ≤ 1``: the mean of ``tr (XᵀX)⁻¹`` (or ``tr (XXᵀ)⁻¹``) is infinite.

The inverse-Wishart means ``𝔼[W⁻¹] = I/(n − p − 1)`` for ``W ~ Wishart_p(n, I)`` are cited
(Muirhead 1982, *Aspects of Multivariate Statistical Theory*, Thm 3.2.12; used for double
descent by Belkin, Hsu & Xu 2019, *Two models of double descent for weak features*, and
Hastie, Montanari, Rosset & Tibshirani 2019, *Surprises in high-dimensional ridgeless least
squares interpolation*); SymPy checks the case ``p = 1`` by integrating the chi-square density
and carries the algebra of every chain. The claims in ``verify.double_descent`` confront each
ingredient with a simulation.

>>> min_norm_risk(24, 12, 0.6, 2.5)  # 0.6 · 12/11
0.6545...
>>> round(test_risk(10, 22, 1.5, 0.8), 12)  # 1.5 + 0.8 · 12/22 + 1.5 · 10/11
3.3
"""

from __future__ import annotations

import math
from functools import lru_cache

import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.functions import GaussianMean
from derivations.printing import Equation, Notation
from derivations.render import Reason

N = sp.Symbol("N", positive=True, integer=True)
d = sp.Symbol("d", positive=True, integer=True)
sigma2 = sp.Symbol("sigma^2", positive=True)
w_norm2 = sp.Symbol("r^2", positive=True)  # ‖w*‖²
#: the number of features the learner sees (misspecified model) and the unseen signal
p = sp.Symbol("p", positive=True, integer=True)
w_unseen2 = sp.Symbol("s^2", positive=True)

#: the derived closed forms (the results of the chains below)
UNDER = sigma2 * d / (N - d - 1)
OVER = w_norm2 * (1 - N / d) + sigma2 * N / (d - N - 1)
#: the smallest ``|N − d|`` at which the expected risk is finite
FINITE_GAP = 2
#: the smallest ``|N − d|`` at which the squared error has a finite variance: the ``k``-th
#: moment of ``1/λ_min(W)`` for ``W ~ Wishart_p(n, I)`` is finite iff ``k < (n − p + 1)/2``
#: (the density of ``λ_min`` is of order ``λ^{(n−p−1)/2}`` near 0), so ``k = 2`` needs
#: ``n − p ≥ 4``
VARIANCE_GAP = 4
#: and ``k = 4`` (what the normal approximation of a z-test five standard errors out relies on)
#: needs ``n − p ≥ 8``
FOURTH_MOMENT_GAP = 8


#: notation the chains quote (SymPy has no names for these means)
ERROR2 = Notation("E‖ŵ − w*‖²", r"\mathbb{E}\lVert\hat w - w^*\rVert^2")
PW2 = Notation("E‖Pw‖²", r"\mathbb{E}\lVert Pw\rVert^2")


@lru_cache
def chi_square_inverse() -> Derivation:
    """``d = 1``: ``XᵀX ~ χ²_N`` and ``𝔼[1/χ²_N] = 1/(N − 2) = 1/(N − d − 1)``, by integration.

    >>> chi_square_inverse().result
    1/(2*a)
    """
    x = sp.Symbol("x", positive=True)
    # a = N/2 − 1 > 0: with a declared positive SymPy knows the integral converges
    a = sp.Symbol("a", positive=True)
    half = a + 1
    density = x ** (half - 1) * sp.exp(-x / 2) / (2**half * sp.gamma(half))
    steps = [
        Step(sp.Integral(density / x, (x, 0, sp.oo)), "mean of 1/x under the χ²_N density"),
        Step(
            2**a * sp.gamma(a) / (2**half * sp.gamma(half)),
            Reason(
                "{} for a > 0",
                (
                    Equation(
                        Notation("∫x^(a−1)e^(−x/2)dx", r"\int_0^\infty x^{a-1}e^{-x/2}\,dx"),
                        2**a * sp.gamma(a),
                    ),
                ),
            ),
        ),
        Step(1 / (2 * a), "Γ(a + 1) = a Γ(a)"),
    ]
    return Derivation(
        "𝔼[(XᵀX)⁻¹] for d = 1, a = N/2 − 1: 1/(2a) = 1/(N − 2) (Muirhead 1982 Thm 3.2.12)",
        [a],
        steps,
        domain={a: (0.5, 20)},
        points=6,
        lhs=Notation("𝔼[1/χ²_N]", r"\mathbb{E}[1/\chi^2_N]"),
    )


@lru_cache
def projection_mean() -> Derivation:
    """``𝔼[P] = (N/d) I`` for the projection ``P = X⁺X`` on the row space (``N < d``).

    The row space of ``X`` is a uniformly random ``N``-dimensional subspace (the law of ``X``
    is invariant under ``X ↦ XQ`` for orthogonal ``Q``), so ``𝔼[P] = Qᵀ𝔼[P]Q`` for every ``Q``:
    ``𝔼[P] = cI``. Taking traces, ``c·d = E tr P = rank P = N``.

    >>> projection_mean().result
    N*r^2/d
    """
    steps = [
        Step(
            w_norm2 * sp.Trace(sp.Identity(N)) / d,
            Reason(
                "{} with {} (rotation invariance), {}",
                (
                    Equation(PW2, Notation("wᵀ𝔼[P]w", r"w^\top\mathbb{E}[P]\,w")),
                    Equation(Notation("𝔼[P]", r"\mathbb{E}[P]"), Notation("cI", "cI")),
                    Equation(
                        Notation("cd", r"c\,d"),
                        Notation(
                            "E tr P = rank P = N",
                            r"\mathbb{E}\operatorname{tr}P = \operatorname{rank}P = N",
                        ),
                    ),
                ),
            ),
        ),
        Step(N * w_norm2 / d, "tr I_N = N"),
    ]
    return Derivation(
        "E‖X⁺Xw‖² = (N/d)‖w‖² (Belkin, Hsu & Xu 2019)",
        [d, N, w_norm2],
        steps,
        domain={d: (5, 40), N: (1, 4)},
        lhs=PW2,
    )


@lru_cache
def under_risk() -> Derivation:
    """``N ≥ d + 2``: ``E‖ŵ − w*‖² = σ² d/(N − d − 1)``.

    ``ŵ − w* = X⁺ε`` (``X`` has full column rank), ``𝔼[εᵀAε | X] = σ² tr A`` with
    ``A = X(XᵀX)⁻²Xᵀ``, and ``tr A = tr (XᵀX)⁻¹`` (cyclic trace).

    >>> under_risk().result
    d*sigma^2/(N - d - 1)
    """
    steps = [
        Step(
            sigma2 * sp.Trace(sp.Identity(d) / (N - d - 1)),
            Reason(
                "{}; {} (inverse Wishart, Muirhead 1982 Thm 3.2.12)",
                (
                    Equation(
                        Notation("E‖X⁺ε‖²", r"\mathbb{E}\lVert X^+\varepsilon\rVert^2"),
                        Notation(
                            "σ² E tr (XᵀX)⁻¹",
                            r"\sigma^2\,\mathbb{E}\operatorname{tr}(X^\top X)^{-1}",
                        ),
                    ),
                    Equation(
                        Notation("𝔼[(XᵀX)⁻¹]", r"\mathbb{E}[(X^\top X)^{-1}]"),
                        sp.Identity(d) / (N - d - 1),
                    ),
                ),
            ),
        ),
        Step(UNDER, "tr I = d"),
    ]
    return Derivation(
        "min-norm risk, N ≥ d + 2 (Belkin, Hsu & Xu 2019; Hastie et al. 2019)",
        [N, d, sigma2],
        steps,
        domain={N: (20, 40), d: (2, 15)},
        lhs=ERROR2,
    )


@lru_cache
def over_risk() -> Derivation:
    """``d ≥ N + 2``: ``E‖ŵ − w*‖² = ‖w*‖²(1 − N/d) + σ² N/(d − N − 1)``.

    >>> over_risk().result
    N*sigma^2/(-N + d - 1) + r^2*(-N/d + 1)
    """
    steps = [
        Step(
            w_norm2 - projection_mean().result + sigma2 * N / (d - N - 1),
            "the parts (P − I)w* and X⁺ε are orthogonal; ‖(I − P)w*‖² = ‖w*‖² − ‖Pw*‖²; "
            "E‖X⁺ε‖² = σ² tr 𝔼[(XXᵀ)⁻¹] = σ² N/(d − N − 1)",
        ),
        Step(OVER, "collect ‖w*‖²"),
    ]
    return Derivation(
        "min-norm risk, d ≥ N + 2 (Belkin, Hsu & Xu 2019; Hastie et al. 2019)",
        [N, d, sigma2, w_norm2],
        steps,
        domain={N: (2, 15), d: (20, 40)},
        lhs=ERROR2,
    )


@lru_cache
def fresh_point() -> Derivation:
    """A fresh test point: ``E(y − xᵀŵ)² = σ² + ‖ŵ − w*‖²`` (shown for ``d = 2``).

    >>> fresh_point().result
    e_1**2 + e_2**2 + sigma^2
    """
    e1, e2 = sp.symbols("e_1 e_2", real=True)  # e = w* − ŵ, fixed given the training set
    x1, x2, eps0 = sp.symbols("x_1 x_2 varepsilon_0", real=True)
    laws = sp.Tuple((x1, 1), (x2, 1), (eps0, sigma2))
    steps = [
        Step(GaussianMean((x1 * e1 + x2 * e2 + eps0) ** 2, laws), "y − xᵀŵ = xᵀ(w* − ŵ) + ε₀"),
        Step(e1**2 + e2**2 + sigma2, "x ~ N(0, I), ε₀ ~ N(0, σ²) independent of the training set"),
    ]
    return Derivation("test risk = σ² + ‖ŵ − w*‖²", [e1, e2, sigma2], steps)


@lru_cache
def more_data() -> Derivation:
    """``d ≥ N + 3``: the change of the risk from ``N`` to ``N + 1`` rows.

    >>> more_data().result
    (d*sigma^2*(d - 1) - r^2*(-N + d - 2)*(-N + d - 1))/(d*(-N + d - 2)*(-N + d - 1))
    """
    delta = OVER.subs(N, N + 1) - OVER
    steps = [
        Step(delta, "risk at N + 1 minus risk at N (both on the overparameterized side)"),
        Step(-w_norm2 / d + sigma2 * (d - 1) / ((d - N - 1) * (d - N - 2)), "simplify"),
        Step(
            (sigma2 * d * (d - 1) - w_norm2 * (d - N - 1) * (d - N - 2))
            / (d * (d - N - 1) * (d - N - 2)),
            "common denominator (positive)",
        ),
    ]
    return Derivation(
        "when one more sample hurts: Δ > 0 iff σ² d(d − 1) > ‖w*‖²(d − N − 1)(d − N − 2)",
        [N, d, sigma2, w_norm2],
        steps,
        domain={N: (1, 10), d: (14, 40)},
    )


@lru_cache
def misspecified() -> Derivation:
    """The learner sees ``p`` of ``D`` features: the rest act as noise of variance ``σ² + s²``.

    ``y = x_pᵀw_p + (x_restᵀw_rest + ε)``; the bracket is Gaussian, independent of ``x_p``,
    of variance ``‖w_rest‖² + σ²`` (shown for two unseen features). Belkin, Hsu & Xu (2019)
    §2 use this model.

    >>> misspecified().result
    sigma^2 + u_1**2 + u_2**2
    """
    u1, u2 = sp.symbols("u_1 u_2", real=True)  # w_rest
    z1, z2, eps = sp.symbols("z_1 z_2 varepsilon", real=True)
    laws = sp.Tuple((z1, 1), (z2, 1), (eps, sigma2))
    steps = [
        Step(GaussianMean((z1 * u1 + z2 * u2 + eps) ** 2, laws), "variance of the unseen part"),
        Step(u1**2 + u2**2 + sigma2, "independent, mean 0"),
    ]
    return Derivation("the unseen features are noise", [u1, u2, sigma2], steps)


def misspecified_test_risk_expr():
    """The test risk with ``p`` of the features seen, ``r²`` their signal, ``s²`` the rest's.

    >>> misspecified_test_risk_expr().subs({N: 10, p: 22, sigma2: 1, w_norm2: 1, w_unseen2: 1})
    48/11
    """
    noise = sigma2 + w_unseen2
    return sp.Piecewise(
        (noise + noise * p / (N - p - 1), N > p + 1),
        (noise + w_norm2 * (1 - N / p) + noise * N / (p - N - 1), p > N + 1),
        (sp.oo, True),
    )


@lru_cache
def proportional_limits() -> tuple[Derivation, Derivation]:
    """``d = γN``, ``N → ∞``: ``σ²γ/(1 − γ)`` and ``‖w*‖²(1 − 1/γ) + σ²/(γ − 1)``
    (Hastie et al. 2019, Thm 1 for isotropic features).

    >>> [dv.result for dv in proportional_limits()]
    [gamma*sigma^2/(1 - gamma), r^2*(1 - 1/gamma) + sigma^2/(gamma - 1)]
    """
    g = sp.Symbol("gamma", positive=True)
    chains = []
    for formula, limit, box in (
        (UNDER, g * sigma2 / (1 - g), (0.1, 0.9)),
        (OVER, w_norm2 * (1 - 1 / g) + sigma2 / (g - 1), (1.1, 5)),
    ):
        scaled = formula.subs(d, g * N)
        chains.append(
            Derivation(
                f"proportional limit, gamma {'< 1' if box[1] < 1 else '> 1'}",
                [g, sigma2, w_norm2],
                [
                    Step(sp.Limit(scaled, N, sp.oo), Reason("{}", (Equation(d, g * N),))),
                    Step(limit, "leading terms"),
                ],
                domain={g: box},
            )
        )
    return chains[0], chains[1]


# --- the closed forms as plain functions ----------------------------------------------------
def _size(value, name: str) -> int:
    """A positive integer or a ValueError naming the argument (the issue asks ValueError for
    every non-integer, a float such as 2.5 included)."""
    try:
        return arg.count(value, name)
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def _params(N_, d_, sigma2_, w_norm2_):
    return (
        _size(N_, "N"),
        _size(d_, "d"),
        arg.non_negative(sigma2_, "sigma2"),
        arg.non_negative(w_norm2_, "w_norm2"),
    )


def min_norm_risk(N, d, sigma2, w_norm2) -> float:  # noqa: N803 - the math's names
    """``E‖ŵ − w*‖²`` of ``ŵ = X⁺y``; ``math.inf`` for ``|N − d| ≤ 1``.

    >>> round(min_norm_risk(10, 22, 1.5, 0.8), 12)  # 0.8 · 12/22 + 1.5 · 10/11
    1.8
    >>> min_norm_risk(11, 10, 0.5, 2.0)
    inf
    >>> min_norm_risk(0, 10, 0.5, 2.0)
    Traceback (most recent call last):
    ...
    ValueError: N: a positive integer is required, got 0
    >>> min_norm_risk(12, 10, -0.5, 2.0)
    Traceback (most recent call last):
    ...
    ValueError: sigma2: a finite real number >= 0 is required, got -0.5
    """
    N, d, s2, w2 = _params(N, d, sigma2, w_norm2)
    if N >= d + FINITE_GAP:
        return s2 * d / (N - d - 1)
    if d >= N + FINITE_GAP:
        return w2 * (1 - N / d) + s2 * N / (d - N - 1)
    return math.inf


def test_risk(N, d, sigma2, w_norm2) -> float:  # noqa: N803
    """``E(y − xᵀŵ)²`` at a fresh test point: ``σ² + min_norm_risk``.

    >>> test_risk(24, 12, 0.6, 2.5)  # 0.6 + 0.6 · 12/11
    1.2545...
    >>> test_risk(5, 2.5, 0.6, 2.5)
    Traceback (most recent call last):
    ...
    ValueError: d: a positive integer is required, got 2.5 (float)
    """
    risk = min_norm_risk(N, d, sigma2, w_norm2)
    return float(sigma2) + risk


def more_data_hurts(N, d, sigma2, w_norm2) -> bool:  # noqa: N803
    """Whether ``N + 1`` rows give a larger expected risk than ``N`` (both finite, ``d ≥ N + 3``).

    >>> more_data_hurts(10, 22, 1.5, 0.8), more_data_hurts(2, 22, 0.1, 5.0)
    (True, False)
    >>> more_data_hurts(30, 22, 1.5, 0.8)
    Traceback (most recent call last):
    ...
    ValueError: N: must be <= d - 3 so that N and N + 1 are both on the overparameterized side, got N = 30, d = 22
    """
    N, d, s2, w2 = _params(N, d, sigma2, w_norm2)
    if N > d - 3:
        raise ValueError(
            "N: must be <= d - 3 so that N and N + 1 are both on the overparameterized side, "
            f"got N = {N}, d = {d}"
        )
    return s2 * d * (d - 1) > w2 * (d - N - 1) * (d - N - 2)


def misspecified_test_risk(N, p, sigma2, w_seen2, w_unseen2) -> float:  # noqa: N803
    """Test risk of min-norm least squares on ``p`` of the features (``math.inf`` in the band).

    ``w_seen2 = ‖w_p‖²`` is the signal the learner's features carry, ``w_unseen2`` the rest's.

    >>> misspecified_test_risk(10, 22, 0.5, 1.2, 0.7)  # 1.2 + 1.2·12/22 + 1.2·10/11
    2.9454...
    >>> misspecified_test_risk(10, 22, 0.5, 1.2, -0.7)
    Traceback (most recent call last):
    ...
    ValueError: w_unseen2: a finite real number >= 0 is required, got -0.7
    """
    p_ = _size(p, "p")
    N, _, s2, w2 = _params(N, 1, sigma2, w_seen2)
    u2 = arg.non_negative(w_unseen2, "w_unseen2")
    return (s2 + u2) + min_norm_risk(N, p_, s2 + u2, w2)
