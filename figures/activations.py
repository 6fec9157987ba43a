"""Each activation and its derivative, plotted together from the derived expressions.

Kinks are marked: the derivative jumps there, so it is drawn as separate pieces with the
one-sided limits as open circles and PyTorch's value at the kink as a filled dot.

>>> fig = figure("relu")
>>> [ax.get_title() for ax in fig.axes]
['relu and its derivative']
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from scipy.special import erf, expit

from derivations import activations as act
from figures import STYLE

_NUMPY = [{"sigmoid": expit, "Phi": lambda t: 0.5 * (1 + erf(t / np.sqrt(2))), "erf": erf}, "numpy"]
X_RANGE = (-5.0, 5.0)


def _numeric(expr):
    return sp.lambdify(act.x, expr, _NUMPY)


def figure(name: str, *, x_range=X_RANGE):
    """Plot ``name`` and its derivative on one axis; returns the Figure.

    >>> figure("swish")
    Traceback (most recent call last):
    ...
    ValueError: name: unknown activation 'swish'; allowed: leaky_relu, softplus, sigmoid, tanh, relu, elu, gelu, silu, softmax
    """
    a = act.get(name)
    if not hasattr(a, "kinks"):
        raise ValueError(f"name: {name} is vector valued; use softmax_figure()")
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        xs = np.linspace(*x_range, 2001)
        f, df = _numeric(a.expr), _numeric(a.derivative)
        ax.plot(xs, np.broadcast_to(f(xs), xs.shape), color="C0", lw=2, label=f"{name}(x)")
        breaks = [float(k.point) for k in a.kinks]
        edges = [x_range[0], *breaks, x_range[1]]
        for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False)):
            seg = xs[(xs > lo) & (xs < hi)]
            ax.plot(
                seg,
                np.broadcast_to(df(seg), seg.shape),
                color="C1",
                lw=2,
                ls="--",
                label=f"{name}′(x)" if i == 0 else None,
            )
        for k in a.kinks:
            b = float(k.point)
            if not k.differentiable:
                ax.plot([b, b], [float(k.left), float(k.right)], "o", mfc="white", color="C1")
                ax.plot([b], [float(k.by_cases)], "o", color="C3", label="autograd at the kink")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xlabel("$x$")
        ax.set_title(f"{name} and its derivative")
        ax.legend(loc="upper left", frameon=False)
        fig.tight_layout()
    return fig


def overview():
    """All scalar activations (solid) and derivatives (dashed), one panel each.

    >>> sum(ax.axison for ax in overview().axes)
    8
    """
    names = list(act.TABLE)
    with plt.rc_context(STYLE):
        # 7 inches wide, so that a 688-pixel column shows the 10-point labels at 13 pixels
        fig, axes = plt.subplots(3, 3, figsize=(7.0, 6.4), sharex=True)
        xs = np.linspace(*X_RANGE, 1001)
        axes.flat[-1].axis("off")
        for ax, name in zip(axes.flat, names, strict=False):
            a = act.get(name)
            ax.plot(xs, np.broadcast_to(_numeric(a.expr)(xs), xs.shape), lw=2)
            ax.plot(xs, np.broadcast_to(_numeric(a.derivative)(xs), xs.shape), lw=1.5, ls="--")
            ax.set_title(name)
        for ax in axes[-1, :2]:
            ax.set_xlabel("$x$")
        axes[-2, -1].xaxis.set_tick_params(labelbottom=True)
        axes[-2, -1].set_xlabel("$x$")
        fig.suptitle("activations (solid) and their derivatives (dashed)")
        fig.tight_layout()
    return fig


FIGURES = {f"activations.{name}": (lambda n=name: figure(n)) for name in act.TABLE}
FIGURES["activations.overview"] = overview
