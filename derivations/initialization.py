"""Initialization: how the second moment travels through a deep network, and what keeps it.

For ``u_l = W_l φ(u_{l-1})`` with i.i.d. zero-mean weights of variance ``σ²``, independent of
``u_{l-1}``, every pre-activation has ``E[u_l[i]²] = d σ² E[φ(u_{l-1}[j])²]``. The derivations
below prove that step, the ReLU factor ½ twice (by symmetry, and by the Gaussian integral),
``σ = sqrt(2/d)``, the Xavier uniform bound and the Kaiming normal std. The closed forms are
plain functions; the tanh variance map is evaluated by numerical quadrature, and the first
float32 overflow layer of the unit-normal experiment by numerical convolution.

>>> round(xavier_uniform_bound(512, 512), 6), round(kaiming_normal_std(512), 6)
(0.076547, 0.0625)
>>> overflow_layer(512)
29
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp
from scipy import signal, special, stats
from sympy import stats as sps

from derivations.arguments import count
from derivations.core import Derivation, Step

# --- symbols ------------------------------------------------------------------------------
sigma, s, q = sp.symbols("sigma s q", positive=True)
d, n_in, n_out, a = sp.symbols("d n_in n_out a", positive=True)
u, x = sp.symbols("u x", real=True)
b_lap, c_mix = sp.symbols("b c", positive=True)
Var_u = sp.Symbol(r"\operatorname{Var}(u_l[i])")
E_relu2 = sp.Symbol(r"\mathbb{E}[\operatorname{ReLU}(u)^2]")
p_u = sp.Function("p")(u)


def _relu_squared(v):
    """``ReLU(v)² = v² θ(v)``: the Heaviside form integrates fast in SymPy."""
    return v**2 * sp.Heaviside(v)


def _normal_pdf(v, scale):
    return sp.exp(-(v**2) / (2 * scale**2)) / (scale * sp.sqrt(2 * sp.pi))


def variance_propagation() -> Derivation:
    r"""``Var(u_l[i]) = d σ² E[φ²]``, every term written out for ``d = 2``.

    The weights are ``sympy.stats`` normals, so ``E[W_ij W_ik]`` is computed, not asserted.
    ``m_jk = E[φ_j φ_k]``; the diagonal is ``q = E[φ_j²]`` for every ``j`` (identically
    distributed), the off-diagonal entry stays a free symbol: independence of the
    activations is never used, only independence of the weights from them.

    >>> variance_propagation().check().ok
    True
    """
    w = [sps.Normal(f"W_i{j}", 0, sigma) for j in (1, 2)]
    m12 = sp.Symbol("m_12")
    m = {(0, 0): q, (0, 1): m12, (1, 0): m12, (1, 1): q}
    terms = [sps.Expectation(w[j] * w[k]) * m[j, k] for j in range(2) for k in range(2)]
    return Derivation(
        "variance propagation (d = 2)",
        [sigma, q, m12],
        [
            Step(
                sp.Add(*terms, evaluate=False), r"expand the square; $W$ independent of $\varphi$"
            ),
            Step(
                sp.Mul(sigma**2, sp.Add(q, q, evaluate=False), evaluate=False),
                r"$E[W_{ij} W_{ik}] = \sigma^2 \delta_{jk}$",
            ),
            Step(2 * sigma**2 * q, r"$d$ equal terms: $d\,\sigma^2\,E[\varphi^2]$"),
        ],
        lhs=Var_u,
        notes=("Any d: the double sum keeps its d diagonal terms, so Var = d σ² E[φ²].",),
    )


def relu_by_symmetry() -> Derivation:
    r"""``E[ReLU(u)²] = ½ E[u²]`` for any symmetric density ``p``.

    Checked with ``p`` a three-parameter family of symmetric densities (the mixture
    ``c N(0, s²) + (1 - c) N(0, b²)``, heavier-tailed than a normal, shown as ``p(u)``); the
    argument itself uses only ``p(-u) = p(u)``.

    >>> relu_by_symmetry().check().ok
    True
    """
    p = c_mix * _normal_pdf(u, s) + (1 - c_mix) * _normal_pdf(u, b_lap)
    half = sp.Integral(u**2 * p, (u, 0, sp.oo))
    mirror = sp.Integral(u**2 * p, (u, -sp.oo, 0))
    return Derivation(
        "ReLU by symmetry",
        [s, b_lap, c_mix],
        [
            Step(
                sp.Integral(_relu_squared(u) * p, (u, -sp.oo, sp.oo)),
                r"$\operatorname{ReLU}(u)^2 = u^2 \theta(u)$",
            ),
            Step(half, r"$\operatorname{ReLU}(u) = 0$ for $u \le 0$"),
            Step((half + mirror) / 2, r"$u \to -u$, $p(-u) = p(u)$"),
            Step(sp.Integral(u**2 * p, (u, -sp.oo, sp.oo)) / 2, r"$\frac{1}{2} E[u^2]$"),
        ],
        domain={c_mix: (0.1, 0.9)},
        lhs=E_relu2,
        display={p: p_u},
    )


def relu_by_gaussian_integral() -> Derivation:
    r"""For ``u ~ N(0, s²)`` the integral gives ``s²/2`` (SymPy ``integrate``).

    >>> relu_by_gaussian_integral().result
    s**2/2
    """
    pdf = _normal_pdf(u, s)
    return Derivation(
        "ReLU by the Gaussian integral",
        [s],
        [
            Step(sp.Integral(_relu_squared(u) * pdf, (u, -sp.oo, sp.oo)), r"$u \sim N(0, s^2)$"),
            Step(
                sp.Integral(u**2 * pdf, (u, 0, sp.oo)),
                r"$\operatorname{ReLU}(u) = 0$ for $u \le 0$",
            ),
            Step(sp.integrate(u**2 * pdf, (u, 0, sp.oo)), "SymPy integrate"),
        ],
        lhs=E_relu2,
    )


def kaiming_sigma() -> Derivation:
    r"""Unit second moment after a ReLU layer needs ``σ = sqrt(2/d)``; SymPy solves for it.

    >>> kaiming_sigma().result
    sqrt(2)/sqrt(d)
    """
    z = sp.Symbol("z", real=True)
    e_relu2 = sp.Integral(_relu_squared(z) * _normal_pdf(z, 1), (z, -sp.oo, sp.oo))
    half = relu_by_gaussian_integral().result.subs(s, 1)
    (root,) = sp.solve(sp.Eq(d * sigma**2 * half, 1), sigma)
    return Derivation(
        "Kaiming σ for ReLU",
        [d],
        [
            Step(1 / sp.sqrt(d * e_relu2), r"$d\,\sigma^2\,E[\operatorname{ReLU}(z)^2] = 1$"),
            Step(
                sp.Pow(sp.Mul(d, half, evaluate=False), sp.Rational(-1, 2), evaluate=False),
                r"$E[\operatorname{ReLU}(z)^2] = \frac{1}{2}$ (above)",
            ),
            Step(root, "solved by SymPy"),
        ],
        lhs=sigma,
        notes=("PyTorch's kaiming_normal_ (fan_in mode, ReLU gain sqrt 2) uses this std.",),
    )


def uniform_variance() -> Derivation:
    r"""``Var U(-a, a) = a²/3``.

    >>> uniform_variance().result
    a**2/3
    """
    return Derivation(
        "variance of U(-a, a)",
        [a],
        [
            Step(sp.Integral(x**2 / (2 * a), (x, -a, a)), "zero mean; density $1/(2a)$"),
            Step(sp.integrate(x**2 / (2 * a), (x, -a, a)), "SymPy integrate"),
        ],
        lhs=sp.Symbol(r"\operatorname{Var} U(-a, a)"),
    )


def xavier_bound() -> Derivation:
    r"""Matching ``a²/3`` to ``2/(n_in + n_out)`` gives the Xavier uniform bound.

    >>> xavier_bound().result
    sqrt(6)/sqrt(n_in + n_out)
    """
    variance = uniform_variance().result
    roots = sp.solve(sp.Eq(variance, 2 / (n_in + n_out)), a)
    (root,) = [r for r in roots if r.is_positive]
    return Derivation(
        "Xavier uniform bound",
        [n_in, n_out],
        [
            Step(
                sp.sqrt(sp.Mul(3, 2 / (n_in + n_out), evaluate=False), evaluate=False),
                r"$a^2/3 = 2/(n_{in} + n_{out})$",
            ),
            Step(root, "solved by SymPy (the positive root)"),
        ],
        lhs=a,
    )


def relu_layer_maps() -> dict[str, Derivation]:
    r"""One ReLU layer of width ``d``: Kaiming keeps ``q``, Xavier (square layers) halves it.

    >>> {k: v.result for k, v in relu_layer_maps().items()}
    {'Kaiming normal': q, 'Xavier uniform': q/2}
    """
    half_q = relu_by_gaussian_integral().result.subs(s, sp.sqrt(q))  # E[ReLU(u)²], u ~ N(0, q)
    var = {
        "Kaiming normal": kaiming_sigma().result ** 2,
        "Xavier uniform": uniform_variance()
        .result.subs(a, xavier_bound().result)
        .subs({n_in: d, n_out: d}),
    }
    return {
        name: Derivation(
            f"ReLU layer, {name}",
            [d, q],
            [
                Step(
                    sp.Mul(d, v, half_q, evaluate=False),
                    r"$d\,\sigma^2\,E[\operatorname{ReLU}(u)^2]$ with $E = q/2$",
                ),
                Step(sp.simplify(d * v * half_q), "simplify"),
            ],
            lhs=sp.Symbol("q_l"),
        )
        for name, v in var.items()
    }


def derivations() -> dict[str, Derivation]:
    """Every derivation of the topic, by id.

    >>> sorted(derivations())[:2]
    ['initialization.kaiming_sigma', 'initialization.relu_by_gaussian_integral']
    """
    out = {
        f"initialization.{f.__name__}": f()
        for f in (
            variance_propagation,
            relu_by_symmetry,
            relu_by_gaussian_integral,
            kaiming_sigma,
            uniform_variance,
            xavier_bound,
        )
    }
    for name, derivation in relu_layer_maps().items():
        out[f"initialization.relu_layer.{name.split()[0].lower()}"] = derivation
    return out


# --- closed forms ---------------------------------------------------------------------------
def _variance(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise TypeError(f"{name}: a real number is required, got {type(value).__name__}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}: a finite non-negative variance is required, got {value!r}")
    return float(value)


_XAVIER = sp.lambdify((n_in, n_out), xavier_bound().result, "math")
_KAIMING = sp.lambdify(d, kaiming_sigma().result, "math")


def xavier_uniform_bound(fan_in: int, fan_out: int) -> float:
    """The Xavier/Glorot uniform bound ``sqrt(6/(fan_in + fan_out))`` (from the derivation).

    >>> xavier_uniform_bound(3, 3)
    1.0
    >>> xavier_uniform_bound(0, 3)
    Traceback (most recent call last):
    ...
    ValueError: fan_in: a positive integer is required, got 0
    """
    return _XAVIER(count(fan_in, "fan_in"), count(fan_out, "fan_out"))


def kaiming_normal_std(fan_in: int) -> float:
    """The Kaiming/He normal std for ReLU, fan-in mode: ``sqrt(2/fan_in)``.

    >>> kaiming_normal_std(8)
    0.5
    """
    return _KAIMING(count(fan_in, "fan_in"))


# --- second moments through a deep network --------------------------------------------------
#: The trapezoidal rule on a uniform grid over [-12, 12]: for an integrand analytic in a strip
#: of half-width π/(2 sqrt q) around the real line its error falls like exp(-π²/(sqrt(q) h)),
#: below 1e-15 for q ≤ 10³ with this step h = 0.006 (the normal tail beyond 12 is 1e-32).
_Z = np.linspace(-12.0, 12.0, 4001)
_PHI_DZ = np.exp(-(_Z**2) / 2) / math.sqrt(2 * math.pi) * (_Z[1] - _Z[0])

#: E[φ(u)²] for u ~ N(0, q): exact for the identity and ReLU, quadrature for tanh.
SECOND_MOMENT = {
    "linear": lambda q: q,
    "relu": lambda q: q / 2,
    "tanh": lambda q: float(np.dot(_PHI_DZ, np.tanh(math.sqrt(q) * _Z) ** 2)),
}


def variance_map(q_prev: float, *, activation: str, fan_in: int, weight_var: float) -> float:
    """One layer: ``q_l = d σ² E[φ(sqrt(q_{l-1}) z)²]`` with ``z ~ N(0, 1)``.

    For tanh the expectation has no closed form; it is computed numerically by the
    trapezoidal rule on a fine grid (accurate to about 1e-15 for ``q ≤ 10³``).

    >>> variance_map(2.0, activation="relu", fan_in=512, weight_var=2 / 512)
    2.0
    >>> round(variance_map(1.0, activation="tanh", fan_in=512, weight_var=1 / 512), 6)
    0.394294
    >>> variance_map(-1.0, activation="tanh", fan_in=512, weight_var=1.0)
    Traceback (most recent call last):
    ...
    ValueError: q_prev: a finite non-negative variance is required, got -1.0
    """
    if activation not in SECOND_MOMENT:
        raise ValueError(
            f"activation: one of {', '.join(SECOND_MOMENT)} is required, got {activation!r}"
        )
    q_prev = _variance(q_prev, "q_prev")
    return (
        count(fan_in, "fan_in")
        * _variance(weight_var, "weight_var")
        * SECOND_MOMENT[activation](q_prev)
    )


#: The schemes of the deep-network experiment: activation and weight variance for width d.
SCHEMES = {
    "standard normal": ("linear", lambda d: 1.0),
    "normal / sqrt(d)": ("linear", lambda d: 1.0 / d),
    "tanh, normal / sqrt(d)": ("tanh", lambda d: 1.0 / d),
    "tanh, Xavier uniform": ("tanh", lambda d: xavier_uniform_bound(d, d) ** 2 / 3),
    "ReLU, Kaiming normal": ("relu", lambda d: kaiming_normal_std(d) ** 2),
    "ReLU, Xavier uniform": ("relu", lambda d: xavier_uniform_bound(d, d) ** 2 / 3),
}


def second_moments(scheme: str, width: int = 512, depth: int = 10) -> np.ndarray:
    """Predicted ``E[u_l[i]²]`` for layers ``l = 1..depth`` with input ``x ~ N(0, I)``.

    ``u_1 = W_1 x`` (the input is not passed through φ), ``u_l = W_l φ(u_{l-1})``.

    >>> second_moments("ReLU, Xavier uniform", depth=4)
    array([1.   , 0.5  , 0.25 , 0.125])
    >>> second_moments("ReLU, Kaiming normal", depth=3)
    array([2., 2., 2.])
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme: one of {', '.join(SCHEMES)} is required, got {scheme!r}")
    activation, var = SCHEMES[scheme]
    width, depth = count(width, "width"), count(depth, "depth")
    q = [width * var(width) * 1.0]  # E[x_j²] = 1
    for _ in range(depth - 1):
        q.append(variance_map(q[-1], activation=activation, fan_in=width, weight_var=var(width)))
    return np.array(q)


