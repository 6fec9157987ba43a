"""The first float32 overflow (inf) and the first nan in the unit-normal experiment.

The course runs ``x = torch.randn(512)`` (or ``(512, 1)``: torch adds in the same order),
then ``for i in range(100): a = torch.randn(512, 512); x = a @ x``. Layer ``l`` counted from
1 is loop index ``i = l - 1``. The norm of ``x`` is a random walk in logs (exact), a layer
overflows when the walk times a per-layer factor passes float32's largest value, and the
factor's law is exact (the largest of ``d`` entries) up to two measured inputs for torch's
matrix-times-vector kernel (MKL sgemv, one thread): how often its partial sums overshoot
the exact result (:data:`KERNEL_OVERSHOOT`) and how far past the largest float a layer's
scale must go before a row's partial sums reach inf of both signs, giving nan
(:data:`KERNEL_NAN_FACTOR`).

>>> overflow_layer(512), nan_layer(512)
(29, 29)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from derivations import arguments as arg
from derivations.initialization.moments import MAX_DEPTH
from derivations.lazy import lazy

# SciPy loads when a distribution is computed, not when the topic is imported.
signal, special, stats = lazy("scipy.signal"), lazy("scipy.special"), lazy("scipy.stats")

# MAX_DEPTH bounds the work: the convolved grid grows like sqrt(depth), so 1000 layers take
# seconds at worst (a walk that never reaches the threshold is convolved to the end).
#: Widest layer predicted: past about 2**50 the 1e-15 quantiles of log χ²_d lie so close that
#: the density on the grid loses its float64 resolution (the probabilities stop summing to 1).
MAX_WIDTH = 2**40
#: The search stops once the first-overflow layer is this close to certain: every later layer
#: would get less than it, far below the 1e-12 that :func:`overflow_distribution` reports.
EXHAUSTED = 1e-14
#: Measured input (not derived): torch's float32 ``a @ x`` overflows when
#: ``max_i |(a x)_i|`` times a factor passes the largest float; the factor is 1 (to 1e-6)
#: except in a few layers where a partial sum inside the kernel overshoots the final sum.
#: Pairs (probability, factor), from 3,000 random 512x512 layers whose overflow threshold was
#: found by bisection on the scale of ``x`` (44 overshot by more than 1e-5; five groups, their
#: medians). Assumed independent of the largest entry.
KERNEL_OVERSHOOT = (
    (0.003, 1.0054),
    (0.003, 1.0192),
    (0.003, 1.0354),
    (0.003, 1.0625),
    (0.0027, 1.1164),
)
#: Measured input: ``a @ x`` holds nan once ``‖x‖ · H > F`` (F the largest float); the
#: quantiles of ``H`` at probabilities 0, 0.1, ..., 1, from 1,000 random layers (bisection on
#: the scale; nan arises when partial sums of both signs overflow inside one row). A layer
#: whose input already holds inf always holds nan (its rows add infinities of both signs).
KERNEL_NAN_FACTOR = (
    1.1374,
    1.2653,
    1.3147,
    1.3495,
    1.3849,
    1.4273,
    1.464,
    1.5077,
    1.5589,
    1.6523,
    2.2413,
)
#: The floating-point types of the experiment, by name.
DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


# --- the first float32 overflow in the unit-normal experiment -------------------------------
def _log_threshold(dtype: str) -> float:
    """log of the smallest magnitude that rounds to inf: the largest finite value plus half
    its unit in the last place (round to nearest)."""
    kind = DTYPES[arg.choice(dtype, "dtype", DTYPES)]
    big = np.finfo(kind).max
    ulp = float(big) - float(np.nextafter(big, kind(0)))
    return math.log(float(big)) + math.log1p(0.5 * ulp / float(big))


def _log_max_survival(t: np.ndarray, width: int) -> np.ndarray:
    """``P(log M > t)`` for ``M`` the largest of ``width`` independent ``|N(0, 1)|``."""
    with np.errstate(over="ignore"):  # e^t = inf only where the tail is 0 anyway
        tail = np.minimum(special.erfc(np.exp(t) / math.sqrt(2)), 1 - 2**-53)  # P(|z| > e^t)
    return -np.expm1(width * np.log1p(-tail))


def overflow_estimate(width: int = 512, dtype: str = "float32") -> dict:
    """The back-of-the-envelope numbers behind the overflow layer.

    Given ``u_{l-1}``, ``u_l = W_l u_{l-1} ~ N(0, ‖u_{l-1}‖² I)``, so
    ``‖u_l‖² = ‖u_{l-1}‖² χ²_d`` with a fresh ``χ²_d`` each layer, and the largest entry of
    ``u_l`` is ``‖u_{l-1}‖ M_l``, ``M_l`` the largest of ``d`` independent ``|N(0, 1)|``.
    In logs: ``log ‖u_{l-1}‖`` is a random walk with ``l`` steps ``½ log χ²_d`` (the input's
    ``‖x‖²`` is a ``χ²_d`` too), and layer ``l`` overflows when it plus ``log M_l`` passes
    ``log`` of the largest float. ``layer`` is the continuous crossing of the means.

    >>> e = overflow_estimate()
    >>> round(e["growth"], 3), round(e["step_sd"], 4), round(e["layer"], 2)
    (22.605, 0.0313, 28.08)
    """
    width = arg.count(width, "width")
    mean_log_chi2 = float(special.digamma(width / 2) + math.log(2))
    sd_log_chi2 = math.sqrt(float(special.polygamma(1, width / 2)))
    t = np.linspace(-6.0, 4.0, 20001)  # log M: its mass lies well inside for any width
    density = -np.gradient(_log_max_survival(t, width), t)
    mean_log_max = float(np.trapezoid(t * density, t))
    threshold = _log_threshold(dtype)
    return {
        "growth": math.exp(mean_log_chi2 / 2),
        "step_sd": sd_log_chi2 / 2,
        "largest": math.exp(threshold),
        "typical_max_entry": math.exp(mean_log_max),
        "layer": (threshold - mean_log_max) / (mean_log_chi2 / 2),
    }


def _kernel_modelled(width: int, dtype: str) -> bool:
    # The kernel's two measured inputs were measured for this case only.
    return (width, dtype) == (512, "float32")


def _log_factor_survival(t: np.ndarray, width: int, kind: str, overshoot: bool) -> np.ndarray:
    """``P(log factor > t)``: the factor is the largest entry ``M`` (kind "inf"), times the
    kernel's overshoot when modelled, or the nan factor ``H`` (kind "nan")."""
    if kind == "nan":
        log_q = np.log(KERNEL_NAN_FACTOR)
        probs = np.linspace(0, 1, len(KERNEL_NAN_FACTOR))
        return 1 - np.interp(t, log_q, probs, left=0.0, right=1.0)
    survival = _log_max_survival(t, width)
    if overshoot:
        rest = 1 - sum(p for p, _ in KERNEL_OVERSHOOT)
        survival = rest * survival + sum(
            p * _log_max_survival(t - math.log(f), width) for p, f in KERNEL_OVERSHOOT
        )
    return survival


