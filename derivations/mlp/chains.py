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
from derivations.index_form import IndexForm
from derivations.mlp.key import KEYS, answer_key, backprop, student_parameters
from derivations.printing import Equation, Notation, subscript, text
from derivations.render import Reason

__all__ = [
    "KEYS",
    "RULES",
    "answer_key",
    "backprop",
    "derivation",
    "ids",
    "index_form",
    "student_parameters",
]

#: Widths of the course network and its label (1-based) and LeakyReLU slope, exactly.
D0, D1, M = 3, 4, 3
LABEL = 3
SLOPE = sp.Rational(1, 100)
#: Random points per step check: the identities are analytic, so a few points suffice, and
#: each point costs a substitution of ~20 symbols into every matrix entry.
POINTS = 3


def _vector(name: str, n: int) -> sp.Matrix:
    return sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"{name}_{i + 1}", real=True))


def _matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True))


def _h_bar(n: int) -> sp.Matrix:
    """``h̄¹``: SymPy's names have no bar over a letter with an index, so both forms are given."""
    return sp.Matrix(
        n,
        1,
        lambda i, _: Notation(f"h̄¹{subscript(i + 1)}", rf"\bar{{h}}^{{1}}_{{{i + 1}}}", real=True),
    )


x = _vector("x", D0)
W1, b1 = _matrix("W^1", D1, D0), _vector("b^1", D1)
W2, b2 = _matrix("W^2", M, D1), _vector("b^2", M)
h1_bar, h1, h2 = _h_bar(D1), _vector("h^1", D1), _vector("h^2", M)
#: Shown in place of long sums when a derivation is rendered.
S, p_shown = sp.Symbol("S", positive=True), _vector("p", M)

# --- quoted in reasons ---------------------------------------------------------------------
_i, _j, _k = sp.symbols("i j k", integer=True, positive=True)
_l, _p, _h, _y, _alpha, _eta, _g = sp.symbols("l p h y alpha eta g")
_p_i, _p_j, _p_y, _h_i, _h_y = sp.symbols("p_i p_j p_y h_i h_y")
_h2_i, _h2_y, _h1_j, _W2_ij, _delta2_i = sp.symbols("h^2_i h^2_y h^1_j W^2_ij delta^2_i")
_onehot = sp.Function("onehot")
_onehot_i = Notation("onehot(y)ᵢ", r"\operatorname{onehot}(y)_i")
_varphi = sp.Function("varphi")
_h_bar_j = Notation("h̄¹ⱼ", r"\bar h^1_j")
_phi_prime_j = Notation("φ'(h̄¹ⱼ)", r"\varphi'(\bar h^1_j)")
_delta1_rule = Notation(
    "δ¹ = (W²)ᵀ·δ² ⊙ φ'(h̄¹)", r"\delta^1 = (W^2)^\top \delta^2 \odot \varphi'(\bar h^1)"
)
_Delta1, _Delta2 = sp.MatrixSymbol("delta^1", D1, 1), sp.MatrixSymbol("delta^2", M, 1)
_X, _H1 = sp.MatrixSymbol("x", D0, 1), sp.MatrixSymbol("h^1", D1, 1)
_W2 = sp.MatrixSymbol("W^2", M, D1)
_dl_dh = Notation("∂l/∂h", r"\partial l/\partial h")


def _partial(top: str, top_tex: str, wrt: str, wrt_tex: str) -> Notation:
    """``∂top/∂wrt`` written inline, as the course writes it."""
    return Notation(f"∂{top}/∂{wrt}", f"\\partial {top_tex}/\\partial {wrt_tex}")


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
        out[leaky_relu_prime(u)] = _phi_prime(u)
    return out


