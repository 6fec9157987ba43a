"""Model-wise and epoch-wise double descent: the arc-cosine kernel and gradient descent.

**Model-wise.** Random ReLU features ``φ_j(x) = [w_jᵀx]₊`` with ``w_j ~ N(0, I)``; the
average ``(1/p) Σ_j φ_j(x)φ_j(x')`` tends, as ``p → ∞``, to the degree-1 arc-cosine kernel
``k(x, x') = ‖x‖‖x'‖ (sin θ + (π − θ) cos θ)/(2π)`` (Cho & Saul 2009, eq. 6 with ``n = 1``;
their ``k₁`` is twice this, as their features carry a factor ``√2``).

**Epoch-wise.** Gradient descent on ``L(w) = ‖y − Xw‖²/(2N)`` from ``w₀ = 0`` with step ``η``:
``w_{t+1} = w_t − η(Hw_t − b)``, ``H = XᵀX/N``, ``b = Xᵀy/N``. In the eigenbasis of ``H`` each
coordinate follows the scalar recursion, whose solution is
``w_t = (1 − (1 − ηλ)^t) b/λ`` (:func:`gd_step` proves the induction step). The test risk is
``σ² + (w_t − w*)ᵀΣ(w_t − w*)`` for the population covariance ``Σ``.

>>> round(arccos_kernel([1.0, 0.0], [0.0, 2.0]), 12)  # θ = π/2: 2/(2π)
0.318309886184
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.printing import Equation, Notation
from derivations.render import Reason

theta = sp.Symbol("theta", positive=True)
eta, lam, b = sp.symbols("eta lambda b", positive=True)
t = sp.Symbol("t", nonnegative=True, integer=True)

#: ``𝔼[relu(wᵀx) relu(wᵀx')]`` for unit ``x, x'`` at angle ``θ``
ARCCOS = (sp.sin(theta) + (sp.pi - theta) * sp.cos(theta)) / (2 * sp.pi)
#: the fraction of ``b/λ`` learned after ``t`` steps along an eigenvalue ``λ``
FACTOR = 1 - (1 - eta * lam) ** t


@lru_cache
def arccos_derivation() -> Derivation:
    """The degree-1 arc-cosine kernel by integration in polar coordinates.

    In the plane of ``x = e₁`` and ``x' = (cos θ, sin θ)`` the weight's projection is
    ``N(0, I₂)``; write it as ``ρ(cos φ, sin φ)``. Both ``wᵀx = ρ cos φ`` and
    ``wᵀx' = ρ cos(φ − θ)`` are positive iff ``θ − π/2 < φ < π/2``.

    >>> arccos_derivation().result == ARCCOS
    True
    """
    phi, rho = sp.symbols("phi rho", positive=True)
    integrand = rho**2 * sp.cos(phi) * sp.cos(phi - theta) * rho * sp.exp(-(rho**2) / 2)
    steps = [
        Step(
            sp.Integral(
                integrand / (2 * sp.pi), (phi, theta - sp.pi / 2, sp.pi / 2), (rho, 0, sp.oo)
            ),
            "polar coordinates: N(0, I₂) has density ρ·exp(−ρ²/2)/(2π) in (ρ, φ)",
        ),
        Step(
            sp.Integral(rho**3 * sp.exp(-(rho**2) / 2), (rho, 0, sp.oo))
            * sp.Integral(sp.cos(phi) * sp.cos(phi - theta), (phi, theta - sp.pi / 2, sp.pi / 2))
            / (2 * sp.pi),
            "the integrand is a product",
        ),
        Step(
            2 * (sp.sin(theta) + (sp.pi - theta) * sp.cos(theta)) / 2 / (2 * sp.pi),
            Reason(
                "{}",
                (
                    Equation(
                        Notation("∫ρ³exp(−ρ²/2)dρ", r"\int_0^\infty\rho^3e^{-\rho^2/2}\,d\rho"), 2
                    ),
                ),
            ),
        ),
        Step(ARCCOS, "Cho & Saul 2009, eq. 6, n = 1 (halved)"),
    ]
    return Derivation(
        "the degree-1 arc-cosine kernel",
        [theta],
        steps,
        domain={theta: (0.05, 3.1)},
        points=4,
        lhs=Notation("𝔼[relu(wᵀx)relu(wᵀx')]", r"\mathbb{E}\,[w^\top x]_+[w^\top x']_+"),
    )


@lru_cache
def gd_step() -> Derivation:
    """The induction step: the closed form satisfies the gradient-descent recursion.

    >>> gd_step().result
    b*(1 - (-eta*lambda + 1)**(t + 1))/lambda
    """
    w_t = FACTOR * b / lam
    steps = [
        Step(w_t - eta * (lam * w_t - b), "one step of GD along an eigenvector, from w_t"),
        Step(FACTOR.subs(t, t + 1) * b / lam, "expand; collect the t-th power"),
    ]
    return Derivation(
        "gradient descent in the eigenbasis", [eta, lam, b, t], steps, domain={t: (0, 30)}
    )


_factor = sp.lambdify((eta, lam, t), FACTOR, "numpy")
_arccos = sp.lambdify(theta, ARCCOS, "numpy")


def arccos_kernel(x, y):
    """``k(x, y) = ‖x‖‖y‖ (sin θ + (π − θ) cos θ)/(2π)``; rows of 2-d arrays give a matrix.

    >>> K = arccos_kernel([[1.0, 0.0], [0.0, 3.0]], [[2.0, 0.0]])
    >>> K.round(6).tolist()  # θ = 0: ‖x‖‖y‖/2; θ = π/2: ‖x‖‖y‖/(2π)
    [[1.0], [0.95493]]
    >>> arccos_kernel([1.0, 0.0], [1.0])
    Traceback (most recent call last):
    ...
    ValueError: y: must have as many coordinates as x (2), got 1
    """
    xs, ys = arg.array(x, "x"), arg.array(y, "y")
    single = xs.ndim == 1 and ys.ndim == 1
    xs, ys = np.atleast_2d(xs), np.atleast_2d(ys)
    if xs.ndim != 2 or ys.ndim != 2:
        raise ValueError("x, y: 1-d vectors or 2-d arrays of row vectors are required")
    if xs.shape[1] != ys.shape[1]:
        raise ValueError(
            f"y: must have as many coordinates as x ({xs.shape[1]}), got {ys.shape[1]}"
        )
    nx, ny = np.linalg.norm(xs, axis=1), np.linalg.norm(ys, axis=1)
    scale = np.outer(nx, ny)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.clip((xs @ ys.T) / scale, -1.0, 1.0)
    K = np.where(scale > 0, scale * _arccos(np.arccos(np.nan_to_num(cos))), 0.0)
    return float(K[0, 0]) if single else K


def gd_weights(X, y, eta, steps) -> np.ndarray:
    """``w_t`` for ``t = 0..steps`` from the eigenbasis formula (one row per step).

    >>> W = gd_weights(np.eye(2) * 2, np.array([2.0, 4.0]), 0.25, 3)
    >>> W[-1].round(6).tolist()  # H = 2I, b = (2, 4): w_t = (1 − 0.5^t)(1, 2)
    [0.875, 1.75]
    """
    X = arg.array(X, "X", ndim=2)
    y = arg.array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y: must have one entry per row of X ({X.shape[0]}), got {y.shape[0]}")
    eta_ = arg.positive(eta, "eta")
    steps = arg.non_negative_int(steps, "steps")
    n_rows = X.shape[0]
    lams, Q = np.linalg.eigh(X.T @ X / n_rows)
    if eta_ * lams.max() >= 2:
        raise ValueError(
            f"eta: must be below 2/λ_max = {2 / lams.max():.4g} for gradient descent to converge"
        )
    coords = Q.T @ (X.T @ y / n_rows)
    ts = np.arange(steps + 1)[:, None]
    safe = np.where(lams > 1e-12 * lams.max(), lams, 1.0)
    # along λ = 0 the gradient is 0 (b has no component there), so w stays 0
    learned = np.where(lams > 1e-12 * lams.max(), _factor(eta_, safe, ts) * coords / safe, 0.0)
    return learned @ Q.T


def gd_risk_curve(X, y, eta, steps, w_star, sigma2, cov) -> np.ndarray:
    """Test risk ``σ² + (w_t − w*)ᵀΣ(w_t − w*)`` for ``t = 0..steps``, exact in the eigenbasis.

    >>> r = gd_risk_curve(np.eye(2) * 2, np.array([2.0, 4.0]), 0.25, 2, [1.0, 2.0], 0.3,
    ...                   np.eye(2))
    >>> r.round(6).tolist()  # σ² + (1/4)^t · 5
    [5.3, 1.55, 0.6125]
    """
    W = gd_weights(X, y, eta, steps)
    w_star = arg.array(w_star, "w_star", ndim=1)
    cov = arg.array(cov, "cov", ndim=2)
    if w_star.shape[0] != W.shape[1] or cov.shape != (W.shape[1],) * 2:
        raise ValueError(f"w_star, cov: shapes ({W.shape[1]},) and {(W.shape[1],) * 2} needed")
    err = W - w_star
    return arg.non_negative(sigma2, "sigma2") + np.einsum("ti,ij,tj->t", err, cov, err)


def monotone_pieces(values, rtol: float = 1e-6) -> tuple[int, ...]:
    """The signs of the monotone pieces of a curve: ``(-1, 1, -1)`` falls, rises, falls.

    A new piece starts only once the curve has moved ``rtol`` times its range away from the
    last turning point, so round-off wiggles on a flat stretch do not count as turns while a
    slow, steady rise does.

    >>> monotone_pieces([3.0, 2.0, 2.5, 2.5, 1.0])
    (-1, 1, -1)
    >>> monotone_pieces([2.0, 1.0, 1.0 + 1e-12, 1.0])
    (-1,)
    """
    v = arg.array(values, "values", ndim=1)
    rtol = arg.non_negative(rtol, "rtol")
    span = float(v.max() - v.min()) if v.size else 0.0
    if span == 0:
        return ()
    gap = rtol * span
    pieces: list[int] = []
    start = extreme = float(v[0])  # extreme: the running minimum or maximum of this piece
    for x in map(float, v[1:]):
        direction = pieces[-1] if pieces else 0
        if direction == 0:
            if abs(x - start) > gap:
                pieces.append(1 if x > start else -1)
                extreme = x
        elif direction * (x - extreme) > 0:
            extreme = x  # still going the same way
        elif direction * (extreme - x) > gap:
            pieces.append(-direction)
            extreme = x
    return tuple(pieces)