def expected_rms(width: int = 512) -> float:
    """``E[‖a x‖/sqrt(d)]`` for ``a ~ N(0, I_{d×d})``, ``x ~ N(0, I_d)``, exactly.

    Given ``x``, ``a x ~ N(0, ‖x‖² I)``, so ``‖a x‖ = ‖x‖ ‖g‖`` with ``g ~ N(0, I)``
    independent of ``x``, and ``E‖g‖ = sqrt(2) Γ((d+1)/2)/Γ(d/2)`` (the chi distribution).

    >>> round(expected_rms(512), 6), round(math.sqrt(512), 6)
    (22.605331, 22.627417)
    """
    width = count(width, "width")
    e_chi = math.sqrt(2) * math.exp(special.gammaln((width + 1) / 2) - special.gammaln(width / 2))
    return e_chi**2 / math.sqrt(width)


# --- the first float32 overflow in the unit-normal experiment -------------------------------
def _log_threshold(dtype: str) -> float:
    """log of the smallest magnitude that rounds to inf: the largest finite value plus half
    its unit in the last place (round to nearest)."""
    kinds = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
    if dtype not in kinds:
        raise ValueError(f"dtype: one of {', '.join(kinds)} is required, got {dtype!r}")
    big = np.finfo(kinds[dtype]).max
    ulp = float(big) - float(np.nextafter(big, kinds[dtype](0)))
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
    width = count(width, "width")
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
    the largest float.

    >>> {k: round(v, 3) for k, v in overflow_distribution().items()}
    {28: 0.11, 29: 0.89}
    >>> overflow_distribution(512, dtype="float64")
    {None: 1.0}
    >>> overflow_distribution(-3)
    Traceback (most recent call last):
    ...
    ValueError: width: a positive integer is required, got -3
    """
    width, depth = count(width, "width"), count(depth, "depth")
    _log_threshold(dtype)
    if not (isinstance(margin, int | float) and 0 < margin <= 1):
        raise ValueError(f"margin: a number in (0, 1] is required, got {margin!r}")
    cdf = (0.0, *_overflow_cdf(width, depth, dtype, float(margin)))
    probs = {layer: float(cdf[layer] - cdf[layer - 1]) for layer in range(1, depth + 1)}
    probs[None] = float(1.0 - cdf[-1])
    return {k: v for k, v in probs.items() if v > 1e-12}


def overflow_layer(width: int = 512, dtype: str = "float32", *, depth: int = 100) -> int | None:
    """The most likely 1-based index of the first layer whose output holds inf or nan.

    ``None`` when no overflow within ``depth`` layers is the most likely outcome.

    >>> overflow_layer(512), overflow_layer(512, "float16"), overflow_layer(512, "float64")
    (29, 4, None)
    >>> overflow_layer(512, "bfloat16")
    Traceback (most recent call last):
    ...
    ValueError: dtype: one of float16, float32, float64 is required, got 'bfloat16'
    """
    probs = overflow_distribution(width, depth, dtype)
    return max(probs, key=probs.get)
