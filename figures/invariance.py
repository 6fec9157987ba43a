"""Figures of the invariance topic: an image, its orbit under D4, and learned weights.

>>> fig = orbit_and_weights()
>>> len(fig.axes)  # the image, its 8 images, 3 weight images, a colour bar
13
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from derivations import invariance as inv
from figures import STYLE

#: Side of the images; D4 on 5×5 images has d = 25 and d_G = 6 orbits.
SIDE = 5


def example_image() -> np.ndarray:
    """A small asymmetric image (an L-shaped stroke with a dot), so its 8 images differ.

    >>> example_image().shape
    (5, 5)
    """
    img = np.zeros((SIDE, SIDE))
    img[1:4, 1] = 1.0
    img[3, 1:4] = 1.0
    img[0, 3] = 0.6
    return img


def learned_weights(seed: int = 0, rows: int = 60, noise: float = 0.5):
    """Weights learned from ``rows`` noisy samples of a truth that is not invariant:
    ``(truth, OLS, augmented w₁*)`` as 5×5 images.

    >>> truth, ols, aug = learned_weights()
    >>> g = inv.dihedral(SIDE)
    >>> bool(np.allclose(g.elements[1] @ aug.ravel(), aug.ravel()))
    True
    """
    rng = np.random.default_rng(seed)
    truth = np.outer(np.linspace(-1, 1, SIDE), np.ones(SIDE)) + example_image()
    X = rng.standard_normal((rows, SIDE * SIDE))
    y = X @ truth.ravel() + noise * rng.standard_normal(rows)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    aug = inv.invariant_solution(X, y, inv.dihedral(SIDE))
    return truth, ols.reshape(SIDE, SIDE), aug.reshape(SIDE, SIDE)


def orbit_and_weights():
    """Top: an image and its orbit under D4 (the 8 turns and mirror images). Bottom: a truth
    that is not invariant, the OLS weights, and the augmented weights w₁*, constant on each
    of the 6 orbits of pixels (so invariant), drawn as images."""
    g = inv.dihedral(SIDE)
    img = example_image().ravel()
    truth, ols, aug = learned_weights()
    with plt.rc_context({**STYLE, "axes.grid": False}):
        # 7 in wide: shown at ≤ 688 px, so 10 pt text is ≥ 11 px on the page
        fig = plt.figure(figsize=(7.0, 4.6), layout="constrained")
        sub = fig.subfigures(2, 1, height_ratios=(1.0, 1.25))
        top = sub[0].subplots(1, 9)
        top[0].imshow(img.reshape(SIDE, SIDE), cmap="Greys", vmin=0, vmax=1)
        top[0].set_title("$x$", fontsize=10)
        names = ["I", "r", "r^2", "r^3", "m", "rm", "r^2m", "r^3m"]
        for ax, G, name in zip(top[1:], g, names, strict=True):
            ax.imshow((G @ img).reshape(SIDE, SIDE), cmap="Greys", vmin=0, vmax=1)
            ax.set_title(f"${name}x$", fontsize=10)
        sub[0].suptitle(
            "an image and its orbit under D4 (quarter turns $r$, mirror $m$)", fontsize=10
        )
        bottom = sub[1].subplots(1, 3)
        lim = max(np.abs(a).max() for a in (truth, ols, aug))
        for ax, a, title in zip(
            bottom,
            (truth, ols, aug),
            ("truth\n(not invariant)", "OLS weights", "augmented $w_1^*$\n(constant on orbits)"),
            strict=True,
        ):
            im = ax.imshow(a, cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(title, fontsize=10)
        sub[1].colorbar(im, ax=list(bottom), shrink=0.85)
        for ax in top:
            ax.axis("off")
        for ax in bottom:
            ax.set_xticks([])
            ax.set_yticks([])
    return fig


FIGURES = {"invariance.orbit_and_weights": orbit_and_weights}
