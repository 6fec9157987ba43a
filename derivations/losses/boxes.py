"""CutMix (Yun et al. 2019): paste a box of another image, and weigh the labels by area.

**The procedure, discretized as the reference implementation does it** (clovaai/CutMix-PyTorch,
``rand_bbox`` and its training loop). For an image of ``H`` rows and ``W`` columns and a
``λ ~ Beta(α, α)`` (``α = 1``: uniform), ``r = √(1 − λ)``; the cut sizes are
``c_w = int(W·r)`` and ``c_h = int(H·r)`` (truncated, in floating point); the centre
``(c_y, c_x)`` is uniform over the pixels (``randint``: integers ``0 … H − 1`` and
``0 … W − 1``); the box is ``[c_x − ⌊c_w/2⌋, c_x + ⌊c_w/2⌋)`` clipped to ``[0, W]`` (and the same
in ``y``), so before clipping its side is ``2⌊c_w/2⌋``, one pixel short of ``c_w`` when ``c_w``
is odd. The box's pixels come from the second image; the first image's label gets the weight
``λ̃ = 1 − (clipped area)/(H·W)``, recomputed after clipping. (The reference names the first
spatial size ``W``; the procedure is the same on each axis, so only the names differ.)

**The law of the weight.** The two axes are independent. On an axis of size ``S`` with
half-side ``k = ⌊c/2⌋ ≤ S/2`` (``c`` the cut) the clipped length ``L`` is ``2k`` for the
``S − 2k + 1`` centres ``x = k … S − k``, ``x + k`` for ``x < k`` and ``S − x + k`` for
``x > S − k``:
``P(L = 2k) = (S − 2k + 1)/S``, ``P(L = k) = 1/S``, ``P(L = j) = 2/S`` for ``k < j < 2k``
(:func:`axis_law`), with mean ``𝔼[L] = 2k − k²/S`` (:func:`axis_mean`). Hence, given ``λ``,
``𝔼[λ̃ | λ] = 1 − (2k_w − k_w²/W)(2k_h − k_h²/H)/(HW)`` (:func:`mean_weight`); in the continuum
limit (``2k = rS``) it is ``1 − (1 − λ)(1 − √(1 − λ)/4)²`` (:func:`continuous_axis_mean`), above
``λ`` for every ``λ < 1``: a box centred near the border loses area, so the first image keeps
more than ``λ`` of the picture. :func:`adjusted_mean` integrates over ``λ``.

>>> box(0.3, 6, 9, 0, 8)  # y1, y2, x1, x2: c_h = int(6·0.8367) = 5, c_w = int(7.53) = 7
(0, 2, 5, 9)
>>> float(mean_weight(0.3, 6, 9))
0.691358024691358
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.losses.mixing import _alpha, _lam
from derivations.printing import Notation
from derivations.render import Reason

#: Largest image side accepted (the exact sums run over every pixel of a side).
MAX_SIDE = 4096

k, S, x = sp.symbols("k S x", positive=True, integer=True)
r, ell = sp.symbols("r ell", positive=True)
lam = sp.Symbol("lambda", positive=True)


def _side(value, name: str) -> int:
    return arg.count(value, name, maximum=MAX_SIDE)


def half_side(lam, size) -> int:
    """``⌊int(size·√(1 − λ))/2⌋``: half the unclipped side, in the reference's arithmetic.

    >>> half_side(0.3, 9), half_side(0.3, 6), half_side(0.0, 7), half_side(1.0, 7)
    (3, 2, 3, 0)
    """
    weight = _lam(lam)
    n = _side(size, "size")
    return int(n * math.sqrt(1.0 - weight)) // 2


def box(lam, height, width, cy, cx) -> tuple[int, int, int, int]:
    """The clipped box ``(y1, y2, x1, x2)`` (half-open) for centre row ``cy``, column ``cx``.

    >>> box(0.3, 6, 9, 7, 0)
    Traceback (most recent call last):
    ...
    ValueError: cy: an integer in [0, 5] is required, got 7
    """
    H, W = _side(height, "height"), _side(width, "width")
    cy = arg.integer(cy, "cy", minimum=0, maximum=H - 1)
    cx = arg.integer(cx, "cx", minimum=0, maximum=W - 1)
    kh, kw = half_side(lam, H), half_side(lam, W)
    return max(cy - kh, 0), min(cy + kh, H), max(cx - kw, 0), min(cx + kw, W)


def cutmix(x_a, x_b, lam, cy, cx):
    """``x_a`` with the box at ``(cy, cx)`` taken from ``x_b``, and the weight of ``x_a``'s
    label, ``1 − (clipped area)/(H·W)``. Images are arrays ``(…, H, W)`` of equal shape.

    >>> import numpy as np
    >>> mixed, weight = cutmix(np.zeros((4, 5)), np.ones((4, 5)), 0.5, 0, 4)
    >>> mixed.astype(int).tolist(), weight
    ([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], 0.9)
    """
    a = arg.array(x_a, "x_a", min_ndim=2)
    b = arg.array(x_b, "x_b", min_ndim=2)
    arg.same_shape("x_a", a, "x_b", b)
    H, W = a.shape[-2:]
    y1, y2, x1, x2 = box(lam, H, W, cy, cx)
    mixed = a.copy()
    mixed[..., y1:y2, x1:x2] = b[..., y1:y2, x1:x2]
    return mixed, 1.0 - (y2 - y1) * (x2 - x1) / (H * W)


def axis_law(half, size) -> dict[int, Fraction]:
    """The law of the clipped length on one axis of ``size`` pixels with half-side ``half``,
    over a centre uniform on ``0 … size − 1``.

    >>> {n: str(p) for n, p in axis_law(3, 9).items()}
    {6: '4/9', 3: '1/9', 4: '2/9', 5: '2/9'}
    """
    n = _side(size, "size")
    kk = arg.integer(half, "half", minimum=0, maximum=n // 2)
    if kk == 0:
        return {0: Fraction(1)}
    law = {2 * kk: Fraction(n - 2 * kk + 1, n), kk: Fraction(1, n)}
    law.update({j: Fraction(2, n) for j in range(kk + 1, 2 * kk)})
    return law


def _axis_mean(kk: int, n: int) -> Fraction:
    return Fraction(2 * kk) - Fraction(kk * kk, n)


def weight_law(lam, height, width) -> dict[Fraction, Fraction]:
    """The exact law of ``λ̃`` given ``λ``: outcome -> probability, over all ``H·W`` centres.

    >>> law = weight_law(0.3, 6, 9)
    >>> len(law), sum(law.values()), str(min(law))
    (10, Fraction(1, 1), '5/9')
    """
    H, W = _side(height, "height"), _side(width, "width")
    rows, cols = axis_law(half_side(lam, H), H), axis_law(half_side(lam, W), W)
    law: dict[Fraction, Fraction] = {}
    for ly, py in rows.items():
        for lx, px in cols.items():
            w = 1 - Fraction(ly * lx, H * W)
            law[w] = law.get(w, Fraction(0)) + py * px
    return dict(sorted(law.items()))


def mean_weight(lam, height, width) -> Fraction:
    """``𝔼[λ̃ | λ] = 1 − (2k_w − k_w²/W)(2k_h − k_h²/H)/(HW)``, exactly.

    >>> mean_weight(0.3, 6, 9), mean_weight(1.0, 6, 9)
    (Fraction(56, 81), Fraction(1, 1))
    """
    H, W = _side(height, "height"), _side(width, "width")
    kh, kw = half_side(lam, H), half_side(lam, W)
    return 1 - _axis_mean(kh, H) * _axis_mean(kw, W) / (H * W)


def continuous_mean_weight(lam) -> float:
    """The continuum limit of :func:`mean_weight`: ``1 − (1 − λ)(1 − √(1 − λ)/4)²``.

    >>> continuous_mean_weight(0.0), continuous_mean_weight(1.0)
    (0.4375, 1.0)
    """
    u = 1.0 - _lam(lam)
    return 1.0 - u * (1.0 - math.sqrt(u) / 4.0) ** 2


def _half_exact(u: Fraction, n: int) -> int:
    """``⌊⌊n√u⌋/2⌋`` for a rational ``u`` in exact arithmetic: ``⌊n√u⌋ = isqrt(⌊n²u⌋)``."""
    return math.isqrt(math.floor(n * n * u)) // 2


def adjusted_mean(alpha, height, width):
    """``𝔼[λ̃]`` over ``λ ~ Beta(α, α)`` and the centre: exact integration of a step function.

    ``k_w`` and ``k_h`` are constant between the points ``1 − λ = (m/W)²`` and ``(m/H)²``, so
    ``𝔼[λ̃ | λ]`` is too, and the mean is a finite sum of interval probabilities times
    :func:`mean_weight` there. The probabilities are ``Beta(α, α)`` CDF differences (SciPy's
    regularized incomplete beta function); for ``α = 1`` they are lengths, and the mean is an
    exact ``Fraction``. (The reference truncates ``W·√(1 − λ)`` in floating point; it differs
    from the exact floor only within rounding of the breakpoints, a set of probability 0.)

    >>> adjusted_mean(1, 6, 9)
    Fraction(183607, 236196)
    >>> round(float(adjusted_mean(0.4, 6, 9)), 6)
    0.788995
    """
    a = _alpha(alpha)
    H, W = _side(height, "height"), _side(width, "width")
    total = Fraction(0) if a == 1 else 0.0
    for p, kh, kw in _intervals(a, H, W):
        inner = 1 - _axis_mean(kh, H) * _axis_mean(kw, W) / (H * W)
        total += p * (inner if a == 1 else float(inner))
    return total


def adjusted_law(alpha, height, width) -> dict:
    """The law of ``λ̃`` over ``λ ~ Beta(α, α)`` and the centre: outcome -> probability.

    The mixture over the intervals of ``λ`` on which ``k_h`` and ``k_w`` are constant (see
    :func:`adjusted_mean`) of the laws :func:`weight_law` gives there; exact ``Fraction``
    probabilities for ``α = 1``.

    >>> law = adjusted_law(1, 6, 9)
    >>> sum(law.values()), sum(w * p for w, p in law.items()) == adjusted_mean(1, 6, 9)
    (Fraction(1, 1), True)
    """
    a = _alpha(alpha)
    H, W = _side(height, "height"), _side(width, "width")
    law: dict = {}
    for p, kh, kw in _intervals(a, H, W):
        rows, cols = axis_law(kh, H), axis_law(kw, W)
        for ly, py in rows.items():
            for lx, px in cols.items():
                w = 1 - Fraction(ly * lx, H * W)
                q = p * py * px if a == 1 else p * float(py * px)
                law[w] = law.get(w, 0) + q
    return dict(sorted(law.items()))


def _intervals(a: float, H: int, W: int):
    """``(probability, k_h, k_w)`` for each interval of ``u = 1 − λ`` between the points
    ``(m/W)²`` and ``(m/H)²``; ``u ~ Beta(α, α)`` as ``λ`` is (the law is symmetric)."""
    cuts = sorted(
        {Fraction(m * m, W * W) for m in range(W + 1)}
        | {Fraction(m * m, H * H) for m in range(H + 1)}
    )
    if a == 1:
        cdf = list(cuts)
    else:
        from scipy.special import betainc

        cdf = [float(betainc(a, a, float(u))) for u in cuts]
    for i in range(len(cuts) - 1):
        mid = (cuts[i] + cuts[i + 1]) / 2
        yield cdf[i + 1] - cdf[i], _half_exact(mid, H), _half_exact(mid, W)


# --- derivations -------------------------------------------------------------------------
@lru_cache
def axis_mean() -> Derivation:
    """``Σ_x L(x) = 2Sk − k²`` over the ``S`` centres ``x`` of one axis, for ``1 ≤ k ≤ S/2``.

    >>> axis_mean().result
    2*S*k - k**2
    """
    steps = [
        Step(
            sp.Sum(x + k, (x, 0, k - 1))
            + sp.Sum(2 * k, (x, k, S - k))
            + sp.Sum(S - x + k, (x, S - k + 1, S - 1)),
            "centre x < k: L = x + k; inside: 2k; x > S - k: L = S - x + k",
        ),
        Step(
            (k * (k - 1) / 2 + k**2) + 2 * k * (S - 2 * k + 1) + (k * (k - 1) / 2 + k * (k - 1)),
            "arithmetic series",
        ),
        Step(2 * S * k - k**2, "collect"),
    ]
    return Derivation(
        "CutMix: the clipped length summed over the centres of one axis",
        [k, S],
        steps,
        domain={k: (1, 20), S: (40, 80)},
        lhs=Notation("Sum_x L(x)", r"\sum_{x} L(x)"),
        notes=("divided by S: 𝔼[L] = 2k - k^2/S",),
    )


@lru_cache
def continuous_axis_mean() -> Derivation:
    """The continuum limit: side ``rS``, centre uniform on ``[0, S]``; ``𝔼[L/S] = r − r²/4``.

    ``L/S = r`` with probability ``1 − r``; otherwise the centre is within ``rS/2`` of a
    border and ``L/S`` is uniform on ``[r/2, r]`` (density 2 over the two borders).

    >>> continuous_axis_mean().result
    -r**2/4 + r
    """
    steps = [
        Step(
            (1 - r) * r + sp.Integral(2 * ell, (ell, r / 2, r)),
            "the atom at r and the uniform part",
        ),
        Step((1 - r) * r + (r**2 - r**2 / 4), "integrate"),
        Step(r - r**2 / 4, "collect"),
    ]
    return Derivation(
        "CutMix: the mean clipped side, continuum limit",
        [r],
        steps,
        domain={r: (0, 1)},
        lhs=Notation("𝔼[L/S]", r"\mathbb{E}[L/S]"),
        notes=(
            "with r = sqrt(1 - lambda): 𝔼[weight | lambda] = 1 - (1 - lambda)(1 - sqrt(1 - lambda)/4)^2",
        ),
    )


@lru_cache
def continuous_bias() -> Derivation:
    """``𝔼[λ̃ | λ] − λ = u(√u/2 − u/16)`` with ``u = 1 − λ``: positive for every ``λ < 1``.

    >>> continuous_bias().result
    u**(3/2)/2 - u**2/16
    """
    u = sp.Symbol("u", positive=True)
    rr = sp.sqrt(u)
    steps = [
        Step(
            1 - (rr - rr**2 / 4) ** 2 - (1 - u),
            Reason("{} per axis, two axes", (sp.Symbol("r - r^2/4"),)),
        ),
        Step(u - u * (1 - rr / 4) ** 2, "r^2 = u"),
        Step(u ** sp.Rational(3, 2) / 2 - u**2 / 16, "expand"),
    ]
    return Derivation(
        "CutMix: how far the unadjusted weight is off, continuum limit",
        [u],
        steps,
        domain={u: (0, 1)},
        lhs=Notation("𝔼[weight | λ] - λ", r"\mathbb{E}[\tilde\lambda \mid \lambda] - \lambda"),
        notes=("u^(3/2)/2 - u^2/16 = u^(3/2)(8 - sqrt(u))/16 > 0 for 0 < u <= 1",),
    )


#: ``𝔼[λ̃] − 𝔼[λ]`` over ``λ ~ Beta(α, α)`` in the continuum limit, as a function of ``α``.
alpha = sp.Symbol("alpha", positive=True)
CONTINUOUS_BIAS = sp.beta(alpha + sp.Rational(3, 2), alpha) / (2 * sp.beta(alpha, alpha)) - sp.beta(
    alpha + 2, alpha
) / (16 * sp.beta(alpha, alpha))


def continuous_adjusted_mean(alpha) -> float:
    """``½ + 𝔼[u^{3/2}]/2 − 𝔼[u²]/16`` with ``u ~ Beta(α, α)``: :func:`adjusted_mean`'s limit.

    >>> round(continuous_adjusted_mean(1), 6)  # 1/2 + 1/5 - 1/48
    0.679167
    """
    a = _alpha(alpha)
    from scipy.special import beta

    return 0.5 + float(beta(a + 1.5, a) / (2 * beta(a, a)) - beta(a + 2, a) / (16 * beta(a, a)))
