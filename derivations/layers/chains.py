"""Backward passes derived on small symbolic instances, each checked step by step.

Every layer's loss is written ``L = Σ G ⊙ out`` with symbolic upstream gradients ``G`` (what
``dout`` is), so ``∂L/∂θ`` is exactly what a backward pass returns. Each derivation starts
from the matrix of unevaluated partial derivatives and ends in the general formula that
:mod:`derivations.layers` implements, instantiated on the small case; :meth:`check` proves
every entry. :func:`get` builds them lazily (SymPy work happens on first use only).

>>> d = get("relu")
>>> d.check().ok
True
>>> sorted(NAMES)[:3]
['affine.dW', 'affine.db', 'affine.dx']
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derivations.core import Derivation, Step
from derivations.index_form import IndexForm
from derivations.printing import Equation, Notation, text
from derivations.render import Reason

# Symbols quoted in reasons: sizes, indices, and the matrices of the general formulas.
_N, _D, _M = sp.symbols("N D M", integer=True, positive=True)
_i, _j, _k, _u, _v = sp.symbols("i j k u v", integer=True)
_G, _X, _W = (
    sp.MatrixSymbol("G", _N, _M),
    sp.MatrixSymbol("X", _N, _D),
    sp.MatrixSymbol("W", _D, _M),
)
_L = sp.Symbol("L")


def _matrix(name: str, rows: int, cols: int, **assumptions) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", **assumptions))


def _grad(loss, wrt: sp.Matrix) -> sp.Matrix:
    """The matrix of unevaluated ``∂loss/∂wrt_ij`` (evaluated when checked)."""
    return wrt.applyfunc(lambda s: sp.Derivative(loss, s))


def _d(top: str, wrt) -> Notation:
    """``∂top/∂wrt`` as one symbol, for display."""
    return Notation(
        f"∂{top}/∂{text(wrt)}", f"\\frac{{\\partial {top}}}{{\\partial {sp.latex(wrt)}}}"
    )


def _partials(loss, wrt: sp.Matrix) -> dict:
    """Display substitutions showing each ``∂loss/∂θ`` as ``∂L/∂θ`` (the loss's definition is
    in the first step's reason); checks always use the full expression."""
    return {sp.Derivative(loss, s): _d("L", s) for s in wrt}


def _symbols(*matrices) -> list:
    return [s for m in matrices for s in m]


# --- affine: out = X W + 1 bᵀ on N = 2, D = 3, M = 2 -----------------------------------------
def _affine(which: str) -> Derivation:
    x_nd, w_dk = sp.Symbol("x_nd"), sp.Symbol("w_dk")
    X, W, G = (
        _matrix("x", 2, 3, real=True),
        _matrix("w", 3, 2, real=True),
        _matrix("g", 2, 2, real=True),
    )
    b = _matrix("b", 1, 2, real=True)
    out = X * W + sp.ones(2, 1) * b
    loss = sum(G.multiply_elementwise(out))
    wrt, general, reason = {
        "dx": (X, G * W.T, Reason("only {} holds {}, with factor {}: {}", (sp.Symbol("out_nk"), x_nd, w_dk, _G * _W.T))),
        "dW": (W, X.T * G, Reason("{} appears in every row {} with factor {}: {}", (w_dk, sp.Symbol("n"), x_nd, _X.T * _G))),
        "db": (b, sp.ones(1, 2) * G, Reason("{} appears once in every row: column sums of {}", (sp.Symbol("b_k"), _G))),
    }[which]  # fmt: skip
    name = {"dx": _X, "dW": _W, "db": sp.Symbol("b")}[which]
    general_b = sp.MatrixSymbol("b", _M, 1)
    layer = sp.HadamardProduct(_G, _X * _W + sp.OneMatrix(_N, 1) * general_b.T)
    return Derivation(
        f"affine backward, {which}",
        _symbols(X, W, G, b),
        [
            Step(
                _grad(loss, wrt),
                Reason("definition, {} = the sum of the entries of {}", (_L, layer)),
            ),
            Step(general, reason),
        ],
        lhs=_d("L", name),
        notes=["dx is reshaped back to x's shape (N, d1, …, dk) after the product."],
        display=_partials(loss, wrt),
        points=4,
    )


# --- ReLU ------------------------------------------------------------------------------------
def _relu() -> Derivation:
    x, g = sp.symbols("x g", real=True)
    loss = g * sp.Piecewise((0, x <= 0), (x, True))
    return Derivation(
        "ReLU backward",
        [x, g],
        [
            Step(
                sp.Derivative(loss, x), Reason("definition, {}", (Equation(_L, g * sp.Max(0, x)),))
            ),
            Step(
                sp.Piecewise((0, x <= 0), (g, True)),
                Reason("by cases; at {} take 0 (as PyTorch)", (Equation(x, 0),)),
            ),
        ],
        lhs=_d("L", x),
        notes=[
            "The convention: ReLU′(x) = 1 for x > 0 and 0 for x ≤ 0, so ReLU′(0) = 0 at the "
            "kink, where ReLU has no derivative. torch's F.relu backward gives 0 there "
            "(at 0.0 and at −0.0), and so does relu_backward."
        ],
    )


# --- softmax cross-entropy, one row of C = 3 scores, label y = 1 -----------------------------
def _softmax_loss() -> Derivation:
    z = sp.Matrix(sp.symbols("z_1:4", real=True))
    s = sum(sp.exp(zi) for zi in z)
    loss = -sp.log(sp.exp(z[0]) / s)
    p = z.applyfunc(lambda zi: sp.exp(zi) / s)
    onehot = sp.Matrix([1, 0, 0])
    p_y, z_y, z_k = sp.symbols("p_y z_y z_k")
    p_, z_, y_ = sp.symbols("p z y")
    definition = Reason(
        "definition, {}, {}",
        (Equation(_L, -sp.log(p_y)), Equation(p_, sp.Function("softmax")(z_))),
    )
    log_rule = Reason(
        "log rule: {}",
        (Equation(-sp.log(p_y), -z_y + sp.log(sp.Sum(sp.exp(z_k), (_k, 1, sp.Symbol("C"))))),),
    )
    return Derivation(
        "softmax loss backward (one row, label 1)",
        list(z),
        [
            Step(_grad(loss, z), definition),
            Step(z.applyfunc(lambda zi: sp.exp(zi) / s - (1 if zi == z[0] else 0)), log_rule),
            Step(p - onehot, Reason("{}", (p_ - sp.Function("onehot")(y_),))),
        ],
        lhs=_d("L", z_),
        notes=["The batch loss is the mean of N rows, so each row's gradient is divided by N."],
        points=6,
    )


# --- L2 penalty ------------------------------------------------------------------------------
def _l2() -> Derivation:
    W = _matrix("w", 2, 2, real=True)
    reg = sp.Symbol("lambda", positive=True)
    loss = sp.Rational(1, 2) * reg * sum(w**2 for w in W)
    return Derivation(
        "L2 penalty gradient",
        [*W, reg],
        [
            Step(
                _grad(loss, W),
                Reason(
                    "definition, {}",
                    (
                        Equation(
                            sp.Symbol("R"),
                            reg / 2 * sp.Sum(sp.Symbol("w_ij") ** 2, (_i, 1, 2), (_j, 1, 2)),
                        ),
                    ),
                ),
            ),
            Step(reg * W, Reason("power rule; the {} cancels the 2", (sp.Rational(1, 2),))),
        ],
        lhs=_d("R", sp.Symbol("W")),
    )


# --- convolution: 1 channel, 3×3 input, 2×2 kernel, stride 1, no padding ----------------------
def _correlate(a: sp.Matrix, k: sp.Matrix, stride: int = 1) -> sp.Matrix:
    """Valid cross-correlation of two matrices (what conv layers compute), windows ``stride``
    apart; the number of windows floors, ``⌊(n − k)/s⌋ + 1``, as in torch."""
    rows, cols = (a.rows - k.rows) // stride + 1, (a.cols - k.cols) // stride + 1
    return sp.Matrix(
        rows,
        cols,
        lambda i, j: sum(
            a[stride * i + u, stride * j + v] * k[u, v]
            for u in range(k.rows)
            for v in range(k.cols)
        ),
    )


def _conv(which: str) -> Derivation:
    X, K = _matrix("x", 3, 3, real=True), _matrix("w", 2, 2, real=True)
    G, b = _matrix("g", 2, 2, real=True), sp.Symbol("b", real=True)
    out = _correlate(X, K) + b * sp.ones(2, 2)
    loss = sum(G.multiply_elementwise(out))
    G_, x_ = sp.Symbol("G"), sp.Symbol("x")
    as_above = Reason("definition, {} as above", (_L,))
    if which == "dx":
        padded = sp.zeros(4, 4)
        padded[1:3, 1:3] = G
        rotated = sp.Matrix(2, 2, lambda i, j: K[1 - i, 1 - j])
        steps = [
            Step(
                _grad(loss, X),
                Reason(
                    "definition, {} = the sum of the entries of {}",
                    (_L, Notation("G ⊙ (x ⋆ w + b)", r"G \odot (x \star w + b)")),
                ),
            ),
            Step(
                _correlate(padded, rotated),
                Reason(
                    "{} meets {} in output {}: full correlation of {} with the kernel rotated by 180°",
                    (sp.Symbol("x_ij"), sp.Symbol("w_uv"), sp.Tuple(_i - _u, _j - _v), G_),
                ),
            ),
        ]
        wrt = X
    elif which == "dw":
        steps = [
            Step(_grad(loss, K), as_above),
            Step(
                _correlate(X, G),
                Reason(
                    "{} multiplies {}: correlate {} with {}",
                    (sp.Symbol("w_uv"), sp.IndexedBase("x")[_i + _u, _j + _v], x_, G_),
                ),
            ),
        ]
        wrt = K
    else:
        wrt = sp.Matrix([[b]])
        steps = [
            Step(_grad(loss, wrt), as_above),
            Step(
                sp.Matrix([[sum(G)]]),
                Reason("{} enters every output once: the sum of the entries of {}", (b, G_)),
            ),
        ]
    return Derivation(
        f"convolution backward, {which}",
        _symbols(X, K, G, wrt),
        steps,
        lhs=_d("L", sp.Symbol({"dx": "x", "dw": "w", "db": "b"}[which])),
        notes=[
            "With stride s, G is first dilated (s - 1 zeros between entries); padding p "
            "crops p rows and columns from each side of the result (the strided case follows)."
        ],
        display=_partials(loss, wrt),
        points=3,
    )


# --- strided convolution: 5×5 input, 2×2 kernel, stride 2: the output floors to 2×2 ----------
def _conv_strided() -> Derivation:
    X, K = _matrix("x", 5, 5, real=True), _matrix("w", 2, 2, real=True)
    G = _matrix("g", 2, 2, real=True)
    out = _correlate(X, K, stride=2)  # ⌊(5 − 2)/2⌋ + 1 = 2: row and column 5 are in no window
    loss = sum(G.multiply_elementwise(out))
    # G dilated onto the 4×4 grid of window starts (n − k + 1 = 4), zero-padded by k − 1 = 1.
    padded = sp.zeros(6, 6)
    for i in range(2):
        for j in range(2):
            padded[1 + 2 * i, 1 + 2 * j] = G[i, j]
    rotated = sp.Matrix(2, 2, lambda i, j: K[1 - i, 1 - j])
    G_, n_, k_, s_ = sp.Symbol("G"), sp.Symbol("n"), sp.Symbol("k"), sp.Symbol("s")
    return Derivation(
        "convolution backward, dx, stride 2 on a 5×5 input",
        _symbols(X, K, G),
        [
            Step(
                _grad(loss, X),
                Reason(
                    "definition, {} with windows 2 apart: {} outputs per axis",
                    (
                        Notation("L = Σ G ⊙ (x ⋆₂ w)", r"L = \sum G \odot (x \star_2 w)"),
                        Equation(sp.floor((n_ - k_) / s_) + 1, sp.floor(sp.Rational(5 - 2, 2)) + 1),
                    ),
                ),
            ),
            Step(
                _correlate(padded, rotated),
                Reason(
                    "dilate {} onto the {} grid of window starts (zeros between and after "
                    "its entries), then correlate fully with the kernel rotated by 180°",
                    (G_, Notation("4 × 4", r"4 \times 4")),
                ),
            ),
        ],
        lhs=_d("L", sp.Symbol("x")),
        notes=[
            "When s does not divide n + 2p − k, the last (n + 2p − k) mod s rows and columns "
            "of the padded input are in no window: their gradient is 0 (here row 5 and "
            "column 5), which the zeros after G's last entry produce."
        ],
        display=_partials(loss, X),
        points=3,
    )


# --- max pooling: one window, x_1 against the largest of the others ---------------------------
def _max_pool() -> Derivation:
    x1, m, g = sp.symbols("x_1 m g", real=True)
    return Derivation(
        "max pooling backward (one window)",
        [x1, m, g],
        [
            Step(
                sp.Derivative(g * sp.Max(x1, m), x1),
                Reason(
                    "definition, {} with {} the largest other entry",
                    (Equation(_L, g * sp.Max(x1, m)), m),
                ),
            ),
            Step(
                g * sp.Heaviside(x1 - m),
                Reason(
                    "the max moves with {} only where {}: the unit step {}",
                    (x1, x1 > m, sp.Heaviside(x1 - m)),
                ),
            ),
        ],
        lhs=_d("L", x1),
        notes=[
            "So the window's gradient g goes to its arg max and 0 to the other entries. At a "
            "tie (x_1 = m) the max has no derivative; the convention, torch's on the CPU and "
            "max_pool_backward's, sends g to the first maximum in row-major window order "
            "and 0 to the entries tied with it."
        ],
    )


# --- batch normalization: one feature, batch of 3 --------------------------------------------
def _batchnorm(which: str) -> Derivation:
    x = sp.Matrix(sp.symbols("x_1:4", real=True))
    g = sp.Matrix(sp.symbols("g_1:4", real=True))
    gamma, beta = sp.symbols("gamma beta", real=True)
    eps = sp.Symbol("epsilon", positive=True)
    n = 3
    mu = sum(x) / n
    var = sum((xi - mu) ** 2 for xi in x) / n
    sigma = sp.sqrt(var + eps)
    x_hat = (x - mu * sp.ones(n, 1)) / sigma
    loss = sum(gi * (gamma * xh + beta) for gi, xh in zip(g, x_hat, strict=True))
    sum_g = sum(g)
    sum_gx = sum(gi * xh for gi, xh in zip(g, x_hat, strict=True))
    sum_g_, sum_gx_ = Notation("Σ g", r"\sum g"), Notation("Σ g x̂", r"\sum g \hat x")
    x_hat_i, n_ = sp.Symbol("xhat_i"), sp.Symbol("N")
    if which == "dx":
        mean_terms = x_hat.applyfunc(lambda xh: -(sum_g + xh * sum_gx))
        steps = [
            Step(
                _grad(loss, x),
                Reason(
                    "definition, {}",
                    (
                        Equation(
                            _L,
                            sp.Sum(sp.Symbol("g_i") * (gamma * x_hat_i + beta), (_i, 1, n_)),
                        ),
                    ),
                ),
            ),
            Step(
                gamma / (n * sigma) * (n * g + mean_terms),
                Reason(
                    "chain rule through {} and {}: {}",
                    (
                        sp.Symbol("mu"),
                        sp.Symbol("sigma") ** 2,
                        sp.Mul(
                            gamma / (n_ * sp.Symbol("sigma")),
                            n_ * sp.Symbol("g") - sum_g_ - sp.Symbol("xhat") * sum_gx_,
                            evaluate=False,
                        ),
                    ),
                ),
            ),
        ]
        wrt = x
    else:
        wrt = sp.Matrix([[gamma, beta]])
        steps = [
            Step(_grad(loss, wrt), Reason("definition, {} as above", (_L,))),
            Step(
                sp.Matrix([[sum_gx, sum_g]]),
                Reason(
                    "{}, {}", (Equation(_d("L", gamma), sum_gx_), Equation(_d("L", beta), sum_g_))
                ),
            ),
        ]
    # Shown with σ and the centred entries x̃_i = x_i - μ as symbols; checked fully expanded.
    shown = {**_partials(loss, wrt), sigma: sp.Symbol("sigma", positive=True)}
    shown[1 / sigma] = 1 / sp.Symbol("sigma")
    shown |= {xi - mu: sp.Symbol(f"xtilde_{i + 1}") for i, xi in enumerate(x)}
    return Derivation(
        f"batch normalization backward, {'dx' if which == 'dx' else 'dgamma and dbeta'}",
        [*x, *g, gamma, beta, eps],
        steps,
        lhs=_d("L", sp.Symbol("x") if which == "dx" else sp.Tuple(gamma, beta)),
        notes=[
            "Spatial batch normalization is the same formula per channel, with N·H·W "
            "samples in the sums."
        ],
        display=shown,
        points=4,
    )


# --- inverted dropout ------------------------------------------------------------------------
def _dropout() -> Derivation:
    x, g = sp.symbols("x g", real=True)
    m = sp.Symbol("m", nonnegative=True)
    p = sp.Symbol("p", nonnegative=True)
    return Derivation(
        "inverted dropout backward",
        [x, g, m, p],
        [
            Step(
                sp.Derivative(g * x * m / (1 - p), x),
                Reason(
                    "definition, mask {} fixed",
                    (sp.Contains(m, sp.FiniteSet(0, 1), evaluate=False),),
                ),
            ),
            Step(g * m / (1 - p), Reason("linear in {}", (x,))),
        ],
        domain={p: (0, 0.9), m: (0, 1)},
        lhs=_d("L", x),
    )


_BUILDERS = {
    "affine.dx": lambda: _affine("dx"),
    "affine.dW": lambda: _affine("dW"),
    "affine.db": lambda: _affine("db"),
    "relu": _relu,
    "softmax_loss": _softmax_loss,
    "l2": _l2,
    "conv.dx": lambda: _conv("dx"),
    "conv.dw": lambda: _conv("dw"),
    "conv.db": lambda: _conv("db"),
    "conv.dx_strided": _conv_strided,
    "max_pool": _max_pool,
    "batchnorm.dx": lambda: _batchnorm("dx"),
    "batchnorm.dgamma_dbeta": lambda: _batchnorm("dgb"),
    "dropout": _dropout,
}
NAMES: tuple[str, ...] = tuple(_BUILDERS)


@cache
def get(name: str) -> Derivation:
    """The derivation called ``name`` (one of :data:`NAMES`).

    >>> get("l2").result
    Matrix([
    [lambda*w_11, lambda*w_12],
    [lambda*w_21, lambda*w_22]])
    >>> get("softmax")
    Traceback (most recent call last):
    ...
    ValueError: name: unknown layer derivation 'softmax'; allowed: affine.dx, ...
    """
    if name not in _BUILDERS:
        raise ValueError(f"name: unknown layer derivation {name!r}; allowed: {', '.join(NAMES)}")
    return _BUILDERS[name]()


#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {f"layers.{name}": (lambda n=name: get(n)) for name in NAMES}


# --- index forms: one entry of a result too wide for a page's column -----------------------
def index_form(name: str) -> IndexForm | None:
    """The entry ``(i, j)`` of a derivation's matrix result written with indices and bound to
    the instance's symbols, for a result too wide to show whole; ``None`` otherwise.

    ``conv.dx_strided``: input entry ``x_ij`` sits at kernel position
    ``(i − 2a + 2, j − 2b + 2)`` of output window ``(a, b)`` (windows start 2 apart, 1-based),
    so ``∂L/∂x_ij = Σ_ab G_ab w_(i−2a+2, j−2b+2)``, the kernel read as 0 off its 2×2 support.

    >>> f = index_form("conv.dx_strided")
    >>> text(f.equation)
    '∂L/∂xᵢⱼ = Σ[a = 1..2] Σ[b = 1..2] G[a, b]·w[-2·a + i + 2, -2·b + j + 2]'
    >>> f.entry(5, 5), index_form("relu")
    (0, None)
    """
    get(name)  # raises on an unknown name
    if name != "conv.dx_strided":
        return None
    i, j, a, b = sp.symbols("i j a b", integer=True, positive=True)
    g, w = sp.IndexedBase("G"), sp.IndexedBase("w")
    kernel = _matrix("w", 2, 2, real=True)
    written = sp.Sum(g[a, b] * w[i - 2 * a + 2, j - 2 * b + 2], (a, 1, 2), (b, 1, 2))
    return IndexForm(
        Notation("∂L/∂xᵢⱼ", r"\frac{\partial L}{\partial x_{ij}}"),
        (i, j),
        written,
        {g: _matrix("g", 2, 2, real=True), w: kernel},
        (5, 5),
        zero_outside=frozenset({w}),
    )
