"""The first float32 overflow in the unit-normal experiment, by numerical convolution.

>>> overflow_layer(512)
29
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


@lru_cache(maxsize=32)
def _overflow_cdf(width: int, depth: int, dtype: str, margin: float) -> tuple[float, ...]:
    # Density of log χ²_d on a grid that holds all but 1e-15 of each tail.
    lo, hi = np.log(stats.chi2.ppf([1e-15, 1 - 1e-15], width))
    step = (hi - lo) / 1000
    grid = lo + step * np.arange(1001)
    one = np.exp(stats.chi2.logpdf(np.exp(grid), width) + grid) * step
    one /= one.sum()
    threshold = _log_threshold(dtype) + math.log(margin)
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
        if threshold - log_norm2[-1] / 2 > 4:  # M_l > e^4 ≈ 55: probability below 1e-300
            cdf.append(0.0)
            continue
        cdf.append(float(np.dot(sum_pmf, _log_max_survival(threshold - log_norm2 / 2, width))))
        if cdf[-1] >= 1 - EXHAUSTED:  # every later layer overflows too: nothing left to find
            cdf += [cdf[-1]] * (depth - layer)
            break
    return tuple(np.maximum.accumulate(cdf))


def overflow_distribution(
    width: int = 512, depth: int = 100, dtype: str = "float32", *, margin: float = 1.0
) -> dict:
    """Predicted probability that layer ``l`` is the first whose output holds inf or nan.

    Keys are layers ``1..depth`` with a probability above ``1e-12``, and ``None`` for "no
    overflow within ``depth`` layers" when that has one. Once layer ``k`` overflows, every
    later layer does too unless all ``d`` entries of a ``W u`` stay below 1 in magnitude
    (probability ``erf(1/sqrt 2)^d``, about ``1e-85`` for ``d = 512``), so
    ``P(first ≤ l) = P(layer l overflows) = P(log ‖u_{l-1}‖ + log M_l > log F)``: the sum of
    ``l`` independent ``½ log χ²_d`` is computed by convolving its density on a grid
    (``1000`` steps between the ``1e-15`` quantiles of one step), ``M_l`` exactly. "Overflows"
    means an exact row sum of ``W_l u_{l-1}`` rounds past the largest float; torch's
    kernels may add in an order whose partial sums overshoot the final one by a few per
    cent, which moves these probabilities by a few hundredths (see the book page);
    ``margin < 1`` predicts for a kernel that overflows once a row sum passes ``margin`` times
    the largest float. ``width`` is at most :data:`MAX_WIDTH` and ``depth`` at most
    :data:`MAX_DEPTH`; the convolution stops early once
    the first overflow has happened with probability ``1 - 1e-14``.

    >>> {k: round(v, 3) for k, v in overflow_distribution().items()}
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
    cdf = (0.0, *_overflow_cdf(width, depth, dtype, float(margin)))
    probs = {layer: float(cdf[layer] - cdf[layer - 1]) for layer in range(1, depth + 1)}
    probs[None] = float(1.0 - cdf[-1])
    return {k: v for k, v in probs.items() if v > 1e-12}


def overflow_layer(width: int = 512, dtype: str = "float32", *, depth: int = 100) -> int | None:
    """The most likely 1-based index of the first layer whose output holds inf or nan.

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