@lru_cache(maxsize=32)
def _overflow_cdf(
    width: int, depth: int, dtype: str, margin: float, kind: str = "inf", overshoot: bool = False
) -> tuple[float, ...]:
    """``P(layer l's row sums pass the threshold)`` for ``l = 1..depth``: the walk
    ``log ‖u_{l-1}‖`` plus the log of the layer's factor against ``log F``."""
    # Density of log χ²_d on a grid that holds all but 1e-15 of each tail.
    lo, hi = np.log(stats.chi2.ppf([1e-15, 1 - 1e-15], width))
    step = (hi - lo) / 1000
    grid = lo + step * np.arange(1001)
    one = np.exp(stats.chi2.logpdf(np.exp(grid), width) + grid) * step
    one /= one.sum()
    threshold = _log_threshold(dtype) + math.log(margin)
    top = 4.0 if kind == "inf" else math.log(KERNEL_NAN_FACTOR[-1])  # no factor passes e^top
    top += math.log(max(f for _, f in KERNEL_OVERSHOOT)) if overshoot else 0.0
    sum_pmf, start, cdf = one, lo, []
    for layer in range(1, depth + 1):
        if layer > 1:  # log ‖u_{l-1}‖² is a sum of `layer` independent log χ²_d
            sum_pmf = np.clip(signal.fftconvolve(sum_pmf, one), 0, None)
            start += lo
            # Drop the far tails (below 1e-13 of the peak, above the FFT round-off of about
            # 1e-15 of it) so the grid grows like sqrt(layer), not like layer.
            kept = np.flatnonzero(sum_pmf > 1e-13 * sum_pmf.max())
            sum_pmf = sum_pmf[kept[0] : kept[-1] + 1] / sum_pmf.sum()
            start += step * kept[0]
        log_norm2 = start + step * np.arange(sum_pmf.size)
        if threshold - log_norm2[-1] / 2 > top:  # M_l > e^4 ≈ 55: probability below 1e-300
            cdf.append(0.0)
            continue
        survival = _log_factor_survival(threshold - log_norm2 / 2, width, kind, overshoot)
        cdf.append(float(np.dot(sum_pmf, survival)))
        if cdf[-1] >= 1 - EXHAUSTED:  # every later layer overflows too: nothing left to find
            cdf += [cdf[-1]] * (depth - layer)
            break
    return tuple(np.maximum.accumulate(cdf))


