"""The course network drawn with one student's numbers, in two figures a column can show.

:func:`forward` writes the forward pass on the network (``x``, ``h̄¹`` and ``h¹``, ``h²`` and
``p``, the loss), each edge drawn thicker the larger its weight; :func:`backward` writes the
gradients backpropagation sends back on the nodes (``δ² = ∂l/∂h²``, ``∂l/∂h¹``, ``δ¹``) and the
weights' gradients ``∂l/∂W¹`` and ``∂l/∂W²`` as two tables laid out like the edges (row ``i``,
column ``j`` is the edge from unit ``j`` to unit ``i``). All numbers come from
:func:`derivations.mlp.answer_key`. Both are 7 inches wide with text of at least 9 pt, so that
at a 688-pixel column every label is at least 11 pixels high.

>>> fig = forward(80)
>>> fig.axes[0].get_title()
'student 80, forward pass: x = (1, −1, 1.5), y = 3'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from derivations import mlp
from derivations.mlp import key as mlp_key
from figures import STYLE

BLUE, RED, GREY = "#1f4e9a", "#b2182b", "#9a9a9a"
COLUMNS = (0.0, 3.4, 6.8)
WIDTH = 7.0
FONT = 10


def _ys(n: int) -> np.ndarray:
    return np.linspace(1.0, -1.0, n) * (n - 1) / 3.0 * 2.1


def _signed(v: float, digits: int = 4) -> str:
    """``+0.1234`` / ``−0.1234`` with a true minus sign."""
    return f"{v:+.{digits}f}".replace("-", "−")


def _network(ax, params, labels, color, title):
    """Nodes and edges of the 3 → 4 → 3 net; ``labels[c][n]`` is the text beside node n of
    column c (input labels go on the left)."""
    ys = [_ys(3), _ys(4), _ys(3)]
    for (x0, y0s), (x1, y1s), w in zip(
        zip(COLUMNS, ys, strict=True), zip(COLUMNS[1:], ys[1:], strict=True),
        (params["W1"], params["W2"]), strict=False,
    ):  # fmt: skip
        for i, y1 in enumerate(y1s):
            for j, y0 in enumerate(y0s):
                lw = 0.4 + 2.0 * abs(w[i, j])
                ax.plot([x0, x1], [y0, y1], color=GREY, lw=lw, zorder=1, alpha=0.7)
    box = dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9)
    for c, (x, col_ys) in enumerate(zip(COLUMNS, ys, strict=True)):
        for n, y in enumerate(col_ys):
            ax.add_patch(plt.Circle((x, y), 0.17, fc="white", ec="black", lw=1.2, zorder=4))
            left = c == 0
            ax.text(
                x + (-0.25 if left else 0.25), y, labels[c][n], color=color, fontsize=FONT,
                ha="right" if left else "left", va="center", zorder=5, bbox=box,
            )  # fmt: skip
    for x, name in zip(COLUMNS, ("input $x$", "hidden: LeakyReLU", "logits, softmax"), strict=True):
        ax.text(x, -2.75, name, ha="center", fontsize=FONT)
    ax.set_xlim(-2.0, 9.6)
    ax.set_ylim(-3.0, 2.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=FONT + 1)


def forward(student_id: int = 80, *, label_smoothing: float = 0.0):
    """The forward pass of ``student_id``'s network: every value, written on its node.

    >>> texts = [t.get_text() for t in forward(0).axes[0].texts]
    >>> any(t.startswith("$l = ") for t in texts)
    True
    """
    key = mlp.answer_key(student_id, label_smoothing=label_smoothing)
    params = mlp.student_parameters(student_id)
    x = np.array(mlp_key.X).ravel()
    labels = [
        [f"$x_{k + 1} = {x[k]:g}$" for k in range(3)],
        [
            f"$\\bar h^1_{j + 1} = {key['h1_bar'][j, 0]:.4f}$\n$h^1_{j + 1} = {key['h1'][j, 0]:.4f}$"
            for j in range(4)
        ],
        [
            f"$h^2_{i + 1} = {key['h2'][i, 0]:.4f}$\n$p_{i + 1} = {key['p'][i, 0]:.4f}$"
            for i in range(3)
        ],
    ]
    smooth = f", α = {label_smoothing:g}" if label_smoothing else ""
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(WIDTH, 4.0))
        _network(
            ax, params, labels, BLUE,
            f"student {student_id}, forward pass: x = (1, −1, 1.5), y = 3{smooth}",
        )  # fmt: skip
        ax.text(
            COLUMNS[2] + 1.5, -2.15, f"$l = {key['loss']:.4f}$", fontsize=FONT + 1, color=BLUE,
            ha="center", va="center", bbox=dict(boxstyle="round", fc="#eef3fb", ec=BLUE),
        )  # fmt: skip
        fig.tight_layout()
    return fig


def _table(ax, values, name: str):
    """``values`` as a grid of numbers, row i and column j labelled as the weight's indices."""
    rows, cols = values.shape
    bound = float(np.abs(values).max()) or 1.0
    ax.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, alpha=0.35, aspect="auto")
    for i in range(rows):
        for j in range(cols):
            ax.text(j, i, _signed(values[i, j]), ha="center", va="center", fontsize=FONT - 1)
    ax.set_xticks(range(cols), [f"$j = {j + 1}$" for j in range(cols)], fontsize=FONT - 1)
    ax.set_yticks(range(rows), [f"$i = {i + 1}$" for i in range(rows)], fontsize=FONT - 1)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(f"${name}$", fontsize=FONT, color=RED)


def backward(student_id: int = 80, *, label_smoothing: float = 0.0):
    """The backward pass: the gradients on the nodes, the weights' gradients as tables.

    >>> fig = backward(0)
    >>> [ax.get_title() for ax in fig.axes[1:]]
    ['$\\\\partial l/\\\\partial W^1_{ij}$', '$\\\\partial l/\\\\partial W^2_{ij}$']
    """
    key = mlp.answer_key(student_id, label_smoothing=label_smoothing)
    params = mlp.student_parameters(student_id)
    labels = [
        ["" for _ in range(3)],
        [
            f"$\\partial l/\\partial h^1_{j + 1} = {_signed(key['dl_dh1'][j, 0])}$\n"
            f"$\\delta^1_{j + 1} = {_signed(key['dl_dh1_bar'][j, 0])}$"
            for j in range(4)
        ],
        [f"$\\delta^2_{i + 1} = {_signed(key['dl_dh2'][i, 0])}$" for i in range(3)],
    ]
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig = plt.figure(figsize=(WIDTH, 6.6))
        grid = fig.add_gridspec(2, 2, height_ratios=(4.0, 2.2), width_ratios=(1, 1))
        net = fig.add_subplot(grid[0, :])
        _network(
            net, params, labels, RED,
            f"student {student_id}, backward pass: $\\delta^1 = (W^2)^\\top \\delta^2 \\odot "
            "\\varphi'(\\bar h^1)$",
        )  # fmt: skip
        _table(fig.add_subplot(grid[1, 0]), key["dl_dW1"], r"\partial l/\partial W^1_{ij}")
        _table(fig.add_subplot(grid[1, 1]), key["dl_dW2"], r"\partial l/\partial W^2_{ij}")
        fig.tight_layout()
    return fig


FIGURES = {"mlp.forward": forward, "mlp.backward": backward}
