"""The counting rules derived step by step, and the receptive field of a stack.

Each rule is a count, written first as a sum over what is counted (window positions,
filters, channels, output entries) and then carried out; :meth:`Derivation.check` proves
every step. The closed forms are the ones :mod:`derivations.architectures.layers` computes
with.

>>> output_size_steps().check().ok
True
>>> receptive_field_steps().result
Sum((k[l] - 1)*d[l]*Product(s[m], (m, 1, l - 1)), (l, 1, 3)) + 1
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.architectures.layers import Spec
from derivations.core import Derivation, Step
from derivations.printing import Equation
from derivations.render import Reason

n, k, p, s = sp.symbols("n k p s", positive=True, integer=True)
delta = sp.Symbol("delta", positive=True, integer=True)
k_h, k_w, c_in, c_out, g = sp.symbols("k_h k_w C_in C_out g", positive=True, integer=True)
n_in, n_out, C = sp.symbols("n_in n_out C", positive=True, integer=True)
h_out, w_out = sp.symbols("H_out W_out", positive=True, integer=True)
i, j, o, c, t = sp.symbols("i j o c t", integer=True, nonnegative=True)

#: ⌊(n + 2p − δ(k − 1) − 1)/s⌋ + 1
OUTPUT_SIZE = sp.floor((n + 2 * p - delta * (k - 1) - 1) / s) + 1
_SIZES = {n: (1, 60), k: (1, 9), p: (0, 5), s: (1, 5), delta: (1, 4)}


@lru_cache
def output_size_steps() -> Derivation:
    """The output size as the number of window positions ``i = 0, 1, …``: position ``i``
    reads taps ``s·i + δj`` (``j < k``) of the padded input ``0 … n + 2p − 1``, and counts
    while its last tap ``s·i + δ(k − 1)`` is inside, i.e. ``i ≤ (n + 2p − δ(k − 1) − 1)/s``.

    >>> output_size_steps().result
    floor((-delta*(k - 1) + n + 2*p - 1)/s) + 1
    """
    last = sp.floor((n + 2 * p - delta * (k - 1) - 1) / s)
    steps = [
        Step(
            sp.Sum(1, (i, 0, last)),
            Reason(
                "count positions {} with {}", (i, sp.Le(s * i + delta * (k - 1), n + 2 * p - 1))
            ),
        ),
        Step(last + 1, "a sum of ones from 0 to m has m + 1 terms; the floor makes i an integer"),
    ]
    return Derivation(
        "output size of a window sliding over n + 2p entries",
        [n, k, p, s, delta],
        steps,
        domain=_SIZES,
    )


@lru_cache
def undilated_steps() -> Derivation:
    """At ``δ = 1`` the size is ``⌊(n + 2p − k)/s⌋ + 1``.

    >>> undilated_steps().check().ok
    True
    """
    steps = [
        Step(sp.Subs(OUTPUT_SIZE, delta, 1), Reason("{}", (Equation(delta, 1),))),
        Step(sp.floor((n + 2 * p - k) / s) + 1, "n + 2p − (k − 1) − 1 = n + 2p − k"),
    ]
    return Derivation("output size without dilation", [n, k, p, s], steps, domain=_SIZES)


@lru_cache
def conv_steps() -> Derivation:
    """Parameters of a convolution with ``g`` groups: each group has ``C_out/g`` filters,
    each filter a ``k_h × k_w`` window over the group's ``C_in/g`` channels and one bias.

    >>> conv_steps().result
    C_in*C_out*k_h*k_w/g + C_out
    """
    per_filter = k_h * k_w * c_in / g + 1
    steps = [
        Step(
            sp.Sum(sp.Sum(per_filter, (o, 1, c_out / g)), (j, 1, g)),
            "groups j, their filters o: weights k_h·k_w·C_in/g and a bias each",
        ),
        Step(g * (c_out / g) * per_filter, "sums of a constant"),
        Step(k_h * k_w * c_in / g * c_out + c_out, "expand"),
    ]
    return Derivation("parameters of a convolution", [k_h, k_w, c_in, c_out, g], steps)


@lru_cache
def dense_steps() -> Derivation:
    """Parameters of a dense layer: each output unit has ``in`` weights and a bias.

    >>> dense_steps().result
    n_in*n_out + n_out
    """
    steps = [
        Step(sp.Sum(n_in + 1, (o, 1, n_out)), "units o: in weights and a bias each"),
        Step(n_out * (n_in + 1), "a sum of a constant"),
        Step(n_in * n_out + n_out, "expand"),
    ]
    return Derivation("parameters of a dense layer", [n_in, n_out], steps)


@lru_cache
def batchnorm_steps() -> Derivation:
    """Parameters of batch norm: a scale γ and a shift β per channel. The running mean and
    variance, another 2C numbers, are buffers (estimated, not learned): not parameters.

    >>> batchnorm_steps().result
    2*C
    """
    steps = [
        Step(sp.Sum(2, (c, 1, C)), "channels c: γ_c and β_c"),
        Step(2 * C, "a sum of a constant"),
    ]
    return Derivation(
        "parameters of batch norm",
        [C],
        steps,
        notes=("running mean and variance: 2C buffers, not parameters",),
    )


@lru_cache
def parameter_free_steps() -> Derivation:
    """Pooling, ReLU, flatten and dropout are fixed functions of their input: no entry is
    learned, the count is the empty sum.

    >>> parameter_free_steps().result
    0
    """
    steps = [
        Step(sp.Sum(0, (c, 1, C)), "max, mean, max(0, x), reshape, random mask: nothing learned"),
        Step(sp.Integer(0), "a sum of zeros"),
    ]
    return Derivation("parameters of pooling, ReLU, flatten, dropout", [C], steps)


@lru_cache
def conv_macs_steps() -> Derivation:
    """Multiply–accumulates of a convolution: every one of the ``C_out·H_out·W_out`` outputs
    is a dot product over ``(C_in/g)·k_h·k_w`` inputs.

    >>> conv_macs_steps().result
    C_in*C_out*H_out*W_out*k_h*k_w/g
    """
    taps = k_h * k_w * c_in / g
    steps = [
        Step(
            sp.Sum(sp.Sum(1, (t, 1, taps)), (o, 1, c_out * h_out * w_out)),
            "outputs o, their taps t: one multiply–accumulate each",
        ),
        Step(sp.Sum(taps, (o, 1, c_out * h_out * w_out)), "a sum of ones"),
        Step(c_out * h_out * w_out * taps, "a sum of a constant"),
    ]
    return Derivation(
        "multiply–accumulates of a convolution", [k_h, k_w, c_in, c_out, g, h_out, w_out], steps
    )


@lru_cache
def dense_macs_steps() -> Derivation:
    """Multiply–accumulates of a dense layer: ``out`` dot products of length ``in``.

    >>> dense_macs_steps().result
    n_in*n_out
    """
    steps = [
        Step(sp.Sum(n_in, (o, 1, n_out)), "units o: a dot product of length in"),
        Step(n_in * n_out, "a sum of a constant"),
    ]
    return Derivation("multiply–accumulates of a dense layer", [n_in, n_out], steps)


@lru_cache
def receptive_field_steps(depth: int = 3) -> Derivation:
    """The receptive field of a stack of ``depth`` windows: ``r_l = r_{l−1} + δ_l(k_l − 1)j_{l−1}``
    and ``j_l = j_{l−1}s_l`` (the jump: input entries between neighbouring outputs of layer
    ``l``), from ``r_0 = j_0 = 1``; unrolled, ``1 + Σ_l δ_l(k_l − 1) ∏_{m<l} s_m``.

    >>> receptive_field_steps(2).check().ok
    True
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 6:
        raise ValueError(f"depth: an integer in [1, 6] is required, got {depth!r}")
    K, S, D = sp.IndexedBase("k"), sp.IndexedBase("s"), sp.IndexedBase("d")
    lv, m = sp.symbols("l m", integer=True, positive=True)
    r, jump = sp.Integer(1), sp.Integer(1)
    for layer in range(1, depth + 1):
        r, jump = r + D[layer] * (K[layer] - 1) * jump, jump * S[layer]
    closed = 1 + sp.Sum(D[lv] * (K[lv] - 1) * sp.Product(S[m], (m, 1, lv - 1)), (lv, 1, depth))
    symbols = [x[q] for x in (K, S, D) for q in range(1, depth + 1)]
    steps = [
        Step(r, "the recursion r_l = r_{l−1} + δ_l(k_l − 1)j_{l−1}, j_l = j_{l−1}s_l, unrolled"),
        Step(closed, "as a sum over the layers"),
    ]
    domain = {x: (1, 7) for x in symbols}
    return Derivation(f"receptive field of {depth} stacked windows", symbols, steps, domain=domain)