def _as_probabilities(cdf, depth: int) -> dict:
    cdf = (0.0, *cdf)
    probs = {layer: float(cdf[layer] - cdf[layer - 1]) for layer in range(1, depth + 1)}
    probs[None] = float(1.0 - cdf[-1])
    return {k: v for k, v in probs.items() if v > 1e-12}


def overflow_distribution(
    width: int = 512,
    depth: int = 100,
    dtype: str = "float32",
    *,
    margin: float = 1.0,
    overshoot: bool = True,
) -> dict:
    """Predicted probability that layer ``l`` (1-based; loop index ``l - 1``) is the first
    whose output holds inf or nan.

    Keys are layers ``1..depth`` with a probability above ``1e-12``, and ``None`` for "no
    overflow within ``depth`` layers" when that has one. Once layer ``k`` overflows, every
    later layer does too unless all ``d`` entries of a ``W u`` stay below 1 in magnitude
    (probability ``erf(1/sqrt 2)^d``, about ``1e-85`` for ``d = 512``), so
    ``P(first ≤ l) = P(layer l overflows) = P(log ‖u_{l-1}‖ + log G_l > log F)``: the sum of
    ``l`` independent ``½ log χ²_d`` is computed by convolving its density on a grid
    (``1000`` steps between the ``1e-15`` quantiles of one step). ``G_l`` is the largest
    entry ``M_l`` of ``W_l u_{l-1} / ‖u_{l-1}‖`` (exact law: the largest of ``d`` independent
    ``|N(0, 1)|``, independent of the norm because the direction of ``u_{l-1}`` is uniform
    and independent of its length), times the kernel's overshoot: for width 512 in float32
    and ``overshoot=True``, the measured :data:`KERNEL_OVERSHOOT` of torch's ``a @ x``, a
    modelled input (it moves the runner-up by under a tenth of a point). ``margin < 1``
    predicts for a kernel that overflows once a row sum passes ``margin`` times the largest
    float. ``width`` is at most :data:`MAX_WIDTH` and ``depth`` at most :data:`MAX_DEPTH`;
    the convolution stops early once the first overflow has happened with probability
    ``1 - 1e-14``.

    >>> {k: round(v, 3) for k, v in overflow_distribution().items()}
    {28: 0.111, 29: 0.889}
    >>> {k: round(v, 3) for k, v in overflow_distribution(overshoot=False).items()}
    {28: 0.11, 29: 0.89}
    >>> overflow_distribution(512, dtype="float64")
    {None: 1.0}
    >>> overflow_distribution(-3)
    Traceback (most recent call last):
    ...
    ValueError: width: an integer in [1, 2**40] is required, got -3
    >>> overflow_distribution(512, 10**6)
    Traceback (most recent call last):
    ...
    ValueError: depth: an integer in [1, 1000] is required, got 1000000
    """
    width = arg.count(width, "width", maximum=MAX_WIDTH)
    depth = arg.count(depth, "depth", maximum=MAX_DEPTH)
    _log_threshold(dtype)
    margin = arg.real(margin, "margin", low=0, high=1, open_low=True)
    if not isinstance(overshoot, bool):
        raise TypeError(f"overshoot: True or False is required, got {overshoot!r}")
    overshoot = overshoot and _kernel_modelled(width, dtype)
    cdf = _overflow_cdf(width, depth, dtype, float(margin), "inf", overshoot)
    return _as_probabilities(cdf, depth)


