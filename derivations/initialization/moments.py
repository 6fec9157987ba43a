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
    """Predicted ``E[u_l[i]²]`` for layers ``l = 1..depth`` with input ``x ~ N(0, I)``.

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
    width = arg.count(width, "width")
    e_chi = math.sqrt(2) * math.exp(special.gammaln((width + 1) / 2) - special.gammaln(width / 2))
    return e_chi**2 / math.sqrt(width)
