"""Backpropagation through two hidden layers, derived from the whole network at once.

The layer rules of :mod:`derivations.mlp.chains` are proved on the course's one-hidden-layer
net; a network with two hidden layers puts one more factor, ``(W²)ᵀ … ⊙ φ′(h̄²)``, between the
error at the top and the first layer. Here SymPy differentiates the loss written in *every*
weight and input of a ``d0 → d1 → d2 → M`` network (ReLU or LeakyReLU) and the entries it
returns are the recursion ``δ² = (W³)ᵀ δ³ ⊙ φ′(h̄²)``, ``δ¹ = (W²)ᵀ δ² ⊙ φ′(h̄¹)``,
``∂l/∂W¹ = δ¹ xᵀ``, checked step by step like every other derivation.

φ is written ``((1 + a) u + (1 − a)|u|)/2`` (``a = 0`` for ReLU), whose derivative SymPy keeps
as one expression, ``((1 + a) + (1 − a) sign u)/2``: 1 for ``u > 0``, ``a`` for ``u < 0``. At
``u = 0`` the derivative does not exist and that form gives ``(1 + a)/2``; the value a
network uses there is a convention, torch's (``ReLU′(0) = 0``, ``LeakyReLU′(0) = a``), which
the answer key follows and its claims check on instances that hit the kink exactly.

>>> d = deep_network("b1", (2, 2, 2, 2), "relu", 1)
>>> d.result.doit().shape, d.check().ok
((2, 1), True)
"""

from __future__ import annotations

import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.mlp.chains import (
    _X,
    SLOPE,
    _Delta1,
    _matrix,
    _partial,
    _product,
    _softmax,
    _vector,
    leaky_relu_abs,
    leaky_relu_abs_prime,
    onehot,
)
from derivations.printing import Equation, Notation, subscript, text
from derivations.render import Reason

#: The activations a network of the answer key may use, and their negative-side slope.
ACTIVATIONS = {"relu": sp.Integer(0), "leaky_relu": SLOPE}
#: Widths of the two-hidden-layer network the derivations are shown on: two hidden layers of
#: different widths, so a transposed matrix or a swapped layer cannot fit; small, because
#: every entry is a symbol SymPy differentiates (past ~30 symbols a proof takes minutes).
WIDTHS = (2, 3, 2, 2)
LABEL = 2
_NAMES = {"relu": "ReLU", "leaky_relu": "LeakyReLU"}


# --- shown in reasons and displays ---------------------------------------------------------
S3 = sp.Symbol("S", positive=True)
H3_y = sp.Symbol("h^3_y")
_onehot_i = Notation("onehot(y)ᵢ", r"\operatorname{onehot}(y)_i")
_varphi = sp.Function("varphi")
_SUPERSCRIPT = dict(zip("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹", strict=True))


def superscript(k: int) -> str:
    """A layer index as a superscript: ``superscript(2) == "²"``."""
    return "".join(_SUPERSCRIPT[c] for c in str(k))


_pre_i = Notation("h̄¹ᵢ", r"\bar h^1_i")


def _pre_j(k: int) -> Notation:
    return Notation(f"h̄{superscript(k)}ⱼ", rf"\bar h^{k}_j")


def _pre(k: int, n: int) -> sp.Matrix:
    """``h̄ᵏ`` as symbols, for display."""
    return sp.Matrix(
        n,
        1,
        lambda i, _: Notation(
            f"h̄{superscript(k)}{subscript(i + 1)}", rf"\bar{{h}}^{{{k}}}_{{{i + 1}}}", real=True
        ),
    )


def _phi_prime_shown(k: int, i: int) -> Notation:
    u = _pre(k, i + 1)[i]
    return Notation(f"φ'({text(u)})", f"\\varphi'({sp.latex(u)})")


