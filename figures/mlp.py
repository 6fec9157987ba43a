"""The course network drawn with one student's numbers written on it.

Nodes carry the forward values (blue: ``x``, ``h̄¹``/``h¹``, ``h²``/``p``) and the backward
gradients (red: ``∂l/∂h̄¹``, ``δ² = ∂l/∂h²``); each edge carries its weight's gradient
``∂l/∂Wᵢⱼ`` and is drawn thicker the larger the weight. All numbers come from
:func:`derivations.mlp.answer_key`.

>>> fig = network(80)
>>> fig.axes[0].get_title()
'student 80: forward values (blue) and gradients (red), x = (1, -1, 1.5), y = 3'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from derivations import mlp
from derivations.mlp import key as mlp_key
from figures import STYLE

BLUE, RED, GREY = "#1f4e9a", "#b2182b", "#9a9a9a"
COLUMNS = (0.0, 3.0, 6.0)


def _ys(n: int) -> np.ndarray:
    return np.linspace(1.0, -1.0, n) * (n - 1) / 3.0 * 2.4


def _edges(ax, x0, ys0, x1, ys1, weights, grads, name, lo, hi):
    """Edges from column 0 to column 1; the label of edge (i←j) sits where it is least
    crowded: further along the edge for higher target rows."""
    for i, y1 in enumerate(ys1):
        for j, y0 in enumerate(ys0):
            w = weights[i, j]
            ax.plot([x0, x1], [y0, y1], color=GREY, lw=0.4 + 2.0 * abs(w), zorder=1, alpha=0.7)
            t = lo + (hi - lo) * (i + 0.5) / len(ys1)
            ax.text(
                x0 + t * (x1 - x0),
                y0 + t * (y1 - y0),
                f"{grads[i, j]:+.3f}",
                color=RED,
                fontsize=7,
                ha="center",
                va="center",
                zorder=3,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85),
            )
    ax.text(
        (x0 + x1) / 2, 3.0, f"edges: $\\partial l/\\partial {name}_{{ij}}$", color=RED,
        ha="center", fontsize=9,
    )  # fmt: skip


def _node(ax, x, y, forward: list[str], backward: list[str], *, side="right"):
    ax.add_patch(plt.Circle((x, y), 0.16, fc="white", ec="black", lw=1.2, zorder=4))
    dx = 0.22 if side == "right" else -0.22
    ha = "left" if side == "right" else "right"
    box = dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9)
    kw = dict(fontsize=8.5, ha=ha, zorder=5, bbox=box)
    ax.text(x + dx, y + 0.04, "\n".join(forward), color=BLUE, va="bottom", **kw)
    if backward:
        ax.text(x + dx, y - 0.04, "\n".join(backward), color=RED, va="top", **kw)


def network(student_id: int = 80, *, label_smoothing: float = 0.0):
    """The 3 → 4 → 3 network of ``student_id`` with its forward and backward numbers.

    >>> len(network(0).axes[0].patches)
    10
    """
    key = mlp.answer_key(student_id, label_smoothing=label_smoothing)
    params = mlp.student_parameters(student_id)
    x = np.array(mlp_key.X).reshape(-1, 1)
    ys = [_ys(3), _ys(4), _ys(3)]
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(12, 7.2))
        _edges(
            ax, COLUMNS[0], ys[0], COLUMNS[1], ys[1], params["W1"], key["dl_dW1"], "W^1", 0.3, 0.75
        )
        _edges(
            ax, COLUMNS[1], ys[1], COLUMNS[2], ys[2], params["W2"], key["dl_dW2"], "W^2", 0.45, 0.85
        )
        for k, y in enumerate(ys[0]):
            _node(ax, COLUMNS[0], y, [f"$x_{k + 1} = {x[k, 0]:g}$"], [], side="left")
        for j, y in enumerate(ys[1]):
            _node(
                ax,
                COLUMNS[1],
                y,
                [
                    f"$\\bar h^1_{j + 1} = {key['h1_bar'][j, 0]:.4f}$",
                    f"$h^1_{j + 1} = {key['h1'][j, 0]:.4f}$",
                ],
                [
                    f"$\\partial l/\\partial h^1_{j + 1} = {key['dl_dh1'][j, 0]:+.4f}$",
                    f"$\\partial l/\\partial \\bar h^1_{j + 1} = {key['dl_dh1_bar'][j, 0]:+.4f}$",
                ],
            )
        for i, y in enumerate(ys[2]):
            _node(
                ax,
                COLUMNS[2],
                y,
                [f"$h^2_{i + 1} = {key['h2'][i, 0]:.4f}$", f"$p_{i + 1} = {key['p'][i, 0]:.4f}$"],
                [f"$\\delta^2_{i + 1} = {key['dl_dh2'][i, 0]:+.4f}$"],
            )
        ax.text(
            COLUMNS[2] + 2.2,
            0.0,
            f"loss\nl = {key['loss']:.4f}",
            fontsize=10,
            color=BLUE,
            ha="center",
            va="center",
            bbox=dict(boxstyle="round", fc="#eef3fb", ec=BLUE),
        )
        for col, label in zip(
            COLUMNS, ("input x", "hidden: LeakyReLU", "logits, softmax"), strict=True
        ):
            ax.text(col, -3.0, label, ha="center", fontsize=10)
        ax.set_xlim(-1.1, 8.9)
        ax.set_ylim(-3.2, 3.2)
        ax.set_aspect("equal")
        ax.axis("off")
        smooth = f", α = {label_smoothing:g}" if label_smoothing else ""
        ax.set_title(
            f"student {student_id}: forward values (blue) and gradients (red), "
            f"x = (1, -1, 1.5), y = 3{smooth}"
        )
        fig.tight_layout()
    return fig


FIGURES = {"mlp.network": network}
