"""The one-versus-all loss: ``M`` independent yes/no questions, one per class.

With logits ``h`` (one per class), ``p_i = σ(h_i)`` and a 0-based label ``y``,
``L = −log p_y − Σ_{i≠y} log(1 − p_i)``. Per coordinate it is binary cross-entropy with the
one-hot target ``t_i = 1[i = y]``: ``ℓ(h, t) = −t log σ(h) − (1 − t) log(1 − σ(h))``, whose
derivative is ``σ(h) − t`` (:func:`gradient`). The stable form ``ℓ = softplus(h) − t·h``
(:func:`as_bce`) is what :func:`ova_loss` computes, so no exponential overflows at any logit.

>>> loss, grad = ova_loss([[0.0, 1000.0, -1000.0]], [1])
>>> float(loss), grad.tolist()
(0.6931471805599453, [[0.5, 0.0, 0.0]])
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.functions import sigmoid
from derivations.printing import Equation
from derivations.render import Reason

h = sp.Symbol("h", real=True)
t = sp.Symbol("t", real=True)


def _bce(u, target):
    return -target * sp.log(sigmoid(u)) - (1 - target) * sp.log(1 - sigmoid(u))


@lru_cache
def gradient() -> Derivation:
    """``∂ℓ/∂h = σ(h) − t`` for ``ℓ(h, t) = −t log σ(h) − (1 − t) log(1 − σ(h))``.

    >>> gradient().result
    t*(sigmoid(h) - 1) + (1 - t)*sigmoid(h)
    >>> sp.expand(gradient().result - (sigmoid(h) - t))
    0
    """
    s = sp.Symbol("sigma", real=True)
    steps = [
        Step(sp.Derivative(_bce(h, t), h), "definition of the per-class loss"),
        Step(
            -t * sp.Derivative(sigmoid(h), h) / sigmoid(h)
            + (1 - t) * sp.Derivative(sigmoid(h), h) / (1 - sigmoid(h)),
            Reason("chain rule; {}", (Equation(sp.Derivative(sp.log(s), s), 1 / s),)),
        ),
        Step(
            -t * (1 - sigmoid(h)) + (1 - t) * sigmoid(h),
            Reason("{}", (Equation(sp.Derivative(sigmoid(h), h), sigmoid(h) * (1 - sigmoid(h))),)),
        ),
        Step(t * (sigmoid(h) - 1) + (1 - t) * sigmoid(h), "collect"),
    ]
    return Derivation(
        "one-versus-all: the derivative of one class's term",
        [h, t],
        steps,
        domain={h: (-8, 8), t: (0, 1)},
        lhs=sp.Derivative(sp.Function("ell")(h, t), h),
        notes=("= sigmoid(h) - t; with t_i = 1[i = y]: dL/dh_i = sigmoid(h_i) - 1[i = y]",),
    )


#: The derived derivative of one class's term, ``σ(h) − t``.
GRADIENT = sigmoid(h) - t


@lru_cache
def as_bce(num_classes: int = 3, label: int = 1) -> Derivation:
    """The OVA loss for ``M = num_classes`` logits and 0-based ``label`` is the sum of binary
    cross-entropies with the one-hot target, and equals ``Σ_i softplus(h_i) − h_y``.

    >>> dv = as_bce()
    >>> dv.result
    -h_1 + log(exp(h_0) + 1) + log(exp(h_1) + 1) + log(exp(h_2) + 1)
    >>> dv.check().ok
    True
    """
    m = arg.count(num_classes, "num_classes", minimum=2, maximum=6)
    y = arg.integer(label, "label", minimum=0, maximum=m - 1)
    hs = sp.symbols(f"h_0:{m}", real=True)
    onehot = [sp.Integer(int(i == y)) for i in range(m)]
    definition = -sp.log(sigmoid(hs[y])) - sum(
        sp.log(1 - sigmoid(hs[i])) for i in range(m) if i != y
    )
    u = sp.Symbol("u", real=True)
    steps = [
        Step(definition, Reason("definition, label {} (0-based)", (sp.Integer(y),))),
        Step(
            sum(_bce(hs[i], onehot[i]) for i in range(m)),
            Reason(
                "{} with {}", (sp.Symbol("ell"), Equation(sp.Symbol("t_i"), sp.Symbol("1[i=y]")))
            ),
        ),
        Step(
            sum(
                onehot[i] * sp.log(1 + sp.exp(-hs[i])) + (1 - onehot[i]) * sp.log(1 + sp.exp(hs[i]))
                for i in range(m)
            ),
            Reason(
                "{}, {}",
                (
                    Equation(-sp.log(sigmoid(u)), sp.log(1 + sp.exp(-u))),
                    Equation(-sp.log(1 - sigmoid(u)), sp.log(1 + sp.exp(u))),
                ),
            ),
        ),
        Step(
            sum(sp.log(1 + sp.exp(hs[i])) for i in range(m)) - hs[y],
            Reason("{}", (Equation(sp.log(1 + sp.exp(-u)), sp.log(1 + sp.exp(u)) - u),)),
        ),
    ]
    return Derivation(
        f"one-versus-all as binary cross-entropy, M = {m}, y = {y}",
        list(hs),
        steps,
        domain={s: (-6, 6) for s in hs},
        lhs=sp.Symbol("l"),  # the loss of one example (book/notation.md)
        notes=("softplus(h) = log(1 + exp(h)) = max(h, 0) + log(1 + exp(-|h|)): finite for all h",),
    )


@lru_cache
def softmax_gradient(num_classes: int = 3, label: int = 0) -> Derivation:
    """Softmax cross-entropy ``−log softmax(h)_y``: its gradient ``p − onehot(y)`` sums to 0.

    >>> softmax_gradient().check().ok
    True
    """
    m = arg.count(num_classes, "num_classes", minimum=2, maximum=5)
    y = arg.integer(label, "label", minimum=0, maximum=m - 1)
    hs = sp.symbols(f"h_0:{m}", real=True)
    z = sum(sp.exp(v) for v in hs)
    loss = -sp.log(sp.exp(hs[y]) / z)
    p = [sp.exp(v) / z for v in hs]
    steps = [
        Step(sp.Matrix([sp.Derivative(loss, v) for v in hs]), "definition: the gradient"),
        Step(
            sp.Matrix([sp.Derivative(sp.log(z), v) - sp.Derivative(hs[y], v) for v in hs]),
            Reason("{}", (Equation(-sp.log(sp.exp(hs[y]) / z), sp.log(sp.Symbol("Z")) - hs[y]),)),
        ),
        Step(
            sp.Matrix([p[i] - int(i == y) for i in range(m)]),
            "chain rule: d log Z/dh_i = exp(h_i)/Z",
        ),
    ]
    return Derivation(
        f"softmax cross-entropy: the gradient, M = {m}, y = {y}",
        list(hs),
        steps,
        domain={s: (-5, 5) for s in hs},
        notes=(
            "its entries sum to sum(p) - 1 = 0; the OVA gradient sums to sum(sigmoid(h_i)) - 1",
        ),
    )


def _labels(y, name: str, n: int, m: int) -> np.ndarray:
    labels = arg.array(y, name, dtype=int, ndim=1)
    if labels.shape != (n,):
        raise ValueError(
            f"{name}: one label per row of h is required: h has {n} rows, {name} has shape "
            f"{labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= m):
        bad = labels[(labels < 0) | (labels >= m)]
        raise ValueError(
            f"{name}: 0-based labels in [0, {m - 1}] are required (as in torch), got {bad.tolist()}"
        )
    return labels


def logits(h, name: str = "h") -> np.ndarray:
    """``h`` checked as a finite ``(N, M)`` float array with ``N ≥ 1``, ``M ≥ 2``.

    >>> logits([[1.0]])
    Traceback (most recent call last):
    ...
    ValueError: h: logits of shape (N, M) with N >= 1 and M >= 2 are required, got shape (1, 1)
    """
    a = arg.array(h, name, ndim=2)
    if a.shape[0] < 1 or a.shape[1] < 2:
        raise ValueError(
            f"{name}: logits of shape (N, M) with N >= 1 and M >= 2 are required, got shape "
            f"{a.shape}"
        )
    return a


def sigmoid_array(a: np.ndarray) -> np.ndarray:
    """``σ(a)`` entrywise, to full relative precision and without overflow: with
    ``e = exp(−|a|)`` it is ``1/(1 + e)`` for ``a ≥ 0`` and ``e/(1 + e)`` below (the tanh form
    rounds ``σ(−40) ≈ 4e-18`` to 0).

    >>> sigmoid_array(np.array([-1000.0, -40.0, 0.0, 1000.0])).tolist()
    [0.0, 4.248354255291589e-18, 0.5, 1.0]
    """
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def ova_loss(h, y):
    """One-versus-all loss and its gradient for logits ``h`` (N, M) and 0-based labels ``y``.

    ``loss = (1/N) Σ_n [softplus(−h_{n,y_n}) + Σ_{i≠y_n} softplus(h_ni)]`` (summed over
    classes, averaged over the batch) and ``grad = (σ(h) − onehot(y))/N``. ``softplus`` is ``np.logaddexp(0, h)``,
    exact at ``|h| = 1000`` where ``log σ`` would be ``log 0``.

    >>> loss, grad = ova_loss(np.array([[2.0, -1.0], [0.0, 0.0]]), np.array([0, 1]))
    >>> round(float(loss), 6), grad.round(4).tolist()
    (0.913242, [[-0.0596, 0.1345], [0.25, -0.25]])
    >>> ova_loss(np.zeros((2, 3)), np.array([1, 3]))
    Traceback (most recent call last):
    ...
    ValueError: y: 0-based labels in [0, 2] are required (as in torch), got [3]
    >>> ova_loss(np.zeros((2, 3)), np.array([0]))
    Traceback (most recent call last):
    ...
    ValueError: y: one label per row of h is required: h has 2 rows, y has shape (1,)
    """
    a = logits(h)
    n, m = a.shape
    labels = _labels(y, "y", n, m)
    rows = np.arange(n)
    # −log σ(h_y) = softplus(−h_y) and −log(1 − σ(h_i)) = softplus(h_i), each term computed
    # on its own: softplus(h_y) − h_y would cancel 1000 against 1000 and lose the small rest
    terms = np.logaddexp(0.0, a)
    terms[rows, labels] = np.logaddexp(0.0, -a[rows, labels])
    with np.errstate(over="ignore"):  # refused below
        loss = float(np.mean(terms.sum(axis=1)))
    if not np.isfinite(loss):
        raise ValueError(f"h: the loss overflows float64 (logits up to {np.abs(a).max():g})")
    grad = sigmoid_array(a)
    grad[rows, labels] -= 1.0
    return loss, grad / n