def receptive_field(spec: Spec) -> tuple[int, int]:
    """Receptive field (height, width) of the convolutions and poolings before the first
    dense or global layer of ``spec``, by the recursion of :func:`receptive_field_steps`.

    >>> from derivations.architectures import NETWORKS
    >>> receptive_field(NETWORKS["vgg11"])
    (150, 150)
    """
    if not isinstance(spec, Spec):
        raise TypeError(f"spec: a Spec is required, got {type(spec).__name__}")
    field, jump = [1, 1], [1, 1]
    for layer in spec.layers:
        if layer.kind in ("dense", "gap", "flatten", "residual"):
            break
        if layer.kind in ("conv", "maxpool", "avgpool"):
            for a in (0, 1):
                field[a] += layer.dilation[a] * (layer.kernel[a] - 1) * jump[a]
                jump[a] *= layer.stride[a]
    return tuple(field)


#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {
    "architectures.output_size": output_size_steps,
    "architectures.output_size.undilated": undilated_steps,
    "architectures.conv_params": conv_steps,
    "architectures.dense_params": dense_steps,
    "architectures.batchnorm_params": batchnorm_steps,
    "architectures.parameter_free": parameter_free_steps,
    "architectures.conv_macs": conv_macs_steps,
    "architectures.dense_macs": dense_macs_steps,
    "architectures.receptive_field": receptive_field_steps,
}
