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


def _matrix(name: str, rows: int, cols: int, **assumptions) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", **assumptions))


def _grad(loss, wrt: sp.Matrix) -> sp.Matrix:
    """The matrix of unevaluated ``∂loss/∂wrt_ij`` (evaluated when checked)."""
    return wrt.applyfunc(lambda s: sp.Derivative(loss, s))


def _partials(loss, wrt: sp.Matrix) -> dict:
    """Display substitutions showing each ``∂loss/∂θ`` as ``∂L/∂θ`` (the loss's definition is
    in the first step's reason); checks always use the full expression."""
    return {
        sp.Derivative(loss, s): sp.Symbol(f"\\frac{{\\partial L}}{{\\partial {sp.latex(s)}}}")
        for s in wrt
    }


def _symbols(*matrices) -> list:
    return [s for m in matrices for s in m]


def _label(name: str, m: sp.Matrix) -> sp.Symbol:
    return sp.Symbol(f"\\frac{{\\partial L}}{{\\partial {name}}}")


# --- affine: out = X W + 1 bᵀ on N = 2, D = 3, M = 2 -----------------------------------------
def _affine(which: str) -> Derivation:
    X, W, G = (
        _matrix("x", 2, 3, real=True),
        _matrix("w", 3, 2, real=True),
        _matrix("g", 2, 2, real=True),
    )
    b = _matrix("b", 1, 2, real=True)
    out = X * W + sp.ones(2, 1) * b
    loss = sum(G.multiply_elementwise(out))
    wrt, general, reason = {
        "dx": (X, G * W.T, "only $out_{nk}$ holds $x_{nd}$, with factor $w_{dk}$: $G W^T$"),
        "dW": (W, X.T * G, "$w_{dk}$ appears in every row $n$ with factor $x_{nd}$: $X^T G$"),
        "db": (b, sp.ones(1, 2) * G, "$b_k$ appears once in every row: column sums of $G$"),
    }[which]
    name = {"dx": "X", "dW": "W", "db": "b"}[which]
    return Derivation(
        f"affine backward, {which}",
        _symbols(X, W, G, b),
        [
            Step(_grad(loss, wrt), "definition, $L = \\sum G \\odot (X W + 1 b^T)$"),
            Step(general, reason),
        ],
        lhs=_label(name, wrt),
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
            Step(sp.Derivative(loss, x), "definition, $L = g \\max(0, x)$"),
            Step(sp.Piecewise((0, x <= 0), (g, True)), "by cases; at $x = 0$ take 0 (as PyTorch)"),
        ],
        lhs=sp.Symbol("\\frac{\\partial L}{\\partial x}"),
    )


# --- softmax cross-entropy, one row of C = 3 scores, label y = 1 -----------------------------
def _softmax_loss() -> Derivation:
    z = sp.Matrix(sp.symbols("z_1:4", real=True))
    s = sum(sp.exp(zi) for zi in z)
    loss = -sp.log(sp.exp(z[0]) / s)
    p = z.applyfunc(lambda zi: sp.exp(zi) / s)
    onehot = sp.Matrix([1, 0, 0])
    return Derivation(
        "softmax loss backward (one row, label 1)",
        list(z),
        [
            Step(_grad(loss, z), "definition, $L = -\\log p_y$, $p = \\operatorname{softmax}(z)$"),
            Step(
                z.applyfunc(lambda zi: sp.exp(zi) / s - (1 if zi == z[0] else 0)),
                "log rule: $-\\log p_y = -z_y + \\log \\sum_k e^{z_k}$",
            ),
            Step(p - onehot, "$p - \\operatorname{onehot}(y)$"),
        ],
        lhs=sp.Symbol("\\frac{\\partial L}{\\partial z}"),
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
            Step(_grad(loss, W), "definition, $R = \\frac{1}{2} \\lambda \\sum w^2$"),
            Step(reg * W, "power rule; the $\\frac{1}{2}$ cancels the 2"),
        ],
        lhs=sp.Symbol("\\frac{\\partial R}{\\partial W}"),
    )


# --- convolution: 1 channel, 3×3 input, 2×2 kernel, stride 1, no padding ----------------------
def _correlate(a: sp.Matrix, k: sp.Matrix) -> sp.Matrix:
    """Valid cross-correlation of two matrices (what conv layers compute)."""
    rows, cols = a.rows - k.rows + 1, a.cols - k.cols + 1
    return sp.Matrix(
        rows,
        cols,
        lambda i, j: sum(a[i + u, j + v] * k[u, v] for u in range(k.rows) for v in range(k.cols)),
    )


