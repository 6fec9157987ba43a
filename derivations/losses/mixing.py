"""mixup (Zhang et al. 2018): convex combinations of two examples and of their labels.

``x̃ = λx₁ + (1 − λ)x₂``, ``ỹ = λ·onehot(y₁) + (1 − λ)·onehot(y₂)`` with ``λ ~ Beta(α, α)``.
Cross-entropy is linear in its target, so the loss with the mixed target is
``λ·CE(y₁) + (1 − λ)·CE(y₂)`` (:func:`identity`), which is how the reference code writes it.
The law of ``λ``: mean ``½``, variance ``1/(4(2α + 1))`` (:func:`moments`); its density is
U-shaped for ``α < 1``, flat for ``α = 1`` and peaked at ``½`` for ``α > 1`` (:func:`shape`).

>>> x, y = mixup([[1.0, 2.0]], [[3.0, 6.0]], [0], [2], 0.25, 3)
>>> x.tolist(), y.tolist()
([[2.5, 5.0]], [[0.25, 0.0, 0.75]])
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.losses.ova import _labels, logits
from derivations.printing import Equation, Notation
from derivations.render import Reason

lam = sp.Symbol("lambda", positive=True)
alpha = sp.Symbol("alpha", positive=True)

#: The density of ``Beta(α, α)`` on ``(0, 1)``.
DENSITY = lam ** (alpha - 1) * (1 - lam) ** (alpha - 1) / sp.beta(alpha, alpha)


@lru_cache
def identity(num_classes: int = 3, first: int = 0, second: int = 2) -> Derivation:
    """``−Σ_i ỹ_i log p_i = λ·CE(y₁) + (1 − λ)·CE(y₂)`` for softmax ``p`` of ``M`` logits.

    >>> identity().check().ok
    True
    """
    m = arg.count(num_classes, "num_classes", minimum=2, maximum=6)
    a = arg.integer(first, "first", minimum=0, maximum=m - 1)
    b = arg.integer(second, "second", minimum=0, maximum=m - 1)
    hs = sp.symbols(f"h_0:{m}", real=True)
    z = sum(sp.exp(v) for v in hs)
    logp = [sp.log(sp.exp(v) / z) for v in hs]
    target = [lam * int(i == a) + (1 - lam) * int(i == b) for i in range(m)]
    steps = [
        Step(-sum(target[i] * logp[i] for i in range(m)), "cross-entropy with the mixed target"),
        Step(
            -lam * sum(int(i == a) * logp[i] for i in range(m))
            - (1 - lam) * sum(int(i == b) * logp[i] for i in range(m)),
            "linear in the target",
        ),
        Step(-lam * logp[a] - (1 - lam) * logp[b], "one-hot picks one term"),
    ]
    return Derivation(
        f"the mixup loss, M = {m}, y1 = {a}, y2 = {b} (0-based)",
        [*hs, lam],
        steps,
        domain={**{s: (-4, 4) for s in hs}, lam: (0, 1)},
        notes=("= lambda CE(h, y1) + (1 - lambda) CE(h, y2)",),
    )


def _raw_moment(power) -> sp.Expr:
    return sp.beta(alpha + power, alpha) / sp.beta(alpha, alpha)


def _beta_shown() -> dict:
    """The Beta functions of these derivations as pages write them: SymPy's LaTeX prints the
    arguments of ``beta`` by name (``alpha``), not as ``\\alpha``."""
    shown = {sp.beta(alpha, alpha): Notation("B(α, α)", r"\operatorname{B}(\alpha, \alpha)")}
    for k in (1, 2):
        shown[sp.beta(alpha + k, alpha)] = Notation(
            f"B(α + {k}, α)", rf"\operatorname{{B}}(\alpha + {k}, \alpha)"
        )
    return shown


@lru_cache
def moments() -> Derivation:
    """``Var λ = 𝔼[λ²] − 𝔼[λ]² = 1/(4(2α + 1))`` for ``λ ~ Beta(α, α)`` (``𝔼[λ] = ½``).

    ``𝔼[λ^k] = B(α + k, α)/B(α, α)`` by the definition of the Beta function.

    >>> moments().result
    1/(8*alpha + 4)
    """
    g = sp.gamma
    steps = [
        Step(_raw_moment(2) - _raw_moment(1) ** 2, "𝔼[λ^k] = B(α + k, α)/B(α, α)"),
        Step(
            g(alpha + 2) * g(2 * alpha) / (g(2 * alpha + 2) * g(alpha))
            - (g(alpha + 1) * g(2 * alpha) / (g(2 * alpha + 1) * g(alpha))) ** 2,
            Reason(
                "{}",
                (
                    Equation(
                        sp.beta(sp.Symbol("a"), sp.Symbol("b")),
                        g(sp.Symbol("a")) * g(sp.Symbol("b")) / g(sp.Symbol("a") + sp.Symbol("b")),
                    ),
                ),
            ),
        ),
        Step(
            (alpha + 1) * alpha / ((2 * alpha + 1) * 2 * alpha) - sp.Rational(1, 4),
            "Γ(s + 1) = s Γ(s): 𝔼[λ] = α/(2α) = 1/2",
        ),
        Step(1 / (4 * (2 * alpha + 1)), "common denominator"),
    ]
    return Derivation(
        "the variance of lambda ~ Beta(alpha, alpha)",
        [alpha],
        steps,
        domain={alpha: (0.05, 8)},
        lhs=Notation("Var(λ)", r"\operatorname{Var}(\lambda)"),
        display=_beta_shown(),
    )


#: The derived mean and variance of ``λ``.
MEAN = sp.Rational(1, 2)
VARIANCE = moments().result


@lru_cache
def shape() -> Derivation:
    """The slope of the log-density, ``(α − 1)(1 − 2λ)/(λ(1 − λ))``: for ``α > 1`` the density
    rises to ``½`` and falls after (one mode), for ``α < 1`` the reverse (lowest at ``½``,
    unbounded at 0 and 1), for ``α = 1`` flat.

    >>> shape().result
    (1 - 2*lambda)*(alpha - 1)/(lambda*(1 - lambda))
    """
    steps = [
        Step(sp.Derivative(sp.log(DENSITY), lam), "the log-density"),
        Step(
            sp.Derivative((alpha - 1) * (sp.log(lam) + sp.log(1 - lam)), lam),
            "log of a product; the constant B(α, α) drops",
        ),
        Step((alpha - 1) * (1 / lam - 1 / (1 - lam)), "log rule"),
        Step((alpha - 1) * (1 - 2 * lam) / (lam * (1 - lam)), "common denominator"),
    ]
    return Derivation(
        "the shape of the Beta(alpha, alpha) density",
        [lam, alpha],
        steps,
        domain={lam: (0.01, 0.99), alpha: (0.05, 6)},
        notes=("sign(slope) = sign(alpha - 1) sign(1/2 - lambda)",),
        display=_beta_shown(),
    )


def _alpha(value, name: str = "alpha") -> float:
    return arg.positive(value, name)


def _lam(value) -> float:
    return arg.probability(value, "lam")


def sample_lambda(alpha, size, seed=0) -> np.ndarray:
    """``size`` draws of ``λ ~ Beta(α, α)`` as the reference code draws them (NumPy's beta).

    >>> sample_lambda(0.4, 3, seed=1).round(3).tolist()
    [0.009, 0.318, 0.853]
    >>> sample_lambda(0.0, 3)
    Traceback (most recent call last):
    ...
    ValueError: alpha: a finite real number > 0 is required, got 0.0
    """
    a = _alpha(alpha)
    n = arg.count(size, "size")
    return np.random.default_rng(arg.seed(seed)).beta(a, a, n)


def onehot(y, num_classes) -> np.ndarray:
    """Rows ``e_y`` of the ``M × M`` identity for 0-based labels ``y``.

    >>> onehot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    m = arg.count(num_classes, "num_classes", minimum=2)
    labels = arg.array(y, "y", dtype=int, ndim=1)
    labels = _labels(labels, "y", labels.shape[0], m)
    return np.eye(m)[labels]


def mixup(x1, x2, y1, y2, lam, num_classes):
    """``(λx₁ + (1 − λ)x₂, λ·onehot(y₁) + (1 − λ)·onehot(y₂))`` for batches (first axis N).

    >>> mixup([[0.0]], [[1.0]], [0], [1], 1.5, 2)
    Traceback (most recent call last):
    ...
    ValueError: lam: a real number in [0, 1] is required, got 1.5
    >>> mixup([[0.0]], [[1.0, 2.0]], [0], [1], 0.5, 2)
    Traceback (most recent call last):
    ...
    ValueError: x1 of shape (1, 1) and x2 of shape (1, 2): the shapes must be equal
    """
    a = arg.array(x1, "x1", min_ndim=1)
    b = arg.array(x2, "x2", min_ndim=1)
    arg.same_shape("x1", a, "x2", b)
    weight = _lam(lam)
    m = arg.count(num_classes, "num_classes", minimum=2)
    n = a.shape[0]
    t1 = np.eye(m)[_labels(y1, "y1", n, m)]
    t2 = np.eye(m)[_labels(y2, "y2", n, m)]
    return weight * a + (1 - weight) * b, weight * t1 + (1 - weight) * t2


def _log_softmax(a: np.ndarray) -> np.ndarray:
    shifted = a - a.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def mixup_loss(h, y1, y2, lam):
    """``λ·CE(h, y₁) + (1 − λ)·CE(h, y₂)`` (mean over the batch) and its gradient in ``h``,
    ``(softmax(h) − ỹ)/N``: the loss with the mixed target, by :func:`identity`.

    >>> loss, grad = mixup_loss([[0.0, 0.0, 0.0]], [0], [2], 0.3)
    >>> round(float(loss), 6), grad.round(4).tolist()
    (1.098612, [[0.0333, 0.3333, -0.3667]])
    >>> mixup_loss([[0.0, 0.0]], [1], [2], 0.3)
    Traceback (most recent call last):
    ...
    ValueError: y2: 0-based labels in [0, 1] are required (as in torch), got [2]
    """
    a = logits(h)
    n, m = a.shape
    weight = _lam(lam)
    rows = np.arange(n)
    l1, l2 = _labels(y1, "y1", n, m), _labels(y2, "y2", n, m)
    logp = _log_softmax(a)
    loss = -float(np.mean(weight * logp[rows, l1] + (1 - weight) * logp[rows, l2]))
    grad = np.exp(logp)
    grad[rows, l1] -= weight
    grad[rows, l2] -= 1 - weight
    return loss, grad / n
