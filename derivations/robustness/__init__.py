"""Adversarial perturbations and sharpness-aware minimization as exact optimizers.

The linearized loss ``L(x + δ) ≈ L(x) + gᵀδ`` is maximized over the ball ``‖δ‖_p ≤ ε`` by

    δ* = ε sign(g) |g|^{q−1} / ‖g‖_q^{q−1},  with value ε‖g‖_q,  1/p + 1/q = 1

(Hölder's inequality and its equality case, :mod:`derivations.robustness.chains`). FGSM is
``p = ∞`` (``δ = ε sign g``), FGM ``p = 2`` (``δ = ε g/‖g‖₂``), and SAM's ``ε̂`` is the same
maximizer with radius ``ρ``. PGD repeats a step and projects back onto the ball and the
valid-pixel box; MIM (Dong et al. 2018) adds momentum on L1-normalized gradients. For a linear
classifier the worst case is exact: the margin drops by ``ε‖w‖_q``, and with classes
``N(±μ, s²I)`` the robust accuracy is ``Φ((wᵀμ − ε‖w‖_q)/(s‖w‖₂))``.

The attacks on a torch model (:func:`fgsm`, :func:`pgd`, :func:`mim`) live in
:mod:`derivations.robustness.attacks`; torch is imported only when one of them runs.

>>> worst_perturbation([3.0, -1.0, 0.0], 0.5, 2)  # ε g/‖g‖₂
array([ 0.4743..., -0.1581...,  0.        ])
>>> project([0.05, -0.01, 0.2], EPSILON, math.inf)  # clip to [−ε, ε]
array([ 0.0313, -0.01  ,  0.0313])
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from derivations import arguments as arg
from derivations.robustness.chains import DERIVATIONS  # noqa: F401 - the topic's table

#: The courses' settings: ε = 8/255 (written 0.0313), 20 steps of 0.002, in pixel space [0, 1].
EPSILON = 0.0313
STEP = 0.002
STEPS = 20
PIXELS = (0.0, 1.0)


def norm_order(p, name: str = "p") -> float:
    """``p`` as the order of a norm: a real number ``>= 1`` or ``math.inf``.

    >>> norm_order(3), norm_order(math.inf)
    (3.0, inf)
    >>> norm_order(0.5)
    Traceback (most recent call last):
    ...
    ValueError: p: a real number >= 1 or math.inf is required (below 1 the ball is not convex and ‖·‖_p is no norm), got 0.5
    """
    wanted = "a real number >= 1 or math.inf"
    if not isinstance(p, numbers.Real) or isinstance(p, bool | np.bool_):
        raise TypeError(f"{name}: {wanted} is required, got {arg.shown(p)} ({type(p).__name__})")
    v = float(p)
    if math.isnan(v) or v < 1:
        raise ValueError(
            f"{name}: {wanted} is required (below 1 the ball is not convex and ‖·‖_p is no "
            f"norm), got {arg.shown(p)}"
        )
    return v


def dual_exponent(p) -> float:
    """The ``q`` with ``1/p + 1/q = 1``: ``∞`` for ``p = 1``, ``1`` for ``p = ∞``.

    >>> dual_exponent(3), dual_exponent(1), dual_exponent(math.inf)
    (1.5, inf, 1.0)
    """
    p = norm_order(p)
    if p == 1:
        return math.inf
    if math.isinf(p):
        return 1.0
    return p / (p - 1)


def _nonzero_gradient(g, name: str, role: str) -> np.ndarray:
    g = arg.array(g, name, min_ndim=1)
    if g.size == 0:
        raise ValueError(f"{name}: a non-empty array is required, got shape {g.shape}")
    if not np.any(g):
        raise ValueError(
            f"{name}: the gradient is zero, so every point of the ball attains gᵀδ = 0 and "
            f"{role} is not unique; there is no direction to choose"
        )
    return g


def _maximizer(g: np.ndarray, radius: float, p: float) -> np.ndarray:
    if math.isinf(p):
        return radius * np.sign(g)
    size = np.abs(g)
    if p == 1:
        # q = ∞: the limit of the formula spreads the budget evenly over the largest |g_i|
        top = size == size.max()
        return radius * np.sign(g) * top / np.count_nonzero(top)
    q = p / (p - 1)
    ratio = size / size.max()  # in [0, 1]: |g|^{q−1} cannot overflow for large q
    scale = np.sum(ratio**q) ** (1 / q)
    return radius * np.sign(g) * (ratio / scale) ** (q - 1)


def worst_perturbation(g, eps, p) -> np.ndarray:
    """The ``δ`` with ``‖δ‖_p ≤ ε`` that maximizes ``gᵀδ``: ``ε sign(g)|g|^{q−1}/‖g‖_q^{q−1}``.

    Its value is ``ε‖g‖_q``. ``g`` is treated as one vector whatever its shape. The maximizer is
    unique for ``1 < p < ∞``; at ``p = ∞`` entries with ``g_i = 0`` may take any value (this
    returns 0 there, as FGSM's ``sign(0) = 0`` does); at ``p = 1`` the budget may go to any of
    the largest ``|g_i|`` (this returns it split evenly among exact ties, the ``p → 1`` limit).

    >>> worst_perturbation([2.0, -2.0, 1.0], 0.3, 1)  # a tie: ε split over both
    array([ 0.15, -0.15,  0.  ])
    >>> worst_perturbation([2.0, 0.0, -1.0], 0.3, math.inf)  # FGSM
    array([ 0.3,  0. , -0.3])
    >>> worst_perturbation([0.0, 0.0], 0.3, 2)
    Traceback (most recent call last):
    ...
    ValueError: g: the gradient is zero, so every point of the ball attains gᵀδ = 0 and the maximizer is not unique; there is no direction to choose
    >>> worst_perturbation([1.0], -0.1, 2)
    Traceback (most recent call last):
    ...
    ValueError: eps: a finite real number >= 0 is required, got -0.1
    """
    eps = arg.non_negative(eps, "eps")
    p = norm_order(p)
    g = _nonzero_gradient(g, "g", "the maximizer")
    return _maximizer(g, eps, p)


def _projection_order(p) -> float:
    p = norm_order(p)
    if p != 2 and not math.isinf(p):
        raise ValueError(
            f"p: 2 or math.inf is required (the projection onto another Lp ball has no closed "
            f"form), got {p!r}"
        )
    return p


def project(delta, eps, p, *, x=None) -> np.ndarray:
    """The point of the ball ``‖δ'‖_p ≤ ε`` nearest to ``delta`` (``p`` is 2 or ``math.inf``).

    ``p = ∞`` clips every coordinate to ``[−ε, ε]``; ``p = 2`` rescales ``delta`` to length
    ``ε`` if it is longer. With pixels ``x`` (same shape, entries in ``[0, 1]``) the result also
    keeps ``x + δ'`` in ``[0, 1]``: for ``p = ∞`` it is then the exact projection onto the
    intersection (clip to ``[max(−ε, −x), min(ε, 1 − x)]``); for ``p = 2`` it is the ball's
    projection followed by the clip, as PGD does it: inside both sets, not always the nearest.

    >>> project([3.0, 4.0], 0.5, 2)
    array([0.3, 0.4])
    >>> project([0.05, -0.05], 0.0313, math.inf, x=[0.99, 0.01])
    array([ 0.01, -0.01])
    >>> project([0.05, -0.05], 0.0313, math.inf, x=[0.5])
    Traceback (most recent call last):
    ...
    ValueError: delta of shape (2,) and x of shape (1,): the shapes must be equal
    """
    eps = arg.non_negative(eps, "eps")
    p = _projection_order(p)
    delta = arg.array(delta, "delta", min_ndim=1)
    if math.isinf(p):
        low, high = -eps, eps
        if x is not None:
            pixels = _pixels(x, "x", delta)
            low, high = np.maximum(-eps, -pixels), np.minimum(eps, 1 - pixels)
        return np.clip(delta, low, high)
    length = float(np.linalg.norm(delta.ravel()))
    inside = delta if length <= eps else delta * (eps / length)
    if x is None:
        return inside
    pixels = _pixels(x, "x", delta)
    return np.clip(pixels + inside, 0.0, 1.0) - pixels


def _pixels(x, name: str, like: np.ndarray) -> np.ndarray:
    pixels = arg.array(x, name)
    arg.same_shape("delta", like, name, pixels)
    if pixels.size and (pixels.min() < 0 or pixels.max() > 1):
        raise ValueError(
            f"{name}: pixel values in [0, 1] are required, got {pixels.min():g} to {pixels.max():g}"
        )
    return pixels


def sam_perturbation(g, rho, p=2) -> np.ndarray:
    """SAM's ``ε̂ = argmax_{‖ε‖_p ≤ ρ} εᵀ∇L``: ``ρ sign(g)|g|^{q−1}/‖g‖_q^{q−1}``, which is
    ``ρ g/‖g‖₂`` at the default ``p = 2`` (Foret et al. 2021); it attains ``ρ‖g‖_q``.

    >>> sam_perturbation([0.6, -0.8], 0.05)
    array([ 0.03, -0.04])
    >>> sam_perturbation([0.0, 0.0], 0.05)
    Traceback (most recent call last):
    ...
    ValueError: g: the gradient is zero, so every point of the ball attains gᵀδ = 0 and SAM's ε̂ is not unique; there is no direction to choose
    """
    rho = arg.non_negative(rho, "rho")
    p = norm_order(p)
    g = _nonzero_gradient(g, "g", "SAM's ε̂")
    return _maximizer(g, rho, p)


def _norm(v: np.ndarray, order: float) -> float:
    return float(np.linalg.norm(v, ord=order))


def linear_margin(w, x, y, b, eps, p) -> float:
    """The worst-case margin ``y(wᵀx + b) − ε‖w‖_q`` of a linear classifier over
    ``‖δ‖_p ≤ ε`` (label ``y`` is 1 or −1).

    >>> round(linear_margin([1.0, -2.0], [0.5, 0.1], -1, 0.25, 0.1, math.inf), 12)  # −(0.3 + 0.25) − 0.3
    -0.85
    """
    w = arg.array(w, "w", ndim=1)
    x = arg.array(x, "x", ndim=1)
    arg.same_shape("w", w, "x", x)
    y = arg.choice(y, "y", (1, -1))
    b, eps = arg.real(b, "b"), arg.non_negative(eps, "eps")
    q = dual_exponent(p)
    return float(y * (w @ x + b) - eps * _norm(w, q))


def linear_robust_accuracy(w, mu, s, eps, p) -> float:
    """``P(min_{‖δ‖_p ≤ ε} y wᵀ(x + δ) > 0)`` for ``x ~ N(yμ, s²I)``, ``y = ±1`` equally likely
    and no bias: ``Φ((wᵀμ − ε‖w‖_q)/(s‖w‖₂))``.

    >>> round(linear_robust_accuracy([1.0, 1.0], [0.5, 0.5], 0.5, 0.1, math.inf), 5)  # Φ(0.8/(0.5√2))
    0.87105
    >>> linear_robust_accuracy([0.0, 0.0], [0.5, 0.5], 0.5, 0.1, 2)
    Traceback (most recent call last):
    ...
    ValueError: w: a nonzero weight vector is required (w = 0 classifies nothing), got all zeros
    >>> linear_robust_accuracy([1.0, 1.0], [0.5], 0.5, 0.1, 2)
    Traceback (most recent call last):
    ...
    ValueError: w of shape (2,) and mu of shape (1,): the shapes must be equal
    """
    w = arg.array(w, "w", ndim=1)
    mu = arg.array(mu, "mu", ndim=1)
    arg.same_shape("w", w, "mu", mu)
    if not np.any(w):
        raise ValueError(
            "w: a nonzero weight vector is required (w = 0 classifies nothing), got all zeros"
        )
    s, eps = arg.positive(s, "s"), arg.non_negative(eps, "eps")
    q = dual_exponent(p)
    t = (float(w @ mu) - eps * _norm(w, q)) / (s * _norm(w, 2))
    return 0.5 * math.erfc(-t / math.sqrt(2))


def pixel_budget(eps, std=0.5) -> float:
    """The L∞ budget in pixels of an ``eps`` applied after ``x ↦ (x − m)/std``.

    Normalizing ``[0, 1]`` to ``[−1, 1]`` is ``std = 0.5``: an ε there moves pixels by ε/2,
    half the attack the courses mean.

    >>> pixel_budget(EPSILON)
    0.01565
    """
    return arg.non_negative(eps, "eps") * arg.positive(std, "std")


def __getattr__(name: str):
    # the torch attacks are loaded on first use, so reading this module imports no torch
    if name in ("fgsm", "pgd", "mim"):
        from derivations.robustness import attacks

        return getattr(attacks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EPSILON",
    "STEP",
    "STEPS",
    "PIXELS",
    "DERIVATIONS",
    "norm_order",
    "dual_exponent",
    "worst_perturbation",
    "project",
    "sam_perturbation",
    "linear_margin",
    "linear_robust_accuracy",
    "pixel_budget",
    "fgsm",
    "pgd",
    "mim",
]
