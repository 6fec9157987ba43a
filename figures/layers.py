"""Finite-difference error against the step size h: truncation on the right, round-off on the
left, and the step :data:`verify.gradcheck.H` the checks use.

Measured on two smooth losses built from the layers (the softmax loss of a batch of scores and
``Σ dout ⊙ batchnorm(x)``), along one random unit direction, against the derived gradient.

>>> fig = step_size()
>>> fig.axes[0].get_xscale(), fig.axes[0].get_title()
('log', 'centered difference: error against step size')
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from derivations import layers as L
from figures import STYLE
from verify.gradcheck import EPS, ROUNDING, H, tolerance

STEPS = np.logspace(-13, -0.5, 51)


def _softmax_case(rng):
    x, y = rng.standard_normal((8, 5)), rng.integers(0, 5, 8)
    return (lambda v: L.softmax_loss(v, y)[0]), x, L.softmax_loss(x, y)[1]


def _batchnorm_case(rng):
    x, gamma, beta = rng.standard_normal((8, 3)), rng.standard_normal(3), rng.standard_normal(3)
    dout = rng.standard_normal((8, 3))

    def f(v):
        return float(np.sum(dout * L.batchnorm_forward(v, gamma, beta)[0]))

    _, cache = L.batchnorm_forward(x, gamma, beta)
    return f, x, L.batchnorm_backward(dout, cache)[0]


def errors(case: str, steps=STEPS, seed: int = 0) -> np.ndarray:
    """``|(f(x + h u) - f(x - h u)) / 2h - gᵀu|`` for each step ``h``, ``u`` a random unit
    vector and ``g`` the derived gradient; ``case`` is ``'softmax_loss'`` or ``'batchnorm'``.

    >>> e = errors("softmax_loss", [1e-12, 1e-5, 1e-1])
    >>> bool(e[1] < e[0] and e[1] < e[2])
    True
    """
    builders = {"softmax_loss": _softmax_case, "batchnorm": _batchnorm_case}
    if case not in builders:
        raise ValueError(f"case: unknown case {case!r}; allowed: {', '.join(builders)}")
    rng = np.random.default_rng(seed)
    f, x, g = builders[case](rng)
    u = rng.standard_normal(x.shape)
    u /= np.linalg.norm(u)
    exact = float(np.sum(g * u))
    return np.array([abs((f(x + h * u) - f(x - h * u)) / (2 * h) - exact) for h in steps])


def step_size():
    """Measured error of the centered difference against h, the bound used as the tolerance,
    its two parts, and the chosen h.

    >>> fig = step_size()
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale(), plt.close(fig)
    ('log', 'log', None)
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.0, 4.2))
        for case, color in (("softmax_loss", "C0"), ("batchnorm", "C2")):
            ax.loglog(
                STEPS,
                np.maximum(errors(case), 1e-18),
                "o-",
                ms=3,
                color=color,
                label=f"measured: {case.replace('_', ' ')}",
            )
        ax.loglog(
            STEPS,
            [tolerance(1.0, h) for h in STEPS],
            color="black",
            lw=1.5,
            label=r"tolerance $F\,(c\,\varepsilon/h + h^2)$, $F = 1$",
        )
        ax.loglog(
            STEPS, ROUNDING * EPS / STEPS, ":", color="C3", label=r"round-off $c\,\varepsilon/h$"
        )
        ax.loglog(STEPS, STEPS**2, "--", color="C1", label=r"truncation $h^2$")
        ax.axvline(H, color="C4", lw=2, alpha=0.6)
        power = round(float(np.log10(H)))
        shown = f"10^{{{power}}}" if np.isclose(H, 10.0**power) else f"{H:g}"
        ax.text(H * 1.3, 1e-15, f"$h = {shown}$", color="C4")
        ax.set_ylim(1e-16, 1e2)
        ax.set_xlabel("step size $h$")
        ax.set_ylabel(r"$|$finite difference $-$ derived$|$")
        ax.set_title("centered difference: error against step size")
        ax.legend(loc="upper center", fontsize=9, frameon=False, ncol=2)
        fig.tight_layout()
    return fig


FIGURES = {"layers.step_size": step_size}