def _phi_prime(u) -> Notation:
    """``φ'(u)`` for one entry ``u`` of ``h̄¹``, as one symbol."""
    return Notation(f"φ'({text(u)})", f"\\varphi'({sp.latex(u)})")


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
            Step(
                _gradient(loss, h),
                Reason(
                    "definition: {}, {}",
                    (Equation(_l, -sp.log(_p_y)), Equation(_p, sp.exp(_h) / S)),
                ),
            ),
            Step(
                h.applyfunc(lambda v: sp.Derivative(sp.log(total) - h[label - 1], v)),
                Reason(
                    "{}",
                    (
                        Equation(
                            -sp.log(sp.Mul(sp.exp(_h_y), 1 / S, evaluate=False)), sp.log(S) - _h_y
                        ),
                    ),
                ),
            ),
            Step(
                sp.Matrix(classes, 1, lambda i, _: sp.exp(h[i]) / total - y[i]),
                Reason(
                    "{}; {} is 1 for {}, else 0",
                    (
                        Equation(_partial("log S", r"\log S", "hᵢ", "h_i"), sp.exp(_h_i) / S),
                        _partial("h_y", "h_y", "hᵢ", "h_i"),
                        Equation(sp.Symbol("i"), _y),
                    ),
                ),
            ),
            Step(sp.MatAdd(p, -y, evaluate=False), Reason("{}", (_p - _onehot(_y),))),
        ],
        lhs=_dl_dh,
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
    _y_tilde, _y_tilde_i, _M = sp.Symbol("ytilde"), sp.Symbol("ytilde_i"), sp.Symbol("M")
    _sum_y_tilde = sp.Sum(_y_tilde_i, (_i, 1, _M))
    return Derivation(
        f"Label-smoothed cross-entropy gradient ({classes} classes, y = {label})",
        [*h, alpha],
        [
            Step(
                _gradient(loss, h),
                Reason(
                    "definition: {}, {}",
                    (
                        Equation(_l, -sp.Sum(_y_tilde_i * sp.log(sp.Symbol("p_i")), (_i, 1, _M))),
                        Equation(_y_tilde, (1 - _alpha) * _onehot(_y) + _alpha / _M),
                    ),
                ),
            ),
            Step(
                sp.Matrix(
                    classes,
                    1,
                    lambda j, _: -sum(y_tilde[i] * (delta(i, j) - p[j]) for i in range(classes)),
                ),
                Reason(
                    "{}",
                    (
                        Equation(
                            _partial("log pᵢ", r"\log p_i", "hⱼ", "h_j"),
                            sp.KroneckerDelta(_i, _j) - _p_j,
                        ),
                    ),
                ),
            ),
            Step(
                sp.MatAdd(p, -y_tilde, evaluate=False),
                Reason(
                    "collect: {}, and {}: {}",
                    (
                        _p_j * _sum_y_tilde - sp.Symbol("ytilde_j"),
                        Equation(
                            _sum_y_tilde,
                            sp.Add(
                                1 - _alpha, sp.Mul(_M, _alpha / _M, evaluate=False), evaluate=False
                            ),
                            1,
                        ),
                        _p - _y_tilde,
                    ),
                ),
            ),
        ],
        lhs=_dl_dh,
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
            Reason("only {} holds {}, and {}; {}", (
                _h2_i, _W2_ij,
                Equation(_partial("h²ᵢ", "h^2_i", "W²ᵢⱼ", "W^2_{ij}"), _h1_j),
                Equation(_partial("l", "l", "h²ᵢ", "h^2_i"), _delta2_i, _p_i - _onehot_i),
            )),
            Reason("outer product {}", (_Delta2 * _H1.T,)),
        )  # fmt: skip
    if name == "dl_db2":
        return _rule(
            name, loss, b2, delta2, delta2, symbols, shown,
            Reason("{}", (Equation(_partial("h²ᵢ", "h^2_i", "b²ᵢ", "b^2_i"), 1),)),
            Reason("{}", (_Delta2,)),
        )  # fmt: skip
    entries = sp.Matrix(D1, 1, lambda j, _: sum(delta2[i] * W2[i, j] for i in range(M)))
    return _rule(
        name, loss, h1, entries, _product(W2.T, delta2), symbols, shown,
        Reason("every {} holds {}, with {}: {}", (
            _h2_i, _h1_j,
            Equation(_partial("h²ᵢ", "h^2_i", "h¹ⱼ", "h^1_j"), _W2_ij),
            sp.Sum(_delta2_i * _W2_ij, (_i, 1, sp.Symbol("M"))),
        )),
        Reason("matrix form {}", (_W2.T * _Delta2,)),
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
        Reason("{} holds {} alone: {}", (
            Equation(_h1_j, _varphi(_h_bar_j)), _h_bar_j,
            sp.Mul(_partial("l", "l", "h¹ⱼ", "h^1_j"), _phi_prime_j, evaluate=False),
        )),
        Reason("{}", (_delta1_rule,)),
    )  # fmt: skip


def _rule(name, loss, wrt, entries, matrix_form, symbols, shown, why, matrix_why):
    return Derivation(
        f"Backpropagation: {name} (3 → 4 LeakyReLU → 3)",
        symbols,
        [
            Step(_gradient(loss, wrt), Reason("SymPy differentiates {} entry by entry", (_l,))),
            Step(entries, why),
            Step(matrix_form, matrix_why),
        ],
        lhs=_partial("l", "l", *_TEX[name]),
        display=shown,
        points=POINTS,
    )


