"""Closed forms of initialization: the Xavier and Kaiming scales, and the variance map.

>>> round(xavier_uniform_bound(512, 512), 6), round(kaiming_normal_std(512), 6)
(0.076547, 0.0625)
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations.initialization.chains import d, kaiming_sigma, n_in, n_out, xavier_bound
from derivations.lazy import lazy

special = lazy("scipy.special")
stats = lazy("scipy.stats")

# --- closed forms ---------------------------------------------------------------------------
#: Deepest network the topic predicts for (its numbers take a moment up to this depth).
MAX_DEPTH = 1000


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
    return _XAVIER(arg.count(fan_in, "fan_in"), arg.count(fan_out, "fan_out"))


def kaiming_normal_std(fan_in: int) -> float:
    """The Kaiming/He normal std for ReLU, fan-in mode: ``sqrt(2/fan_in)``.

    >>> kaiming_normal_std(8)
    0.5
    """
    return _KAIMING(arg.count(fan_in, "fan_in"))


# --- second moments through a deep network --------------------------------------------------
#: The trapezoidal rule on a uniform grid over [-12, 12]: for an integrand analytic in a strip
#: of half-width π/(2 sqrt q) around the real line its error falls like exp(-π²/(sqrt(q) h)),
#: below 1e-15 for q ≤ 10³ with this step h = 0.006 (the normal tail beyond 12 is 1e-32).
_Z = np.linspace(-12.0, 12.0, 4001)
_PHI_DZ = np.exp(-(_Z**2) / 2) / math.sqrt(2 * math.pi) * (_Z[1] - _Z[0])

#: 𝔼[φ(u)²] for u ~ N(0, q): exact for the identity and ReLU, quadrature for tanh.
SECOND_MOMENT = {
    "linear": lambda q: q,
    "relu": lambda q: q / 2,
    "tanh": lambda q: float(np.dot(_PHI_DZ, np.tanh(math.sqrt(q) * _Z) ** 2)),
}


def variance_map(q_prev: float, *, activation: str, fan_in: int, weight_var: float) -> float:
    """One layer: ``q_l = d σ² 𝔼[φ(sqrt(q_{l-1}) z)²]`` with ``z ~ N(0, 1)``.

    For tanh the expectation has no closed form; it is computed numerically by the
    trapezoidal rule on a fine grid (accurate to about 1e-15 for ``q ≤ 10³``).

    >>> variance_map(2.0, activation="relu", fan_in=512, weight_var=2 / 512)
    2.0
    >>> round(variance_map(1.0, activation="tanh", fan_in=512, weight_var=1 / 512), 6)
    0.394294
    >>> variance_map(-1.0, activation="tanh", fan_in=512, weight_var=1.0)
    Traceback (most recent call last):
    ...
    ValueError: q_prev: a finite real number >= 0 is required, got -1.0
    """
    second_moment = SECOND_MOMENT[arg.choice(activation, "activation", SECOND_MOMENT)]
    q_prev = arg.non_negative(q_prev, "q_prev")
    fan_in = arg.count(fan_in, "fan_in")
    return fan_in * arg.non_negative(weight_var, "weight_var") * second_moment(q_prev)


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
    """Predicted ``𝔼[u_l[i]²]`` for layers ``l = 1..depth`` with input ``x ~ N(0, I)``.

    ``u_1 = W_1 x`` (the input is not passed through φ), ``u_l = W_l φ(u_{l-1})``; ``depth``
    is at most :data:`MAX_DEPTH`.

    >>> second_moments("ReLU, Xavier uniform", depth=4)
    array([1.   , 0.5  , 0.25 , 0.125])
    >>> second_moments("ReLU, Kaiming normal", depth=3)
    array([2., 2., 2.])
    """
    activation, var = SCHEMES[arg.choice(scheme, "scheme", SCHEMES)]
    width = arg.count(width, "width")
    depth = arg.count(depth, "depth", maximum=MAX_DEPTH)
    q = [width * var(width) * 1.0]  # 𝔼[x_j²] = 1
    for _ in range(depth - 1):
        q.append(variance_map(q[-1], activation=activation, fan_in=width, weight_var=var(width)))
    return np.array(q)


def expected_rms(width: int = 512) -> float:
    """``𝔼[‖a x‖/sqrt(d)]`` for ``a ~ N(0, I_{d×d})``, ``x ~ N(0, I_d)``, exactly.

    Given ``x``, ``a x ~ N(0, ‖x‖² I)``, so ``‖a x‖ = ‖x‖ ‖g‖`` with ``g ~ N(0, I)``
    independent of ``x``, and ``E‖g‖ = sqrt(2) Γ((d+1)/2)/Γ(d/2)`` (the chi distribution).

    >>> round(expected_rms(512), 6), round(math.sqrt(512), 6)
    (22.605331, 22.627417)
    """
    width = arg.count(width, "width")
    e_chi = math.sqrt(2) * math.exp(special.gammaln((width + 1) / 2) - special.gammaln(width / 2))
    return e_chi**2 / math.sqrt(width)


# --- finite width ---------------------------------------------------------------------------
#: The experiment's schemes by the short names of the API, as (SCHEMES key, weight law).
SHORT = {
    "scaled": ("normal / sqrt(d)", "normal"),
    "tanh": ("tanh, normal / sqrt(d)", "normal"),
    "xavier_tanh": ("tanh, Xavier uniform", "uniform"),
    "kaiming_relu": ("ReLU, Kaiming normal", "normal"),
    "xavier_relu": ("ReLU, Xavier uniform", "uniform"),
}
#: Excess kurtosis of one weight: 0 for a normal, -6/5 for a uniform law.
_KURTOSIS = {"normal": 0.0, "uniform": -1.2}

_t = sp.Symbol("t", real=True)
#: tanh² and its second and fourth derivatives (SymPy), for the heat-equation identities
#: d/dq 𝔼[f(sqrt(q) z)] = 𝔼[f''(sqrt(q) z)]/2 (:func:`derivations.initialization.chains.heat_equation`).
_F = [sp.lambdify(_t, sp.diff(sp.tanh(_t) ** 2, _t, k), "numpy") for k in (0, 2, 4)]


def _gauss(fn, q: float) -> float:
    return float(np.dot(_PHI_DZ, fn(math.sqrt(q) * _Z)))


def tanh_map_terms(q: float) -> dict:
    """For ``u ~ N(0, q)``: ``g = 𝔼[tanh²u]``, its derivatives ``g1, g2`` in ``q``, the
    variance ``v`` of ``tanh²u`` and ``m4 = 𝔼[tanh⁴u]`` (quadrature).

    >>> t = tanh_map_terms(1.0)
    >>> round(t["g"], 6), t["g1"] < 1, t["g2"] < 0
    (0.394294, True, True)
    """
    q = arg.non_negative(q, "q")
    g = _gauss(_F[0], q)
    m4 = _gauss(lambda x: np.tanh(x) ** 4, q)
    return {
        "g": g,
        "g1": _gauss(_F[1], q) / 2,
        "g2": _gauss(_F[2], q) / 4,
        "v": m4 - g * g,
        "m4": m4,
    }


def _scheme(scheme):
    return SHORT[arg.choice(scheme, "scheme", SHORT)]


def finite_width_second_moments(scheme: str, width: int = 512, depth: int = 10) -> np.ndarray:
    """``𝔼[u_l[i]²]`` for ``l = 1..depth`` at finite ``width``, to first order in ``1/width``.

    Given the previous layer, ``u_l`` has i.i.d. entries of variance ``Q_l = σ²‖φ(u_{l-1})‖²``,
    a random variable of mean ``m_l`` and variance ``s_l²``: ``𝔼[u_{l+1}²] = 𝔼[g(Q_l)]`` with
    ``g(q) = d σ² 𝔼[tanh²(sqrt(q) z)]``, and ``𝔼[g(Q)] = g(m) + g''(m) s²/2 + O(1/d²)``. With
    ``m_l = q_l + δ_l`` (``q_l`` the variance map), to first order

    * ``δ_{l+1} = g'(q_l) δ_l + g''(q_l) s_l²/2 + κ_l g''(q_l)/6``,
    * ``s_{l+1}² = g'(q_l)² s_l² + Var(tanh² u)/d``, from ``s_1² = 2/d`` (``‖x‖²/d``),

    where ``κ_l = k Σ_j φ_j⁴ σ⁴`` is the fourth cumulant of ``u_l`` given the past (``k`` the
    weights' excess kurtosis: 0 for normal, -6/5 for uniform weights, whose lighter tails
    halve the gap). Every ``g`` is concave, so the finite network sits below the map, by
    0.12 % at layer 4 of width 512 with normal weights. The linear and ReLU maps are linear in
    ``q`` and their inputs are symmetric, so they are exact at every width.

    >>> q = second_moments("tanh, normal / sqrt(d)", 512, 4)
    >>> [round(float(r), 5) for r in finite_width_second_moments("tanh", 512, 4) / q - 1]
    [0.0, -0.00085, -0.00097, -0.0012]
    >>> finite_width_second_moments("xavier_relu", 512, 3)
    array([1.  , 0.5 , 0.25])
    """
    return _finite_width(scheme, width, depth)[0]


def _finite_width(scheme, width, depth):
    """(𝔼[u_l²], Var(Q_l)) per layer, to first order in 1/width."""
    (name, law), width = _scheme(scheme), arg.count(width, "width")
    depth = arg.count(depth, "depth", maximum=MAX_DEPTH + 1)
    q = second_moments(name, width, depth)
    activation, var = SCHEMES[name]
    if activation != "tanh":
        return q, None
    gain = width * var(width)  # d σ²
    kurt = _KURTOSIS[law]
    delta, s2, m4_prev = [0.0], [2.0 * gain**2 / width], 3.0  # 𝔼[x⁴] = 3
    for layer in range(depth - 1):
        t = tanh_map_terms(q[layer])
        g1, g2 = gain * t["g1"], gain * t["g2"]
        kappa = kurt * m4_prev * (var(width) * gain if layer else gain**2 / width)
        delta.append(g1 * delta[-1] + g2 * s2[-1] / 2 + kappa * g2 / 6)
        s2.append(g1**2 * s2[-1] + gain**2 * t["v"] / width)
        m4_prev = t["m4"]
    return q + np.array(delta), np.array(s2)


# --- what the course prints: the mean and std of the post-activation entries ----------------
_RELU_MEAN = 1 / math.sqrt(2 * math.pi)  # 𝔼[ReLU(z)], z ~ N(0, 1)
_RELU_VAR = 0.5 - 1 / (2 * math.pi)  # Var ReLU(z)


def post_activation_moments(scheme: str, layer: int, width: int = 512) -> tuple[float, float]:
    """Mean and std of the post-activation entries ``φ(u_layer)`` under the variance map:
    ``u ~ N(0, q_layer)`` (for ``"scaled"``, no activation: ``u`` itself).

    ``scheme`` is one of ``"scaled"``, ``"tanh"``, ``"xavier_tanh"``, ``"kaiming_relu"``,
    ``"xavier_relu"``; ``layer`` counts from 1. ReLU: mean ``sqrt(q/2π)``, std
    ``sqrt(q (1/2 - 1/2π))``; tanh: mean 0, std ``sqrt(𝔼[tanh²(sqrt(q) z)])``.

    >>> [round(v, 4) for v in post_activation_moments("kaiming_relu", 100)]
    [0.5642, 0.8256]
    >>> post_activation_moments("scaled", 100)
    (0.0, 1.0)
    >>> post_activation_moments("tanh", 0)
    Traceback (most recent call last):
    ...
    ValueError: layer: an integer in [1, 1000] is required, got 0
    """
    name, _ = _scheme(scheme)
    layer = arg.count(layer, "layer", maximum=MAX_DEPTH)
    q = float(second_moments(name, width, layer)[-1])
    activation = SCHEMES[name][0]
    if activation == "linear":
        return 0.0, math.sqrt(q)
    if activation == "relu":
        return _RELU_MEAN * math.sqrt(q), math.sqrt(_RELU_VAR * q)
    return 0.0, math.sqrt(SECOND_MOMENT["tanh"](q))


def _log_chi2(k):
    """Mean and variance of log χ²_k (arrays of k)."""
    return special.digamma(k / 2) + math.log(2), special.polygamma(1, k / 2)


def log_std_moments(scheme: str, layer: int, width: int = 512) -> tuple[float, float]:
    """Mean and standard deviation, across seeds, of ``log`` of the std the course prints
    (``x.std()`` of the ``width`` post-activation entries of one network at ``layer``).

    The std's scale is a product of one random factor per layer, so its log is a sum:

    * ``"scaled"`` and the ReLU schemes are positively homogeneous, so with normal weights
      ``S_l = ‖φ(u_l)‖²/d`` is exactly ``S_0 Π (dσ²/d) Σ_i φ(z_li)²`` with ``z`` i.i.d.
      N(0, 1), ``S_0 = χ²_d/d``; ``Σ z² = χ²_d``, and ``Σ ReLU(z)² = χ²_K`` with
      ``K ~ Bin(d, 1/2)`` active units (conditioned on ``K ≥ 1``: the network dies with
      probability 2^-d). ``log 𝔼[χ²_k] `` has mean ``ψ(k/2) + log 2`` and variance
      ``ψ'(k/2)``. The printed std is ``sqrt(dσ² S_{L-1})`` times the sample std of ``d``
      i.i.d. ``φ(z)``: exact for the identity (a ``χ²_{d-1}``), by the delta method for ReLU.
      Xavier's uniform weights change the per-layer variances by ``O(1/d²)``.
    * tanh: the log of :func:`finite_width_second_moments`' ``Q`` by the delta method,
      ``E log Q ≈ log m - s²/2m²``, ``Var ≈ s²/m²``.

    >>> [round(v, 3) for v in log_std_moments("kaiming_relu", 100)]  # median std 0.646
    [-0.437, 0.497]
    >>> [round(v, 3) for v in log_std_moments("scaled", 100)]
    [-0.099, 0.314]
    """
    (name, _), layer = _scheme(scheme), arg.count(layer, "layer", maximum=MAX_DEPTH)
    width = arg.count(width, "width", minimum=4)
    activation, var = SCHEMES[name]
    gain, d = width * var(width), width
    if activation == "tanh":
        m, s2 = _finite_width(scheme, width, layer + 1)
        # the printed std² is S_L = Q_{L+1}/gain, up to a Bessel factor and a mean that
        # cancel to O(1/d²) for a symmetric φ
        mean_q, var_q = float(m[-1]), float(s2[-1])
        return 0.5 * (math.log(mean_q / gain) - var_q / (2 * mean_q**2)), 0.5 * math.sqrt(
            var_q / mean_q**2
        )
    e0, v0 = _log_chi2(d)
    e0 -= math.log(d)
    if activation == "linear":
        e_step, v_step = e0, v0
        e_last, v_last = _log_chi2(d - 1)
        e_last -= math.log(d - 1)
    else:
        k = np.arange(1, d + 1)
        pk = stats.binom.pmf(k, d, 0.5)
        pk = pk / pk.sum()
        mk, vk = _log_chi2(k)
        mk = mk - math.log(d)
        e_step = float(pk @ mk)
        v_step = float(pk @ (vk + mk**2)) - e_step**2
        m1, m2, m3, m4 = _RELU_MEAN, 0.5, math.sqrt(2 / math.pi), 1.5
        mu4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1**4
        rel = (mu4 - _RELU_VAR**2) / (d * _RELU_VAR**2)  # Var(σ̂²)/σ⁴
        e_last, v_last = math.log(_RELU_VAR) - rel / 2, rel
    mean = 0.5 * (layer * math.log(gain) + e0 + (layer - 1) * e_step + e_last)
    variance = 0.25 * (v0 + (layer - 1) * v_step + v_last)
    return float(mean), math.sqrt(variance)


def ratio_moments(scheme: str, width: int = 512) -> tuple[float, float]:
    """Mean and standard deviation, across seeds, of ``x.mean()/x.std()`` over the ``width``
    post-activation entries of one network (at any layer past the first).

    Given the previous layer the entries are i.i.d. ``φ(sqrt(Q) z)``, and for the identity and
    ReLU the ratio does not depend on ``Q``. Symmetric φ: mean 0, std ``1/sqrt(d)`` (for the
    identity the scaled ratio is exactly Student's t). ReLU, by the delta method with the
    central moments ``μ₃, μ₄`` of ``ReLU(z)``: mean ``μ/σ + ((3/8) μ (μ₄ - σ⁴)/σ⁵ - μ₃/2σ³)/d``
    and variance ``(1 + μ² (μ₄ - σ⁴)/4σ⁶ - μ μ₃/σ⁴)/d``, to ``O(1/d²)``.

    >>> [round(v, 4) for v in ratio_moments("kaiming_relu")]
    [0.6839, 0.0277]
    >>> ratio_moments("tanh", 64)
    (0.0, 0.125)
    """
    name, _ = _scheme(scheme)
    d = arg.count(width, "width", minimum=4)
    if SCHEMES[name][0] != "relu":
        return 0.0, 1 / math.sqrt(d)
    mu, var = _RELU_MEAN, _RELU_VAR
    sd = math.sqrt(var)
    mu3 = math.sqrt(2 / math.pi) - 3 * mu * 0.5 + 2 * mu**3
    mu4 = 1.5 - 4 * mu * math.sqrt(2 / math.pi) + 6 * mu * mu * 0.5 - 3 * mu**4
    c4 = mu4 - var * var
    mean = mu / sd + (0.375 * mu * c4 / sd**5 - 0.5 * mu3 / sd**3) / d
    variance = (1 + mu * mu * c4 / (4 * var**3) - mu * mu3 / var**2) / d
    return mean, math.sqrt(variance)
