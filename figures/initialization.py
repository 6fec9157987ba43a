"""The scale of a deep network's activations per layer, and the first float32 overflow.

Predictions (lines, bars) come from :mod:`derivations.initialization`; simulations (markers)
from the raw torch procedures of :mod:`verify.initialization`, seeded, so each figure is the
same on every run.

>>> sorted(FIGURES)
['initialization.layer100', 'initialization.overflow', 'initialization.scale']
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from derivations import initialization as init
from figures import STYLE
from verify import initialization as vi

WIDTH = 512
DEPTH = 20
DRAWS = 6
COLORS = dict(zip(vi.NETWORKS, ("C0", "C1", "C2", "C3", "C4"), strict=True))
#: Shown at most 688 px wide: 7 in at 100 dpi and text of 9 pt or more stays >= 11 px.
TEXT = {"font.size": 10, "axes.titlesize": 10, "legend.fontsize": 9}


def typeset(scheme: str) -> str:
    r"""A scheme's name for a figure, its square root typeset.

    >>> typeset("tanh, normal / sqrt(d)")
    'tanh, normal / $\\sqrt{d}$'
    """
    return scheme.replace("sqrt(d)", r"$\sqrt{d}$")


def unit_normal_rms(seed: int = 0, *, networks: int = 4, width=WIDTH, depth=32) -> np.ndarray:
    """RMS of ``u_l`` per layer for a few float32 unit-normal networks (inf after overflow).

    >>> r = unit_normal_rms(networks=1, width=64, depth=3)
    >>> r.shape, bool(np.all(r[:, 1] > r[:, 0]))
    ((1, 3), True)
    """
    gen = torch.Generator().manual_seed(seed)
    out = np.full((networks, depth), np.inf)
    with vi.one_thread():
        for k in range(networks):
            u = torch.randn(width, 1, generator=gen)
            for layer in range(depth):
                u = torch.randn(width, width, generator=gen) @ u
                if not torch.isfinite(u).all():
                    break
                out[k, layer] = float(u.double().square().mean().sqrt())
    return out


def scale(depth: int = DEPTH, draws: int = DRAWS):
    r"""RMS of the pre-activations per layer: prediction (line) and simulation (markers).

    Left, standard-normal weights with no activation: the RMS grows by about sqrt(512) a
    layer until float32 overflows. Right, the five rescaled schemes.

    >>> fig = scale(depth=3, draws=2)
    >>> len(fig.axes), fig.axes[1].get_ylabel()
    (2, '$\\sqrt{\\mathbb{E}[u_l^2]}$')
    """
    with plt.rc_context({**STYLE, **TEXT}):
        fig, (left, right) = plt.subplots(2, 1, figsize=(7, 8), layout="constrained")
        rms = unit_normal_rms()
        layers = np.arange(1, rms.shape[1] + 1)
        left.plot(
            layers,
            np.sqrt(float(WIDTH)) ** layers,
            color="C0",
            label=r"predicted $\sqrt{512}^{\,l}$",
        )
        for k, row in enumerate(rms):
            ok = np.isfinite(row)
            left.plot(
                layers[ok],
                row[ok],
                "o",
                ms=3,
                color="C1",
                label="float32 networks" if k == 0 else None,
            )
        largest = float(np.finfo(np.float32).max)
        left.axhline(largest, color="C3", ls="--", lw=1, label="largest float32")
        left.set_yscale("log")
        left.xaxis.set_major_locator(MaxNLocator(integer=True))
        left.set_xlabel("layer $l$")
        left.set_ylabel("RMS of $u_l$")
        left.set_title("standard-normal weights, no activation")
        left.legend(frameon=False, loc="lower right")

        layers = np.arange(1, depth + 1)
        for scheme, color in COLORS.items():
            predicted = np.sqrt(init.second_moments(scheme, WIDTH, depth))
            dashed = scheme == "tanh, normal / sqrt(d)"  # under the Xavier curve: same variance
            right.plot(
                layers,
                predicted,
                color=color,
                lw=1.5,
                ls="--" if dashed else "-",
                label=typeset(scheme),
            )
            simulated = np.sqrt(vi.network_draws(scheme, 0, draws=draws, depth=depth).mean(axis=0))
            right.plot(layers, simulated, "o", ms=4, color=color, mfc="white")
        right.plot(
            [], [], "o", color="gray", mfc="white", label=f"simulated ({draws} weight draws)"
        )
        right.set_yscale("log")
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
        right.set_xlabel("layer $l$")
        right.set_ylabel(r"$\sqrt{\mathbb{E}[u_l^2]}$")
        right.set_title("rescaled weights: line = prediction")
        right.legend(frameon=False, loc="lower left", ncol=2)
    return fig


def overflow(seed: int = 0):
    """First float32 inf/nan layer: predicted probabilities (bars) and observed frequencies.

    >>> fig = overflow()
    >>> fig.axes[0].get_xlabel()
    'first layer whose output holds inf or nan'
    """
    probs = init.overflow_distribution(WIDTH)
    observed = vi.first_overflow(seed)
    layers = np.arange(min(k for k in probs if k) - 2, max(k for k in probs if k) + 3)
    predicted = np.array([probs.get(int(k), 0.0) for k in layers])
    counts = np.array([np.sum(observed == k) for k in layers])
    n = len(observed)
    freq = counts / n
    # 95 % binomial (Wilson) bands at the predicted probabilities: where the markers should sit.
    z = 1.96
    centre = (predicted + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(predicted * (1 - predicted) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    with plt.rc_context({**STYLE, **TEXT}):
        fig, ax = plt.subplots(figsize=(6, 3.8))
        ax.bar(layers, predicted, width=0.6, color="C0", alpha=0.5, label="predicted")
        ax.errorbar(
            layers, centre, yerr=half, fmt="none", ecolor="C0", capsize=4, lw=1, label="95 % band"
        )
        ax.plot(layers, freq, "o", color="C1", label=f"observed ({n} torch networks)")
        ax.set_xticks(layers)
        ax.set_xlabel("first layer whose output holds inf or nan")
        ax.set_ylabel("probability")
        ax.set_title(f"width {WIDTH}, standard-normal weights, float32")
        ax.legend(frameon=False, loc="center left")
        fig.tight_layout()
    return fig


FIGURES = {"initialization.scale": scale, "initialization.overflow": overflow}


def layer100(seed: int = 0):
    r"""Layer 100: the std each network prints, per scheme, against the prediction.

    Each marker is one network of the claim's simulation (``log`` of its ``x.std()``); the bar
    is the predicted mean ± 2 sd of that log across seeds, the cross the log of the variance
    map's std: for the ReLU schemes a typical seed prints a std well below it.

    >>> layer100().axes[0].get_ylabel()
    "$\\log$ (printed std / map's std)"
    """
    from verify.initialization import moments as vm

    schemes = list(init.SHORT)
    with plt.rc_context({**STYLE, **TEXT}):
        fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
        for k, scheme in enumerate(schemes):
            rows = vm.layer100_draws(vm.L100_FAMILY[scheme], seed)[scheme]
            base = math.log(init.post_activation_moments(scheme, vm.L100_LAYER)[1])
            mean, sd = init.log_std_moments(scheme, vm.L100_LAYER)
            jitter = np.linspace(-0.15, 0.15, len(rows))
            ax.plot(
                k + jitter,
                np.log(rows[:, 1]) - base,
                "o",
                ms=3,
                color="C1",
                label="one network (simulated)" if k == 0 else None,
            )
            ax.errorbar(
                k + 0.3,
                mean - base,
                yerr=2 * sd,
                fmt="s",
                color="C0",
                capsize=4,
                label="predicted mean ± 2 sd" if k == 0 else None,
            )
            ax.plot(k, 0.0, "x", color="k", ms=8, label="variance map" if k == 0 else None)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xticks(range(len(schemes)), [s.replace("_", "\n") for s in schemes])
        ax.set_ylabel(r"$\log$ (printed std / map's std)")
        ax.set_title("width 512, layer 100: the printed std across seeds")
        ax.legend(frameon=False, loc="lower left")
    return fig


FIGURES["initialization.layer100"] = layer100