#: What each gradient is taken with respect to: (terminal form, LaTeX).
_TEX = {
    "dl_dW2": ("W²", "W^2"),
    "dl_db2": ("b²", "b^2"),
    "dl_dh1": ("h¹", "h^1"),
    "dl_dh1_bar": ("h̄¹", "\\bar h^1"),
    "dl_dW1": ("W¹", "W^1"),
    "dl_db1": ("b¹", "b^1"),
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
    xs, w1, c1 = _vector("x", d0), _matrix("W^1", d1, d0), _vector("b^1", d1)
    w2, c2 = _matrix("W^2", m, d1), _vector("b^2", m)
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
        chain = Equation(_partial("h̄¹ⱼ", r"\bar h^1_j", "W¹ⱼₖ", "W^1_{jk}"), sp.Symbol("x_k"))
        matrix_form, matrix_why = _product(delta1, xs.T), _Delta1 * _X.T
        params = w1
    else:
        entries = sp.Matrix(d1, 1, lambda j, _: back[j] * phi_prime[j])
        chain = Equation(_partial("h̄¹ⱼ", r"\bar h^1_j", "b¹ⱼ", "b^1_j"), 1)
        matrix_form, matrix_why, params = delta1, _Delta1, c1
    shown = _shown(logits, p, total)
    shown[loss] = Notation(
        f"(log S - {text(h2[label - 1])})", f"\\left(\\log S - {sp.latex(h2[label - 1])}\\right)"
    )
    for j, u in enumerate(pre):
        shown[leaky_relu_abs(u)] = h1[j]
        shown[leaky_relu_abs_prime(u)] = _phi_prime(h1_bar[j])
    return Derivation(
        f"Backpropagation through the whole network: {wrt} ({d0} → {d1} LeakyReLU → {m})",
        [*xs, *w1, *c1, *w2, *c2],
        [
            Step(
                _gradient(loss, params),
                Reason(
                    "SymPy differentiates {}, written in every weight and input",
                    (Equation(_l, -sp.log(_p_y), sp.log(S) - _h2_y),),
                ),
            ),
            Step(
                entries,
                Reason(
                    "the chain rule, collected: {} and {} give {}; every {} holds {}, with "
                    "weight {}; {} gives {}; {}",
                    (
                        Equation(_partial("log S", r"\log S", "h²ᵢ", "h^2_i"), _p_i),
                        Equation(_partial("h²_y", "h^2_y", "h²ᵢ", "h^2_i"), _onehot_i),
                        _delta2_i,
                        _h2_i,
                        _h1_j,
                        _W2_ij,
                        Equation(_h1_j, _varphi(_h_bar_j)),
                        _phi_prime_j,
                        chain,
                    ),
                ),
            ),
            Step(matrix_form, Reason("matrix form: {}, then {}", (_delta1_rule, matrix_why))),
        ],
        lhs=_partial("l", "l", *_TEX["dl_d" + wrt]),
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
            Step(sp.Subs(sp.Derivative(loss_at, eta), eta, 0),
                 Reason("slope at {}; {}", (Equation(_eta, 0), Equation(_g, _dl_dh)))),
            Step(-sp.Add(*[sp.Pow(g[i], 2, evaluate=False) for i in range(M)]),
                 Reason("chain rule: {}", (-sp.Sum(sp.Symbol("g_i") ** 2, (_i, 1, sp.Symbol("M"))),))),
        ],
        lhs=Notation("d/dη l(h - η·g) at η = 0", r"\frac{d}{d\eta} l(h - \eta g)\big|_{\eta=0}"),
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
    "mlp.backprop.deep.relu.dl_dW1": lambda: _deep("relu"),
    "mlp.backprop.deep.leaky_relu.dl_dW1": lambda: _deep("leaky_relu"),
}


def _deep(activation: str) -> Derivation:
    """The first layer's gradient of a net with two hidden layers (:mod:`.deep`, which
    builds on this module, hence imported here)."""
    from derivations.mlp.deep import WIDTHS, deep_network

    return deep_network("W1", WIDTHS, activation)


#: The general rules, any depth L, widths and activation φ, and the derivation proving each
#: on the course instance. Layer k's rules involve only δᵏ and that layer's own map, so the
#: two-layer instance is the induction step from layer k to layer k − 1; the first layer's rules
#: are read off the whole network, differentiated at once.
RULES = (
    (r"\delta^L = \partial l/\partial h^L = p - \tilde y", "mlp.label_smoothing"),
    (r"\partial l/\partial W^k = \delta^k (h^{k-1})^\top", "mlp.backprop.dl_dW2"),
    (r"\partial l/\partial b^k = \delta^k", "mlp.backprop.dl_db2"),
    (r"\partial l/\partial h^{k-1} = (W^k)^\top \delta^k", "mlp.backprop.dl_dh1"),
    (
        r"\delta^{k-1} = \partial l/\partial \bar h^{k-1} = \partial l/\partial h^{k-1} \odot "
        r"\varphi'(\bar h^{k-1})",
        "mlp.backprop.dl_dh1_bar",
    ),
    (r"\partial l/\partial W^1 = \delta^1 x^\top", "mlp.backprop.dl_dW1"),
    (
        r"\delta^1 = (W^2)^\top \bigl((W^3)^\top \delta^3 \odot \varphi'(\bar h^2)\bigr) \odot "
        r"\varphi'(\bar h^1)\ \text{(ReLU, two hidden layers)}",
        "mlp.backprop.deep.relu.dl_dW1",
    ),
    (
        r"\delta^1 = (W^2)^\top \bigl((W^3)^\top \delta^3 \odot \varphi'(\bar h^2)\bigr) \odot "
        r"\varphi'(\bar h^1)\ \text{(LeakyReLU, two hidden layers)}",
        "mlp.backprop.deep.leaky_relu.dl_dW1",
    ),
    (r"\partial l/\partial b^1 = \delta^1", "mlp.backprop.dl_db1"),
    (r"\theta \leftarrow \theta - \eta\, \partial l/\partial \theta", "mlp.sgd"),
)  # fmt: skip