def deep_network(
    wrt: str = "W1", widths=WIDTHS, activation: str = "relu", label: int = LABEL
) -> Derivation:
    """``∂l/∂W¹`` (``wrt="W1"``) or ``∂l/∂b¹`` (``"b1"``) of a ``d0 → d1 → d2 → M`` network
    with ``activation`` (``"relu"`` or ``"leaky_relu"``, slope 1/100) on both hidden layers,
    from the loss ``log S − h³_y`` written in all its weights and inputs.

    >>> d = deep_network("W1", (1, 2, 1, 2), "leaky_relu", 2)
    >>> d.check().ok
    True
    >>> deep_network("W1", (2, 2, 2))
    Traceback (most recent call last):
    ...
    TypeError: widths: four widths (d0, d1, d2, M) are required, got (2, 2, 2)
    """
    arg.choice(wrt, "wrt", ("W1", "b1"))
    arg.choice(activation, "activation", tuple(ACTIVATIONS))
    if not isinstance(widths, tuple | list) or len(widths) != 4:
        raise TypeError(
            f"widths: four widths (d0, d1, d2, M) are required, got {arg.shown(widths)}"
        )
    d0, d1, d2, m = (arg.count(w, f"widths[{i}]", maximum=4) for i, w in enumerate(widths))
    m = arg.count(m, "widths[3]", minimum=2, maximum=3)
    label = arg.integer(label, "label", minimum=1, maximum=m)
    slope = ACTIVATIONS[activation]
    xs, w1, c1 = _vector("x", d0), _matrix("W^1", d1, d0), _vector("b^1", d1)
    w2, c2 = _matrix("W^2", d2, d1), _vector("b^2", d2)
    w3, c3 = _matrix("W^3", m, d2), _vector("b^3", m)

    def phi(u):
        return leaky_relu_abs(u, slope)

    def phi_prime(u):
        return leaky_relu_abs_prime(u, slope)

    pre1 = w1 * xs + c1
    pre2 = w2 * pre1.applyfunc(phi) + c2
    logits = w3 * pre2.applyfunc(phi) + c3
    p, total = _softmax(logits)
    loss, delta3 = sp.log(total) - logits[label - 1], p - onehot(label, m)
    g1, g2 = pre1.applyfunc(phi_prime), pre2.applyfunc(phi_prime)
    # unevaluated sums and products, so the recursion stays visible when rendered
    back3 = [
        sp.Add(*[sp.Mul(w3[i, j], delta3[i], evaluate=False) for i in range(m)]) for j in range(d2)
    ]
    delta2 = [back3[j] * g2[j] for j in range(d2)]
    back2 = [sp.Add(*[w2[j, i] * delta2[j] for j in range(d2)]) for i in range(d1)]
    delta1_form = sp.HadamardProduct(
        _product(w2.T, sp.HadamardProduct(_product(w3.T, delta3), g2)), g1
    )
    if wrt == "W1":
        entries = sp.Matrix(d1, d0, lambda i, k: back2[i] * g1[i] * xs[k])
        matrix_form, params = _product(delta1_form, xs.T), w1
        last = Equation(_partial("h̄¹ᵢ", r"\bar h^1_i", "W¹ᵢₖ", "W^1_{ik}"), sp.Symbol("x_k"))
    else:
        entries = sp.Matrix(d1, 1, lambda i, _: back2[i] * g1[i])
        matrix_form, params = delta1_form, c1
        last = Equation(_partial("h̄¹ᵢ", r"\bar h^1_i", "b¹ᵢ", "b^1_i"), 1)
    shown = _display(pre1, pre2, logits, p, total, phi, phi_prime)
    shown[loss] = Notation(
        f"(log S - h³{subscript(label)})", rf"\left(\log S - h^{{3}}_{{{label}}}\right)"
    )
    name = _NAMES[activation]
    d_rule = Notation(
        "δ² = (W³)ᵀ·δ³ ⊙ φ'(h̄²), δ¹ = (W²)ᵀ·δ² ⊙ φ'(h̄¹)",
        r"\delta^2 = (W^3)^\top \delta^3 \odot \varphi'(\bar h^2),\ "
        r"\delta^1 = (W^2)^\top \delta^2 \odot \varphi'(\bar h^1)",
    )
    a_text = "0" if slope == 0 else text(slope)
    if slope == 0:
        forms = "(u + |u|)/2", "(1 + sign u)/2"
    else:
        forms = (
            f"({text(1 + slope)} u + {text(1 - slope)}|u|)/2",
            (f"({text(1 + slope)} + {text(1 - slope)} sign u)/2"),
        )
    return Derivation(
        f"Backpropagation through two hidden layers: {wrt} "
        f"({d0} → {d1} {name} → {d2} {name} → {m})",
        [*xs, *w1, *c1, *w2, *c2, *w3, *c3],
        [
            Step(
                params.applyfunc(lambda v: sp.Derivative(loss, v)),
                Reason(
                    "SymPy differentiates {}, written in every weight and input",
                    (Equation(sp.Symbol("l"), -sp.log(sp.Symbol("p_y")), sp.log(S3) - H3_y),),
                ),
            ),
            Step(
                entries,
                Reason(
                    "the chain rule, collected: {} from the top; through {} and {} to {}; {}",
                    (
                        Equation(sp.Symbol("delta^3_i"), sp.Symbol("p_i") - _onehot_i),
                        Equation(sp.Symbol("h^2_j"), _varphi(_pre_j(2))),
                        Equation(sp.Symbol("h^1_i"), _varphi(_pre_i)),
                        _pre_i,
                        last,
                    ),
                ),
            ),
            Step(
                matrix_form,
                Reason(
                    "matrix form: {}, then {}",
                    (d_rule, _Delta1 * _X.T if wrt == "W1" else _Delta1),
                ),
            ),
        ],
        lhs=_partial("l", "l", *(("W¹", "W^1") if wrt == "W1" else ("b¹", "b^1"))),
        display=shown,
        notes=(
            f"φ = {name} is written {forms[0]}, so SymPy finds "
            f"φ′(u) = {forms[1]}: 1 for u > 0, {a_text} for "
            "u < 0. At u = 0 φ has no derivative; the answer key uses torch's value "
            f"φ′(0) = {a_text}.",
        ),
        points=2,
    )


def _display(pre1, pre2, logits, p, total, phi, phi_prime) -> dict:
    """Render ``p_i``, ``S``, ``h³_i``, ``h²_j``, ``h¹_i`` and ``φ′(h̄ᵏ_i)`` for what they are."""
    out = {pi: sp.Symbol(f"p_{i + 1}") for i, pi in enumerate(p)}
    out[total] = S3
    out.update({v: sp.Symbol(f"h^3_{i + 1}") for i, v in enumerate(logits)})
    for k, pre in ((2, pre2), (1, pre1)):
        for i, u in enumerate(pre):
            out[phi(u)] = sp.Symbol(f"h^{k}_{i + 1}")
            out[phi_prime(u)] = _phi_prime_shown(k, i)
            out[u] = _pre(k, len(pre))[i]
    return out
