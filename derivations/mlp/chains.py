"""Backpropagation derived: softmax + cross-entropy, the layer rules, the SGD step.

SymPy differentiates the loss written entry by entry in symbolic weights of the course
network 3 → 4 (LeakyReLU, slope 1/100) → 3, and each :class:`~derivations.core.Derivation`
collects the entries into the matrix rule they form: ``δ² = p − ỹ``, ``∂l/∂W² = δ² (h¹)ᵀ``,
``∂l/∂b² = δ²``, ``∂l/∂h¹ = (W²)ᵀ δ²``, ``δ¹ = ∂l/∂h¹ ⊙ φ′(h̄¹)``, ``∂l/∂W¹ = δ¹ xᵀ``,
``∂l/∂b¹ = δ¹``. For the top layer and the activation, SymPy differentiates the loss as a
function of that layer's weights and its input, with everything above written out in full.
For ``W¹, b¹`` (:func:`whole_network`) it differentiates the loss written in all 34 weights
and inputs at once, and the whole recursion ``((W²)ᵀ δ² ⊙ φ′(h̄¹)) xᵀ`` falls out.
The rules are local, which is why they hold for any depth (:data:`RULES`).

The numbers of an answer key follow these rules in plain NumPy (:mod:`derivations.mlp.key`,
re-exported here: :func:`student_parameters`, :func:`answer_key`).

>>> d = derivation("mlp.backprop.dl_dW2")
>>> d.result.shape
(3, 4)
>>> d.check().ok
True
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.mlp.key import KEYS, answer_key, backprop, student_parameters

__all__ = ["KEYS", "RULES", "answer_key", "backprop", "derivation", "ids", "student_parameters"]

#: Widths of the course network and its label (1-based) and LeakyReLU slope, exactly.
D0, D1, M = 3, 4, 3
LABEL = 3
SLOPE = sp.Rational(1, 100)
#: Random points per step check: the identities are analytic, so a few points suffice, and
#: each point costs a substitution of ~20 symbols into every matrix entry.
POINTS = 3


def _vector(name: str, n: int) -> sp.Matrix:
    return sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"{name}_{{{i + 1}}}", real=True))


def _matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{{{i + 1}{j + 1}}}", real=True))


x = _vector("x", D0)
W1, b1 = _matrix("W^{1}", D1, D0), _vector("b^{1}", D1)
W2, b2 = _matrix("W^{2}", M, D1), _vector("b^{2}", M)
h1_bar, h1, h2 = _vector(r"\bar{h}^{1}", D1), _vector("h^{1}", D1), _vector("h^{2}", M)
#: Shown in place of long sums when a derivation is rendered.
S, p_shown = sp.Symbol("S", positive=True), _vector("p", M)


def leaky_relu(u, slope=SLOPE):
    """LeakyReLU as a SymPy ``Piecewise``.

    >>> leaky_relu(sp.Symbol("u"))
    Piecewise((u/100, u < 0), (u, True))
    """
    return sp.Piecewise((slope * u, u < 0), (u, True))


def leaky_relu_prime(u, slope=SLOPE):
    """Its derivative away from 0 (at 0 PyTorch returns the slope; see activations).

    >>> leaky_relu_prime(sp.Symbol("u"))
    Piecewise((1/100, u < 0), (1, True))
    """
    return sp.Piecewise((slope, u < 0), (1, True))


def onehot(label: int, classes: int = M) -> sp.Matrix:
    """``onehot(y)`` for a 1-based label.

    >>> onehot(3).T
    Matrix([[0, 0, 1]])
    """
    label, classes = _label(label, classes, 100)
    return sp.Matrix(classes, 1, lambda i, _: int(i == label - 1))


def _label(label, classes, most: int) -> tuple[int, int]:
    """A 1-based ``label`` of ``classes`` classes, at most ``most`` of them (symbolic size)."""
    classes = arg.count(classes, "classes", maximum=most)
    return arg.integer(label, "label", minimum=1, maximum=classes), classes


def _softmax(logits: sp.Matrix):
    total = sp.Add(*[sp.exp(v) for v in logits])
    return logits.applyfunc(lambda v: sp.exp(v) / total), total


def _shown(logits: sp.Matrix, p: sp.Matrix, total) -> dict:
    """Render ``p_i``, ``S`` and ``h²_i``, ``h¹_j``, ``φ′(h̄¹_j)`` for what they stand for."""
    out = {pi: p_shown[i] for i, pi in enumerate(p)}
    out[total] = S
    out.update({v: h2[i] for i, v in enumerate(logits) if v != h2[i]})
    for j, u in enumerate(h1_bar):
        out[leaky_relu(u)] = h1[j]
        out[leaky_relu_prime(u)] = sp.Symbol(f"\\varphi'(\\bar{{h}}^{{1}}_{{{j + 1}}})")
    return out


def _loss_and_delta(logits: sp.Matrix, label: int = LABEL):
    p, total = _softmax(logits)
    return -sp.log(p[label - 1]), p - onehot(label, len(logits)), _shown(logits, p, total)


def _product(a: sp.Matrix, b: sp.Matrix) -> sp.MatMul:
    """``a b`` kept as a product, so the matrix form is shown as the rule, not its entries."""
    return sp.MatMul(a, b, evaluate=False)


def _gradient(loss, wrt: sp.Matrix) -> sp.Matrix:
    """The matrix of pending derivatives ``∂l/∂wrt_ij`` (SymPy carries them out)."""
    return wrt.applyfunc(lambda w: sp.Derivative(loss, w))


# --- softmax + cross-entropy -------------------------------------------------------------
def cross_entropy_gradient(label: int = LABEL, classes: int = M) -> Derivation:
    """``∂l/∂h = p − onehot(y)`` for ``l = −log softmax(h)_y``.

    >>> cross_entropy_gradient(1, 2).check().ok
    True
    """
    label, classes = _label(label, classes, M)
    p, total = _softmax(h2[:classes, :])
    h = h2[:classes, :]
    y = onehot(label, classes)
    loss = -sp.log(p[label - 1])
    return Derivation(
        f"Softmax + cross-entropy gradient ({classes} classes, y = {label})",
        list(h),
        [
            Step(_gradient(loss, h), "definition: $l = -\\log p_y$, $p = e^{h}/S$"),
            Step(
                h.applyfunc(lambda v: sp.Derivative(sp.log(total) - h[label - 1], v)),
                "$-\\log \\frac{e^{h_y}}{S} = \\log S - h_y$",
            ),
            Step(
                sp.Matrix(classes, 1, lambda i, _: sp.exp(h[i]) / total - y[i]),
                "$\\partial \\log S/\\partial h_i = e^{h_i}/S$; $\\partial h_y/\\partial h_i$ "
                "is 1 for $i = y$, else 0",
            ),
            Step(sp.MatAdd(p, -y, evaluate=False), "$p - \\operatorname{onehot}(y)$"),
        ],
        lhs=sp.Symbol(r"\partial l/\partial h"),
        display=_shown(h, p, total),
        points=6,
    )


def label_smoothing_gradient(label: int = LABEL, classes: int = M) -> Derivation:
    """``∂l/∂h = p − ỹ`` for ``l = −Σ ỹ_i log p_i``, ``ỹ = (1 − α) onehot(y) + α/M``.

    >>> label_smoothing_gradient().check().ok
    True
    """
    label, classes = _label(label, classes, M)
    alpha = sp.Symbol("alpha", nonnegative=True)
    h = h2[:classes, :]
    p, total = _softmax(h)
    y = onehot(label, classes)
    y_tilde = y * (1 - alpha) + sp.ones(classes, 1) * alpha / classes
    loss = -sum(y_tilde[i] * sp.log(p[i]) for i in range(classes))
    delta = sp.KroneckerDelta
    return Derivation(
        f"Label-smoothed cross-entropy gradient ({classes} classes, y = {label})",
        [*h, alpha],
        [
            Step(
                _gradient(loss, h),
                "definition: $l = -\\sum_i \\tilde y_i \\log p_i$, "
                "$\\tilde y = (1 - \\alpha)\\operatorname{onehot}(y) + \\alpha/M$",
            ),
            Step(
                sp.Matrix(
                    classes,
                    1,
                    lambda j, _: -sum(y_tilde[i] * (delta(i, j) - p[j]) for i in range(classes)),
                ),
                "$\\partial \\log p_i/\\partial h_j = \\delta_{ij} - p_j$",
            ),
            Step(
                sp.MatAdd(p, -y_tilde, evaluate=False),
                "collect: $p_j \\sum_i \\tilde y_i - \\tilde y_j$, and "
                "$\\sum_i \\tilde y_i = (1 - \\alpha) + M \\cdot \\alpha/M = 1$: $p - \\tilde y$",
            ),
        ],
        lhs=sp.Symbol(r"\partial l/\partial h"),
        domain={alpha: (0, 1)},
        display=_shown(h, p, total),
        points=6,
    )


# --- the layers of the course network ----------------------------------------------------
def _output_layer(name: str, slope=SLOPE) -> Derivation:
    """Derivatives of l as a function of (W², b², h¹): only ``h² = W² h¹ + b²`` holds them."""
    loss, delta2, shown = _loss_and_delta(W2 * h1 + b2)
    symbols = [*W2, *b2, *h1]
    if name == "dl_dW2":
        entries = sp.Matrix(M, D1, lambda i, j: delta2[i] * h1[j])
        return _rule(
            name, loss, W2, entries, _product(delta2, h1.T), symbols, shown,
            "only $h^2_i$ holds $W^2_{ij}$, and $\\partial h^2_i/\\partial W^2_{ij} = h^1_j$; "
            "$\\partial l/\\partial h^2_i = \\delta^2_i = p_i - \\operatorname{onehot}(y)_i$",
            "outer product $\\delta^2 (h^1)^T$",
        )  # fmt: skip
    if name == "dl_db2":
        return _rule(
            name, loss, b2, delta2, delta2, symbols, shown,
            "$\\partial h^2_i/\\partial b^2_i = 1$", "$\\delta^2$",
        )  # fmt: skip
    entries = sp.Matrix(D1, 1, lambda j, _: sum(delta2[i] * W2[i, j] for i in range(M)))
    return _rule(
        name, loss, h1, entries, _product(W2.T, delta2), symbols, shown,
        "every $h^2_i$ holds $h^1_j$, with $\\partial h^2_i/\\partial h^1_j = W^2_{ij}$: "
        "$\\sum_i \\delta^2_i W^2_{ij}$",
        "matrix form $(W^2)^T \\delta^2$",
    )  # fmt: skip


def _hidden_activation(slope=SLOPE) -> Derivation:
    """∂l/∂h̄¹ with l a function of (h̄¹, W², b²): the chain through φ."""
    loss, delta2, shown = _loss_and_delta(
        W2 * h1_bar.applyfunc(lambda u: leaky_relu(u, slope)) + b2
    )
    phi_prime = h1_bar.applyfunc(lambda u: leaky_relu_prime(u, slope))
    entries = sp.Matrix(
        D1, 1, lambda j, _: sum(delta2[i] * W2[i, j] for i in range(M)) * phi_prime[j]
    )
    return _rule(
        "dl_dh1_bar", loss, h1_bar, entries, sp.HadamardProduct(_product(W2.T, delta2), phi_prime),
        [*h1_bar, *W2, *b2], shown,
        "$h^1_j = \\varphi(\\bar h^1_j)$ holds $\\bar h^1_j$ alone: "
        "$\\frac{\\partial l}{\\partial h^1_j} \\varphi'(\\bar h^1_j)$",
        "$\\delta^1 = (W^2)^T \\delta^2 \\odot \\varphi'(\\bar h^1)$",
    )  # fmt: skip


def _rule(name, loss, wrt, entries, matrix_form, symbols, shown, why, matrix_why):
    return Derivation(
        f"Backpropagation: {name} (3 → 4 LeakyReLU → 3)",
        symbols,
        [
            Step(_gradient(loss, wrt), "SymPy differentiates $l$ entry by entry"),
            Step(entries, why),
            Step(matrix_form, matrix_why),
        ],
        lhs=sp.Symbol(f"\\partial l/\\partial {_TEX[name]}"),
        display=shown,
        points=POINTS,
    )


_TEX = {
    "dl_dW2": "W^2",
    "dl_db2": "b^2",
    "dl_dh1": "h^1",
    "dl_dh1_bar": "\\bar h^1",
    "dl_dW1": "W^1",
    "dl_db1": "b^1",
}


def leaky_relu_abs(u, slope=SLOPE):
    """LeakyReLU as ``max(u, a u) = ((1 + a) u + (1 − a)|u|)/2``: the same function as
    :func:`leaky_relu`, in a form whose derivative SymPy keeps as one expression.

    >>> u = sp.Symbol("u", real=True)
    >>> leaky_relu_abs(u)
    101*u/200 + 99*Abs(u)/200
    >>> sp.simplify((leaky_relu_abs(u) - leaky_relu(u)).rewrite(sp.Piecewise))
    0
    """
    return ((1 + slope) * u + (1 - slope) * sp.Abs(u)) / 2


def leaky_relu_abs_prime(u, slope=SLOPE):
    """Its derivative ``((1 + a) + (1 − a) sign u)/2``: 1 or ``a`` away from 0, like
    :func:`leaky_relu_prime`.

    >>> [leaky_relu_abs_prime(v) for v in (-2, 3)]
    [1/100, 1]
    >>> u = sp.Symbol("u", real=True)
    >>> sp.simplify((leaky_relu_abs_prime(u) - leaky_relu_prime(u)).rewrite(sp.Piecewise))
    Piecewise((0, Ne(u, 0)), (-99/200, True))
    """
    return ((1 + slope) + (1 - slope) * sp.sign(u)) / 2


def whole_network(wrt: str = "W1", widths=(D0, D1, M), label: int = LABEL) -> Derivation:
    """``∂l/∂W¹`` (``wrt="W1"``) or ``∂l/∂b¹`` (``"b1"``) from the loss written in *all* the
    weights and inputs of the network: the recursion ``δ¹ = (W²)ᵀ δ² ⊙ φ′(h̄¹)`` and the outer
    product ``δ¹ xᵀ`` fall out of one differentiation.

    The loss is written ``log S − h²_y`` (``= −log p_y``, see :func:`cross_entropy_gradient`)
    and φ as :func:`leaky_relu_abs`: then ``expand`` proves each entry of the 3 → 4 → 3 network
    in a fraction of a second. Written as ``−log p_y``, ``expand`` spends ~4 s an entry before
    ``cancel`` proves it; with the ``Piecewise`` φ neither proves an entry and ``simplify``
    runs for minutes.

    >>> d = whole_network("b1", (2, 2, 2), 1)
    >>> d.result.doit().shape, d.check().ok
    ((2, 1), True)
    """
    arg.choice(wrt, "wrt", ("W1", "b1"))
    if not isinstance(widths, tuple | list) or len(widths) != 3:
        raise TypeError(f"widths: a triple (d0, d1, m) is required, got {arg.shown(widths)}")
    # each entry is a symbol SymPy differentiates: past these sizes a proof takes minutes
    d0, d1 = (arg.count(w, f"widths[{i}]", maximum=D1) for i, w in enumerate(widths[:2]))
    m = arg.count(widths[2], "widths[2]", maximum=M)
    label = arg.integer(label, "label", minimum=1, maximum=m)
    xs, w1, c1 = _vector("x", d0), _matrix("W^{1}", d1, d0), _vector("b^{1}", d1)
    w2, c2 = _matrix("W^{2}", m, d1), _vector("b^{2}", m)
    pre = w1 * xs + c1
    logits = w2 * pre.applyfunc(leaky_relu_abs) + c2
    p, total = _softmax(logits)
    loss, delta2 = sp.log(total) - logits[label - 1], p - onehot(label, m)
    phi_prime = pre.applyfunc(leaky_relu_abs_prime)
    # unevaluated products, so that p_i stays visible as a factor when rendered
    back = [
        sp.Add(*[sp.Mul(w2[i, j], delta2[i], evaluate=False) for i in range(m)]) for j in range(d1)
    ]
    delta1 = sp.HadamardProduct(_product(w2.T, delta2), phi_prime)
    if wrt == "W1":
        entries = sp.Matrix(d1, d0, lambda j, k: back[j] * phi_prime[j] * xs[k])
        chain = "$\\partial \\bar h^1_j/\\partial W^1_{jk} = x_k$"
        matrix_form, matrix_why = _product(delta1, xs.T), "\\delta^1 x^T"
        params = w1
    else:
        entries = sp.Matrix(d1, 1, lambda j, _: back[j] * phi_prime[j])
        chain = "$\\partial \\bar h^1_j/\\partial b^1_j = 1$"
        matrix_form, matrix_why, params = delta1, "\\delta^1", c1
    shown = _shown(logits, p, total)
    shown[loss] = sp.Symbol(f"\\left(\\log S - h^{{2}}_{{{label}}}\\right)")
    for j, u in enumerate(pre):
        shown[leaky_relu_abs(u)] = h1[j]
        shown[leaky_relu_abs_prime(u)] = sp.Symbol(f"\\varphi'(\\bar{{h}}^{{1}}_{{{j + 1}}})")
    return Derivation(
        f"Backpropagation through the whole network: {wrt} ({d0} → {d1} LeakyReLU → {m})",
        [*xs, *w1, *c1, *w2, *c2],
        [
            Step(
                _gradient(loss, params),
                "SymPy differentiates $l = -\\log p_y = \\log S - h^2_y$, written in every "
                "weight and input",
            ),
            Step(
                entries,
                "the chain rule, collected: $\\partial \\log S/\\partial h^2_i = p_i$ and "
                "$\\partial h^2_y/\\partial h^2_i = \\operatorname{onehot}(y)_i$ give "
                "$\\delta^2_i$; every $h^2_i$ holds $h^1_j$, with weight $W^2_{ij}$; "
                f"$h^1_j = \\varphi(\\bar h^1_j)$ gives $\\varphi'(\\bar h^1_j)$; {chain}",
            ),
            Step(
                matrix_form,
                "matrix form: $\\delta^1 = (W^2)^T \\delta^2 \\odot \\varphi'(\\bar h^1)$, "
                f"then ${matrix_why}$",
            ),
        ],
        lhs=sp.Symbol(f"\\partial l/\\partial {_TEX['dl_d' + wrt]}"),
        display=shown,
        notes=(
            "φ(u) = max(u, u/100) is written (101 u + 99|u|)/200, so SymPy finds "
            "φ′(u) = (101 + 99 sign u)/200: 1 for u > 0, 1/100 for u < 0.",
        ),
        points=2,
    )


# --- the SGD step --------------------------------------------------------------------------
def sgd_first_order() -> Derivation:
    """Why ``θ ← θ − η ∂l/∂θ``: along it the loss falls at rate ``‖∂l/∂θ‖²`` (shown on the
    logits, where ``∂l/∂h = p − onehot(y)``).

    >>> sgd_first_order().check().ok
    True
    """
    eta = sp.Symbol("eta", nonnegative=True)
    h = h2
    p, total = _softmax(h)
    g = p - onehot(LABEL)
    moved = h - eta * g
    loss_at = -sp.log(_softmax(moved)[0][LABEL - 1])
    return Derivation(
        "The SGD step lowers the loss to first order",
        [*h, eta],
        [
            Step(sp.Subs(sp.Derivative(loss_at, eta), eta, 0), "slope at $\\eta = 0$; $g = \\partial l/\\partial h$"),
            Step(-sp.Add(*[sp.Pow(g[i], 2, evaluate=False) for i in range(M)]), "chain rule: $-\\sum_i g_i^2$"),
        ],
        lhs=sp.Symbol(r"\frac{d}{d\eta} l(h - \eta g)\big|_{\eta=0}"),
        display=_shown(h, p, total),
        notes=("So a small enough step θ ← θ − η ∂l/∂θ never raises the loss, for every block"
               " of parameters at once (W², b², W¹, b¹).",),
        points=6,
    )  # fmt: skip


# --- registry ------------------------------------------------------------------------------
_BUILDERS = {
    "mlp.cross_entropy": cross_entropy_gradient,
    "mlp.label_smoothing": label_smoothing_gradient,
    "mlp.backprop.dl_dW2": lambda: _output_layer("dl_dW2"),
    "mlp.backprop.dl_db2": lambda: _output_layer("dl_db2"),
    "mlp.backprop.dl_dh1": lambda: _output_layer("dl_dh1"),
    "mlp.backprop.dl_dh1_bar": _hidden_activation,
    "mlp.backprop.dl_dW1": lambda: whole_network("W1"),
    "mlp.backprop.dl_db1": lambda: whole_network("b1"),
    "mlp.sgd": sgd_first_order,
}

#: The general rules, any depth L, widths and activation φ, and the derivation proving each
#: on the course instance. Layer k's rules involve only δᵏ and that layer's own map, so the
#: two-layer instance is the induction step from layer k to layer k − 1; the first layer's rules
#: are read off the whole network, differentiated at once.
RULES = (
    (r"\delta^L = \partial l/\partial h^L = p - \tilde y", "mlp.label_smoothing"),
    (r"\partial l/\partial W^k = \delta^k (h^{k-1})^T", "mlp.backprop.dl_dW2"),
    (r"\partial l/\partial b^k = \delta^k", "mlp.backprop.dl_db2"),
    (r"\partial l/\partial h^{k-1} = (W^k)^T \delta^k", "mlp.backprop.dl_dh1"),
    (
        r"\delta^{k-1} = \partial l/\partial \bar h^{k-1} = \partial l/\partial h^{k-1} \odot "
        r"\varphi'(\bar h^{k-1})",
        "mlp.backprop.dl_dh1_bar",
    ),
    (r"\partial l/\partial W^1 = \delta^1 x^T", "mlp.backprop.dl_dW1"),
    (r"\partial l/\partial b^1 = \delta^1", "mlp.backprop.dl_db1"),
    (r"\theta \leftarrow \theta - \eta\, \partial l/\partial \theta", "mlp.sgd"),
)  # fmt: skip


def ids() -> list[str]:
    """Every derivation id of this topic.

    >>> ids()[:2]
    ['mlp.cross_entropy', 'mlp.label_smoothing']
    """
    return list(_BUILDERS)


@cache
def derivation(derivation_id: str) -> Derivation:
    """The derivation ``derivation_id`` (see :func:`ids`).

    >>> derivation("mlp.nope")
    Traceback (most recent call last):
    ...
    ValueError: derivation_id: unknown derivation 'mlp.nope'; known: mlp.cross_entropy, ...
    """
    if derivation_id not in _BUILDERS:
        raise ValueError(
            f"derivation_id: unknown derivation {derivation_id!r}; known: {', '.join(_BUILDERS)}"
        )
    return _BUILDERS[derivation_id]()