# --- index forms: one entry of each result too wide for a page's column -------------------
_Ib, _Jb = sp.symbols("i j", integer=True, positive=True)
_W1_, _W2_ = sp.IndexedBase("W^1"), sp.IndexedBase("W^2")
_x_, _h1_ = sp.IndexedBase("x"), sp.IndexedBase("h^1")
_d1_, _d2_ = sp.IndexedBase("delta^1"), sp.IndexedBase("delta^2")
_phi_ = sp.IndexedBase(Notation("φ'(h̄¹)", r"\varphi'(\bar h^{1})"))


def _entry_name(wrt: str, wrt_tex: str) -> Notation:
    return _partial("l", "l", wrt, wrt_tex)


def _back(j) -> sp.Sum:
    """``Σᵢ W²ᵢⱼ δ²ᵢ``: the error sent back to hidden unit ``j``."""
    return sp.Sum(_W2_[_Ib, j] * _d2_[_Ib], (_Ib, 1, M))


def index_form(derivation_id: str) -> IndexForm | None:
    """The entry ``(i, j)`` of a derivation's matrix result written with indices, as the course
    writes the rule (``∂l/∂W¹ᵢⱼ = δ¹ᵢ xⱼ``), with each indexed name bound to its matrix on the
    course network; ``None`` for a result small enough to show whole.

    >>> f = index_form("mlp.backprop.dl_dW1")
    >>> text(f.equation)
    '∂l/∂W¹ᵢⱼ = δ¹[i]·x[j]'
    >>> f.shape, index_form("mlp.cross_entropy")
    ((4, 3), None)
    """
    if derivation_id not in _BUILDERS:
        derivation(derivation_id)  # raises, naming the known ids
    if derivation_id in ("mlp.backprop.dl_dW2", "mlp.backprop.dl_dh1"):
        p, _ = _softmax(W2 * h1 + b2)
        bound = {_d2_: p - onehot(LABEL), _h1_: h1, _W2_: W2}
        if derivation_id.endswith("dl_dW2"):
            return IndexForm(
                _entry_name("W²ᵢⱼ", "W^2_{ij}"), (_Ib, _Jb), _d2_[_Ib] * _h1_[_Jb], bound, (M, D1)
            )
        return IndexForm(_entry_name("h¹ⱼ", "h^1_j"), (_Jb,), _back(_Jb), bound, (D1, 1))
    if derivation_id == "mlp.backprop.dl_dh1_bar":
        p, _ = _softmax(W2 * h1_bar.applyfunc(leaky_relu) + b2)
        bound = {_d2_: p - onehot(LABEL), _W2_: W2, _phi_: h1_bar.applyfunc(leaky_relu_prime)}
        name = _entry_name("h̄¹ⱼ", r"\bar h^1_j")
        return IndexForm(name, (_Jb,), _back(_Jb) * _phi_[_Jb], bound, (D1, 1))
    if derivation_id in ("mlp.backprop.dl_dW1", "mlp.backprop.dl_db1"):
        pre = W1 * x + b1
        p, _ = _softmax(W2 * pre.applyfunc(leaky_relu_abs) + b2)
        delta1 = (W2.T * (p - onehot(LABEL))).multiply_elementwise(
            pre.applyfunc(leaky_relu_abs_prime)
        )
        bound = {_d1_: delta1, _x_: x}
        if derivation_id.endswith("dl_dW1"):
            name = _entry_name("W¹ᵢⱼ", "W^1_{ij}")
            return IndexForm(name, (_Ib, _Jb), _d1_[_Ib] * _x_[_Jb], bound, (D1, D0))
        return IndexForm(_entry_name("b¹ᵢ", "b^1_i"), (_Ib,), _d1_[_Ib], bound, (D1, 1))
    return None


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
