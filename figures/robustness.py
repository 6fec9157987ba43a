"""Figures of the robustness topic: robust accuracy against ε, and the balls with their maximizers.

>>> fig = balls()
>>> len(fig.axes)
1
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from derivations import arguments as arg
from derivations import robustness as rb
from figures import STYLE
from verify import montecarlo as mc
from verify import robustness as vr

#: The attack norms drawn, with their colours.
ORDERS = {"L∞": (math.inf, "C0"), "L2": (2.0, "C1"), "L1": (1.0, "C2")}
EPSILONS = (0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8)
#: The gradient of the balls figure: unequal entries, so the three maximizers differ.
G = (2.0, 1.0)


def accuracy_curve(*, draws: int = 20_000, epsilons=EPSILONS):
    """Robust accuracy of the claims' linear classifier against ε for three attack norms:
    ``Φ((wᵀμ − ε‖w‖_q)/(s‖w‖₂))`` as lines, the simulation as points with intervals at level 1e-6.

    >>> fig = accuracy_curve(draws=200, epsilons=(0.0, 0.5))
    >>> fig.axes[0].get_xlabel(), plt.close(fig)
    ('attack radius $\\\\varepsilon$', None)
    """
    draws = arg.count(draws, "draws", minimum=2)
    epsilons = arg.array(epsilons, "epsilons", ndim=1)
    if epsilons.size == 0 or epsilons.min() < 0:
        raise ValueError(
            f"epsilons: a non-empty list of radii >= 0 is required, got {epsilons.tolist()}"
        )
    grid = np.linspace(0, epsilons.max(), 200)
    with plt.rc_context({**STYLE, "font.size": 11}):
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
        for label, (p, colour) in ORDERS.items():
            curve = [rb.linear_robust_accuracy(vr.W, vr.MU, vr.S, e, p) for e in grid]
            ax.plot(grid, curve, color=colour, label=f"{label} ball: formula")
            est = [
                mc.estimate(vr.robust_correct_sampler(p, e), draws, seed=i)
                for i, e in enumerate(epsilons)
            ]
            ax.errorbar(
                epsilons,
                [e.mean for e in est],
                yerr=[e.half_width for e in est],
                fmt="o",
                ms=4,
                color=colour,
                capsize=3,
                label=f"{label} ball: simulation",
            )
        ax.set_xlabel(r"attack radius $\varepsilon$")
        ax.set_ylabel("robust accuracy")
        ax.set_title(
            rf"$\mathrm{{sign}}(w^\top x)$ on $N(\pm\mu, s^2 I)$, $d = {len(vr.W)}$,"
            rf" $s = {vr.S:g}$; {draws:,} draws a point",
            fontsize=11,
        )
        ax.legend(fontsize=10)
    return fig


def _sphere(p: float, n: int = 400) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n)
    points = np.stack([np.cos(t), np.sin(t)], axis=1)
    norms = np.linalg.norm(points, ord=p, axis=1) if not math.isinf(p) else np.abs(points).max(1)
    return points / norms[:, None]


def balls(g=G, eps: float = 1.0):
    """The unit L1, L2 and L∞ balls in the plane, each with its maximizer of ``gᵀδ`` and the
    level line ``gᵀδ = ε‖g‖_q`` that touches the ball there.

    >>> fig = balls((1.0, 3.0))
    >>> len(fig.axes[0].lines) >= 6, plt.close(fig)
    (True, None)
    """
    g = arg.array(g, "g", shape=(2,))
    eps = arg.positive(eps, "eps")
    if not np.any(g):
        raise ValueError("g: a nonzero gradient is required (for g = 0 every point is a maximizer)")
    with plt.rc_context({**STYLE, "font.size": 11}):
        fig, ax = plt.subplots(figsize=(6.6, 5.4), layout="constrained")
        span = np.linspace(-2, 2, 2)
        for label, (p, colour) in ORDERS.items():
            ring = eps * _sphere(p)
            ax.plot(ring[:, 0], ring[:, 1], color=colour, lw=1.5, label=f"{label} ball")
            delta = rb.worst_perturbation(g, eps, p)
            value = float(g @ delta)
            # the level line gᵀδ = value, tangent to the ball at δ*
            along = np.array([-g[1], g[0]]) / np.linalg.norm(g)
            line = delta + np.outer(span, along)
            ax.plot(line[:, 0], line[:, 1], color=colour, lw=0.8, ls="--")
            ax.plot(*delta, "o", color=colour, ms=7, mec="black")
            ax.annotate(
                rf"$\delta^*$ ({label}): $g^\top\delta^* = {value:.3g}$",
                delta,
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=10,
                color=colour,
            )
        ax.annotate(
            "",
            xy=g / np.linalg.norm(g) * 0.6,
            xytext=(0, 0),
            arrowprops={"arrowstyle": "->", "color": "black"},
        )
        ax.text(*(g / np.linalg.norm(g) * 0.62), r" $g$", fontsize=12)
        ax.set_xlim(-1.4, 2.5)  # room for the labels right of the balls
        ax.set_ylim(-1.4, 1.6)
        ax.set_aspect("equal")
        ax.set_xlabel(r"$\delta_1$")
        ax.set_ylabel(r"$\delta_2$")
        ax.set_title(
            rf"$g = ({g[0]:g}, {g[1]:g})$, $\varepsilon = {eps:g}$: maximizers, level lines",
            fontsize=11,
        )
        ax.legend(fontsize=10, loc="lower left")
    return fig


FIGURES = {"robustness.accuracy": accuracy_curve, "robustness.balls": balls}