def overflow_layer(width: int = 512, dtype: str = "float32", *, depth: int = 100) -> int | None:
    """The most likely 1-based index of the first layer whose output holds inf or nan
    (``for i in range(100)`` reaches it at loop index ``i = layer - 1``).

    ``None`` when no overflow within ``depth`` layers (at most :data:`MAX_DEPTH`) is the most
    likely outcome.

    >>> overflow_layer(512), overflow_layer(512, "float16"), overflow_layer(512, "float64")
    (29, 4, None)
    >>> overflow_layer(512, "bfloat16")
    Traceback (most recent call last):
    ...
    ValueError: dtype: one of 'float16', 'float32', 'float64' is required, got 'bfloat16'
    """
    probs = overflow_distribution(width, depth, dtype)
    return max(probs, key=probs.get)


def nan_distribution(width: int = 512, depth: int = 100, dtype: str = "float32") -> dict:
    """Predicted probability that layer ``l`` (1-based) is the first whose output holds nan:
    where ``torch.isnan(x).any()`` first turns true.

    A row of ``a @ x`` is nan when its partial sums reach inf of both signs. That happens
    (a) in the layer after the first overflow: its input holds inf, and the rows add
    infinities and overflowing partial sums of both signs; (b) in any layer whose input has
    ``‖u_{l-1}‖ · H_l > F``, ``H_l`` the kernel's nan factor (measured:
    :data:`KERNEL_NAN_FACTOR`, a modelled input, for width 512 in float32 only). So
    ``P(first nan ≤ l) = P(A ∪ B)`` with ``A`` = "layer ``l - 1`` overflowed" and ``B`` =
    "``‖u_{l-1}‖ H_l > F``"; it lies between ``max(P(A), P(B))`` (reported) and
    ``P(A) + P(B)``, and the two differ by at most ``min(P(A), P(B))`` (below ``1e-12``
    at every layer for width 512: :func:`nan_bound_gap`). Layer 28's nan probability,
    about ``1e-6``, rests on the top decile of the measured ``H`` alone. So inf comes first when layer 28 overflows (nan follows
    at 29); when the first overflow is at 29, inf and nan appear in the same layer.

    >>> {k: round(v, 4) for k, v in nan_distribution().items()}
    {28: 0.0, 29: 1.0}
    >>> nan_distribution(64)
    Traceback (most recent call last):
    ...
    ValueError: width: the kernel's nan factor is measured for width 512 in float32 only, got 64
    """
    width = arg.count(width, "width", maximum=MAX_WIDTH)
    depth = arg.count(depth, "depth", maximum=MAX_DEPTH)
    _log_threshold(dtype)
    if width != 512:
        raise ValueError(
            f"width: the kernel's nan factor is measured for width 512 in float32 only, got {width}"
        )
    if dtype != "float32":
        raise ValueError(
            f"dtype: the kernel's nan factor is measured for width 512 in float32 only, got {dtype!r}"
        )
    return _as_probabilities(np.maximum(*_nan_events(depth)), depth)


def _nan_events(depth: int):
    after_inf = np.array((0.0, *_overflow_cdf(512, depth, "float32", 1.0, "inf", True))[:depth])
    return after_inf, np.array(_overflow_cdf(512, depth, "float32", 1.0, "nan", False))


def nan_bound_gap(depth: int = 100) -> float:
    """How far :func:`nan_distribution`'s ``P(first nan ≤ l) = max(P(A), P(B))`` can be from
    the truth, at worst over layers: ``P(A ∪ B)`` exceeds the max by at most
    ``min(P(A), P(B), 1 - max(P(A), P(B)))``.

    >>> nan_bound_gap() < 1e-12
    True
    """
    a, b = _nan_events(arg.count(depth, "depth", maximum=MAX_DEPTH))
    return float(np.max(np.minimum(np.minimum(a, b), 1 - np.maximum(a, b))))


def nan_layer(width: int = 512, dtype: str = "float32", *, depth: int = 100) -> int | None:
    """The most likely 1-based index of the first layer whose output holds nan (the loop
    ``for i in range(100)`` with ``if torch.isnan(x).any(): break`` stops at ``i = layer - 1``).

    >>> nan_layer()
    29
    """
    probs = nan_distribution(width, depth, dtype)
    return max(probs, key=probs.get)