def _conv(which: str) -> Derivation:
    X, K = _matrix("x", 3, 3, real=True), _matrix("w", 2, 2, real=True)
    G, b = _matrix("g", 2, 2, real=True), sp.Symbol("b", real=True)
    out = _correlate(X, K) + b * sp.ones(2, 2)
    loss = sum(G.multiply_elementwise(out))
    if which == "dx":
        padded = sp.zeros(4, 4)
        padded[1:3, 1:3] = G
        rotated = sp.Matrix(2, 2, lambda i, j: K[1 - i, 1 - j])
        steps = [
            Step(_grad(loss, X), "definition, $L = \\sum G \\odot (x \\star w + b)$"),
            Step(
                _correlate(padded, rotated),
                "$x_{ij}$ meets $w_{uv}$ in output $(i-u, j-v)$: full correlation of $G$ "
                "with the kernel rotated by 180°",
            ),
        ]
        wrt = X
    elif which == "dw":
        steps = [
            Step(_grad(loss, K), "definition, $L$ as above"),
            Step(_correlate(X, G), "$w_{uv}$ multiplies $x_{i+u, j+v}$: correlate $x$ with $G$"),
        ]
        wrt = K
    else:
        wrt = sp.Matrix([[b]])
        steps = [
            Step(_grad(loss, wrt), "definition, $L$ as above"),
            Step(sp.Matrix([[sum(G)]]), "$b$ enters every output once: $\\sum G$"),
        ]
    return Derivation(
        f"convolution backward, {which}",
        _symbols(X, K, G, wrt),
        steps,
        lhs=_label({"dx": "x", "dw": "w", "db": "b"}[which], wrt),
        notes=[
            "With stride s, G is first dilated (s - 1 zeros between entries); padding p "
            "crops p rows and columns from each side of the result."
        ],
        display=_partials(loss, wrt),
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
                "definition, $L = g \\max(x_1, m)$ with $m$ the largest other entry",
            ),
            Step(
                g * sp.Heaviside(x1 - m),
                "$\\max$ moves with $x_1$ only where $x_1 > m$: the unit step $\\theta$",
            ),
        ],
        lhs=sp.Symbol("\\frac{\\partial L}{\\partial x_1}"),
        notes=[
            "So the window's gradient g goes to its arg max and 0 to the other entries; "
            "ties have probability 0 for continuous inputs (PyTorch picks one entry)."
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
    if which == "dx":
        mean_terms = x_hat.applyfunc(lambda xh: -(sum_g + xh * sum_gx))
        steps = [
            Step(_grad(loss, x), "definition, $L = \\sum_i g_i (\\gamma \\hat x_i + \\beta)$"),
            Step(
                gamma / (n * sigma) * (n * g + mean_terms),
                "chain rule through $\\mu$ and $\\sigma^2$: "
                "$\\frac{\\gamma}{N\\sigma}(N g - \\sum g - \\hat x \\sum g \\hat x)$",
            ),
        ]
        wrt = x
    else:
        wrt = sp.Matrix([[gamma, beta]])
        steps = [
            Step(_grad(loss, wrt), "definition, $L$ as above"),
            Step(
                sp.Matrix([[sum_gx, sum_g]]),
                "$\\partial/\\partial\\gamma = \\sum g \\hat x$, "
                "$\\partial/\\partial\\beta = \\sum g$",
            ),
        ]
    # Shown with σ and the centred entries x̃_i = x_i - μ as symbols; checked fully expanded.
    shown = {**_partials(loss, wrt), sigma: sp.Symbol("sigma", positive=True)}
    shown[1 / sigma] = 1 / sp.Symbol("sigma")
    shown |= {xi - mu: sp.Symbol(f"\\tilde{{x}}_{i + 1}") for i, xi in enumerate(x)}
    return Derivation(
        f"batch normalization backward, {'dx' if which == 'dx' else 'dgamma and dbeta'}",
        [*x, *g, gamma, beta, eps],
        steps,
        lhs=_label({"dx": "x", "dgb": "(\\gamma, \\beta)"}[which], wrt),
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
                sp.Derivative(g * x * m / (1 - p), x), "definition, mask $m \\in \\{0, 1\\}$ fixed"
            ),
            Step(g * m / (1 - p), "linear in $x$"),
        ],
        domain={p: (0, 0.9), m: (0, 1)},
        lhs=sp.Symbol("\\frac{\\partial L}{\\partial x}"),
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
