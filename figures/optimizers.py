r"""Optimizer trajectories on an ill-conditioned 2-D quadratic, from the derived update rules.

The loss is ``f(w) = ½ (w − c)ᵀ H (w − c)`` with ``H = diag(1, 20)``. One figure shows momentum
in conventions A and B (overlapping while ``η`` is constant, parting when it drops); the
other shows Adam with an L2 penalty against AdamW with the same ``λ``.

>>> fig = conventions()
>>> [ax.get_title() for ax in fig.axes]
['constant $\\eta$', '$\\eta$ drops tenfold at step 12']
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from derivations import optimizers as opt
from figures import STYLE

#: Shown at most 688 px wide: 7 in at 100 dpi and text of 9 pt or more stays >= 11 px.
TEXT = {"font.size": 10, "axes.titlesize": 10, "legend.fontsize": 9}

H = np.diag([1.0, 20.0])
C = np.array([4.0, 1.0])
W0 = np.array([-2.0, 2.5])
MOMENTUM_LR, SWITCH, STEPS = 0.015, 12, 80
ADAM_LR, DECAY, ADAM_STEPS = 0.05, 0.5, 600


def grad(w: np.ndarray) -> np.ndarray:
    """The loss's gradient ``H (w − c)``.

    >>> grad(C).tolist()
    [0.0, 0.0]
    """
    return H @ (w - C)


def trajectory(update, rates, config=None, w0=W0) -> np.ndarray:
    """Iterates of ``update`` (course API) from ``w0``, with ``rates[t]`` at step ``t``.

    >>> trajectory(opt.sgd, [0.1, 0.1]).shape
    (3, 2)
    """
    w, config = np.array(w0, dtype=np.float64), dict(config or {})
    path = [w]
    for rate in rates:
        config["learning_rate"] = rate
        w, config = update(w, grad(w), config)
        path.append(w)
    return np.array(path)


def schedule(steps: int = STEPS) -> list[float]:
    """The step decay of the figure: ``MOMENTUM_LR`` until ``SWITCH``, a tenth of it after.

    >>> schedule()[SWITCH - 1: SWITCH + 1]
    [0.015, 0.0015]
    """
    return [MOMENTUM_LR if t < SWITCH else MOMENTUM_LR / 10 for t in range(steps)]


def conventions_paths() -> dict:
    """The four momentum paths of :func:`conventions`, keyed by (panel, convention).

    >>> sorted(conventions_paths())[0]
    ('constant', 'A')
    """
    rates = {"constant": [MOMENTUM_LR] * STEPS, "schedule": schedule()}
    rules = {"A": opt.sgd_momentum, "B": opt.sgd_momentum_pytorch}
    return {(k, c): trajectory(rules[c], rates[k]) for k in rates for c in rules}


def decay_paths() -> dict:
    """Adam with an L2 penalty and AdamW, same ``λ``: ``{"Adam + L2": path, "AdamW": path}``.

    >>> {k: v.shape for k, v in decay_paths().items()}
    {'Adam + L2': (601, 2), 'AdamW': (601, 2)}
    """
    rates = [ADAM_LR] * ADAM_STEPS
    config = {"weight_decay": DECAY}
    return {
        "Adam + L2": trajectory(opt.adam, rates, config),
        "AdamW": trajectory(opt.adamw, rates, config),
    }


def l2_minimiser() -> np.ndarray:
    """Where ``f + (λ/2)‖w‖²`` is smallest: ``(H + λI)⁻¹ H c``.

    >>> l2_minimiser().round(4).tolist()
    [2.6667, 0.9756]
    """
    return np.linalg.solve(H + DECAY * np.eye(2), H @ C)


def _contours(ax, *paths):
    points = np.vstack([*paths, C])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.08 * (high - low)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], 200)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], 200)
    X, Y = np.meshgrid(xs, ys)
    F = 0.5 * (H[0, 0] * (X - C[0]) ** 2 + H[1, 1] * (Y - C[1]) ** 2)
    ax.contour(X, Y, F, levels=np.geomspace(0.05, 80, 12), colors="0.75", linewidths=0.7)
    ax.plot(*C, "k*", ms=10)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")


def conventions():
    """Momentum in conventions A (line) and B (dots): constant ``η``, then a step decay.

    >>> len(conventions().axes[1].get_lines())
    3
    """
    paths = conventions_paths()
    with plt.rc_context({**STYLE, **TEXT}):
        fig, axes = plt.subplots(1, 2, figsize=(7, 4), sharey=True, layout="constrained")
        for ax, key, title in zip(
            axes,
            ("constant", "schedule"),
            (r"constant $\eta$", rf"$\eta$ drops tenfold at step {SWITCH}"),
            strict=True,
        ):
            a, b = paths[key, "A"], paths[key, "B"]
            _contours(ax, a, b)
            ax.plot(
                *a.T,
                "-",
                color="C0",
                lw=1.6,
                label=r"A: $v \leftarrow \mu v - \eta g$; $w \leftarrow w + v$",
            )
            ax.plot(
                *b.T,
                "o",
                color="C1",
                ms=3,
                label=r"B: $v \leftarrow \mu v + g$; $w \leftarrow w - \eta v$",
            )
            ax.set_title(title)
        axes[1].set_ylabel("")
        fig.legend(
            *axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2, frameon=False
        )
    return fig


def decay():
    r"""Adam with an L2 penalty and AdamW: paths on the loss, and their distance per step.

    >>> [ax.get_title() for ax in decay().axes]
    ['paths, $\\lambda = 0.5$', 'distance between them']
    """
    paths = decay_paths()
    with plt.rc_context({**STYLE, **TEXT}):
        fig, (ax, ax_gap) = plt.subplots(1, 2, figsize=(7, 4), layout="constrained")
        _contours(ax, *paths.values())
        for (name, path), color in zip(paths.items(), ("C2", "C3"), strict=True):
            ax.plot(*path.T, "-", color=color, lw=1.5, label=name)
        ax.plot(
            *l2_minimiser(),
            "s",
            color="C2",
            mfc="white",
            label=r"minimum of $f + (\lambda/2)\|w\|^2$",
        )
        ax.set_title(rf"paths, $\lambda = {DECAY:g}$")
        gap = np.linalg.norm(paths["Adam + L2"] - paths["AdamW"], axis=1)
        ax_gap.plot(np.arange(len(gap)), gap, color="C4")
        ax_gap.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax_gap.set_xlabel("step")
        ax_gap.set_ylabel(r"$\|w_{\mathrm{L2}} - w_{\mathrm{AdamW}}\|$")
        ax_gap.set_title("distance between them")
        fig.legend(
            *ax.get_legend_handles_labels(), loc="outside lower center", ncol=3, frameon=False
        )
    return fig


FIGURES = {"optimizers.conventions": conventions, "optimizers.decay": decay}
