"""Figures of the losses topic: the law of λ, the CutMix weight, a worked mixup and CutMix.

>>> sorted(FIGURES)
['losses.beta_densities', 'losses.cutmix_weight', 'losses.worked_example']
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from derivations import losses as L
from derivations.losses import mixing as mx
from figures import STYLE

#: The α of the density figure: U-shaped below 1, flat at 1, peaked above.
ALPHAS = (0.2, 0.4, 1.0, 2.5, 8.0)
#: The CutMix setting of the weight figure: CIFAR's 32×32 with α = 1, as the reference uses.
CUTMIX = (1.0, 32, 32)


def _density():
    return sp.lambdify((mx.lam, mx.alpha), mx.DENSITY, "scipy")


def beta_densities(*, draws: int = 200_000):
    """The derived ``Beta(α, α)`` density for several ``α``, over histograms of NumPy's draws.

    >>> fig = beta_densities(draws=2000)
    >>> len(fig.axes), plt.close(fig)
    (2, None)
    """
    grid = np.linspace(0.002, 0.998, 500)
    f = _density()
    # 7 in wide with 10-11 pt text: every label >= 11 px at the book's 688 px column
    with plt.rc_context({**STYLE, "font.size": 11}):
        fig, axes = plt.subplots(1, 2, figsize=(7, 3.4), layout="constrained")
        for i, a in enumerate(ALPHAS):
            axes[0].plot(grid, f(grid, a), color=f"C{i}", label=rf"$\alpha = {a:g}$")
        axes[0].set_ylim(0, 4)
        axes[0].set_xlabel(r"$\lambda$")
        axes[0].set_ylabel("density")
        axes[0].set_title(r"$\mathrm{Beta}(\alpha, \alpha)$ densities", fontsize=11)
        axes[0].legend(fontsize=10)
        for i, a in enumerate((0.4, 2.5)):
            sample = L.sample_lambda(a, draws, seed=i)
            axes[1].hist(sample, bins=50, density=True, alpha=0.35, color=f"C{ALPHAS.index(a)}")
            axes[1].plot(grid, f(grid, a), color=f"C{ALPHAS.index(a)}", label=rf"$\alpha = {a:g}$")
        axes[1].set_ylim(0, 4)
        axes[1].set_xlabel(r"$\lambda$")
        axes[1].set_title(f"{draws:,} draws of NumPy's beta", fontsize=11)
        axes[1].legend(fontsize=10)
    return fig


def cutmix_weight(*, draws: int = 200_000):
    """Left: ``E[λ̃ | λ]`` against ``λ`` (exact on 6×9 and 32×32, and the continuum limit).
    Right: the CDF of ``λ̃`` over ``λ ~ U(0, 1)`` and the centre on 32×32, exact (a step curve)
    and simulated from the reference procedure, with the CDF of the unadjusted ``λ``.

    >>> fig = cutmix_weight(draws=2000)
    >>> len(fig.axes), plt.close(fig)
    (2, None)
    """
    import torch

    from verify.losses.reference import weight_sampler  # the procedure, to set beside the law

    a, H, W = CUTMIX
    lams = np.linspace(0, 1, 801)
    with plt.rc_context({**STYLE, "font.size": 11}):
        fig, axes = plt.subplots(1, 2, figsize=(7, 3.6), layout="constrained")
        ax = axes[0]
        ax.plot(lams, lams, color="grey", ls=":", label=r"unadjusted: $\lambda$")
        for (h, w), colour in (((6, 9), "C1"), ((32, 32), "C0")):
            ax.plot(
                lams, [float(L.mean_weight(v, h, w)) for v in lams], color=colour, label=f"{h}×{w}"
            )
        ax.plot(
            lams,
            [L.continuous_mean_weight(v) for v in lams],
            color="k",
            lw=1,
            ls="--",
            label="continuum",
        )
        ax.set_xlabel(r"drawn $\lambda$")
        ax.set_ylabel(r"$\mathbb{E}[\tilde\lambda \mid \lambda]$")
        ax.set_title("mean recomputed weight", fontsize=11)
        ax.legend(fontsize=9)
        ax = axes[1]
        law = L.adjusted_law(a, H, W)
        outcomes = np.array([float(w) for w in law])
        cdf = np.cumsum([float(p) for p in law.values()])
        ax.step(outcomes, cdf, where="post", color="C0", label="exact law")
        sim = weight_sampler(a, H, W)(draws, torch.Generator().manual_seed(0)).numpy()
        sim.sort()
        ax.plot(
            sim,
            np.arange(1, sim.size + 1) / sim.size,
            color="C3",
            lw=1,
            ls="--",
            label=f"{draws:,} simulated",
        )
        ax.plot([0, 1], [0, 1], color="grey", ls=":", label=r"unadjusted $\lambda$")
        mean = float(L.adjusted_mean(a, H, W))
        ax.axvline(mean, color="C0", lw=0.8)
        ax.set_xlabel(r"recomputed weight $\tilde\lambda$")
        ax.set_ylabel("CDF")
        ax.set_title(rf"law of $\tilde\lambda$, ${H}\times{W}$: mean {mean:.3f}", fontsize=11)
        ax.legend(fontsize=9, loc="upper left")
    return fig


def synthetic_pair(size: int = 32):
    """Two synthetic RGB images ``(3, size, size)`` in ``[0, 1]``: a disc (class 0) and
    diagonal stripes (class 2).

    >>> a, b = synthetic_pair(8)
    >>> a.shape, float(a.max()) <= 1
    ((3, 8, 8), True)
    """
    yy, xx = np.mgrid[0:size, 0:size] / size
    disc = ((yy - 0.5) ** 2 + (xx - 0.45) ** 2 < 0.09).astype(float)
    stripes = (np.sin(2 * np.pi * 4 * (xx + yy)) > 0).astype(float)
    a = np.stack([0.9 * disc + 0.05, 0.3 * disc + 0.1, 0.1 + 0 * disc])
    b = np.stack([0.1 + 0 * stripes, 0.5 * stripes + 0.2, 0.9 * stripes + 0.05])
    return a, b


#: The worked example: λ for both, and the CutMix centre (row, column), near a corner.
EXAMPLE = {"lam": 0.3, "cy": 5, "cx": 27, "labels": (0, 2), "classes": 3}


def worked_example():
    """mixup and CutMix of :func:`synthetic_pair` at ``λ = 0.3``, with the label each gives.

    >>> fig = worked_example()
    >>> len(fig.axes), plt.close(fig)
    (4, None)
    """
    a, b = synthetic_pair()
    lam, (ya, yb), m = EXAMPLE["lam"], EXAMPLE["labels"], EXAMPLE["classes"]
    mixed, target = L.mixup(a[None], b[None], [ya], [yb], lam, m)
    cut, weight = L.cutmix(a, b, lam, EXAMPLE["cy"], EXAMPLE["cx"])
    y1, y2, x1, x2 = L.box(lam, 32, 32, EXAMPLE["cy"], EXAMPLE["cx"])
    # two by two, 7 in wide, so the titles stay >= 11 px at the book's 688 px column
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 2, figsize=(7, 7.6), layout="constrained")
        axes = axes.ravel()
        panels = [
            (a, rf"$x_1$: class {ya}"),
            (b, rf"$x_2$: class {yb}"),
            (
                mixed[0],
                rf"mixup, $\lambda = {lam:g}$"
                + f"\n$\\tilde y$ = {np.round(target[0], 3).tolist()}",
            ),
            (
                cut,
                rf"CutMix, $\lambda = {lam:g}$: weight {weight:.3f}"
                + f"\n(box clipped to {y2 - y1}×{x2 - x1})",
            ),
        ]
        for ax, (img, title) in zip(axes, panels, strict=True):
            ax.imshow(np.moveaxis(img, 0, -1), interpolation="nearest")
            ax.set_title(title, fontsize=12)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        axes[3].add_patch(
            plt.Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec="white", lw=1.5)
        )
    return fig


FIGURES = {
    "losses.beta_densities": beta_densities,
    "losses.cutmix_weight": cutmix_weight,
    "losses.worked_example": worked_example,
}
