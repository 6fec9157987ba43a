"""Figures of the double-descent topic: the three kinds, and ridge smoothing the peak.

Each figure draws the formula as a line where there is one, the simulation of the raw
procedure as markers with their intervals (level 1e-6, as the claims use), and the
interpolation threshold as a vertical line. The ``*_data`` functions return the numbers, so a
page can state them.

>>> fig = sample_wise(sizes=(5, 25), draws=200)
>>> len(fig.axes)
1
"""

from __future__ import annotations

import math
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from derivations.double_descent import kinds, min_norm, ridge_limit
from figures import STYLE
from verify import double_descent as vd
from verify import montecarlo as mc
from verify.claims import fixed_threads
from verify.double_descent import samplers as S
from verify.lazy import torch

#: the sample-wise setting: d fixed, N varies; no parameter is 1
D, SIGMA2, W2 = 15, 0.7, 1.8
#: simulated sizes: |N − d| ≥ 4, where the squared error has a finite variance
SIZES = (3, 5, 7, 9, 11, 19, 21, 24, 28, 34, 42, 52, 64)
#: ridge strengths μ (the un-normalized μ = Nλ) as multiples of μ* = dσ²/‖w*‖²
RIDGE_FACTORS = (0.02, 0.2, 1.0)
RIDGE_SIZES = (5, 9, 13, 15, 17, 21, 28, 40, 64)


#: the text sizes (pt): at 6.4 in wide and 100 dpi a figure is shown at most 688 px wide, so
#: every text is ≥ 11 px on the page
LEGEND, TITLE, NOTE = 9, 10, 9


def _counts(ax, axis="x", ticks=None):
    """Integer ticks on a count axis (N, p, t): a locator on a linear axis, the given ticks
    written as plain integers on a log axis."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    if ticks is None:
        target.set_major_locator(MaxNLocator(integer=True))
        return
    target.set_ticks(list(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    target.set_minor_formatter(NullFormatter())


def _band(ax, center, label):
    ax.axvspan(center - 1, center + 1, color="grey", alpha=0.15, lw=0)
    ax.axvline(center, color="grey", ls=":", lw=1)
    ax.annotate(
        label,
        (center, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -14),
        textcoords="offset points",
        fontsize=NOTE,
        color="grey",
    )


@lru_cache(maxsize=4)
def sample_wise_data(sizes=SIZES, draws: int = 2000, seed: int = 0) -> dict:
    """Simulated test risk at each ``N`` (estimates) and the formula on a grid.

    >>> data = sample_wise_data(sizes=(5,), draws=100)
    >>> data["estimates"][0].n, round(data["formula"][5], 4)  # 0.7 + 1.8·10/15 + 0.7·5/9
    (100, 2.2889)
    """
    with fixed_threads():
        est = [
            mc.estimate(S.heldout_error_sampler(n, D, SIGMA2, W2), draws, seed=seed + i, batch=4096)
            for i, n in enumerate(sizes)
        ]
    grid = range(1, max(sizes) + 8)
    return {
        "sizes": sizes,
        "estimates": est,
        "formula": {n: min_norm.test_risk(n, D, SIGMA2, W2) for n in grid},
    }


def sample_wise(*, sizes=SIZES, draws: int = 2000):
    """Test risk of min-norm least squares against ``N`` at fixed ``d`` (log scale)."""
    data = sample_wise_data(tuple(sizes), draws)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
        for side in (lambda n: n <= D - 2, lambda n: n >= D + 2):
            xs = [n for n in data["formula"] if side(n)]
            ax.plot(xs, [data["formula"][n] for n in xs], color="C0")
        ax.lines[0].set_label(r"formula $\sigma^2 + \mathbb{E}\Vert\hat w - w^*\Vert^2$")
        means = np.array([e.mean for e in data["estimates"]])
        half = np.array([e.half_width for e in data["estimates"]])
        ax.errorbar(
            data["sizes"],
            means,
            yerr=half,
            fmt="o",
            ms=4,
            color="C1",
            capsize=3,
            label=f"simulation, {draws:,} draws (interval at level $10^{{-6}}$)",
        )
        _band(ax, D, r"$N = d$: infinite for $|N - d| \leq 1$")
        ax.set_yscale("log")
        _counts(ax)
        ax.set_xlabel("number of samples $N$")
        ax.set_ylabel("test risk")
        ax.set_title(
            rf"sample-wise: $d = {D}$, $\sigma^2 = {SIGMA2:g}$, $\Vert w^*\Vert^2 = {W2:g}$",
            fontsize=TITLE,
        )
        ax.legend(fontsize=LEGEND)
    return fig


@lru_cache(maxsize=4)
def ridge_data(sizes=RIDGE_SIZES, draws: int = 600, seed: int = 0) -> dict:
    """Simulated parameter error of ridge ``(XᵀX + μI)⁻¹Xᵀy`` at each ``N`` and ``μ``, and the
    Marchenko–Pastur limit ``R(d/N, μ/N)`` on a grid.

    >>> data = ridge_data(sizes=(9,), draws=50)
    >>> sorted(data["estimates"])[0] == RIDGE_FACTORS[0]
    True
    """
    mu_star = D * SIGMA2 / W2
    est, limit = {}, {}
    grid = np.arange(2, max(sizes) + 8)
    for k, factor in enumerate(RIDGE_FACTORS):
        mu = factor * mu_star
        with fixed_threads():
            est[factor] = [
                mc.estimate(
                    S.ridge_error_sampler(n, D, mu / n, SIGMA2, W2),
                    draws,
                    seed=seed + 100 * k + i,
                    batch=4096,
                )
                for i, n in enumerate(sizes)
            ]
        limit[factor] = [ridge_limit.ridge_limit_risk(D / n, mu / n, SIGMA2, W2) for n in grid]
    return {"sizes": sizes, "estimates": est, "grid": grid, "limit": limit, "mu_star": mu_star}


def ridge(*, sizes=RIDGE_SIZES, draws: int = 600):
    """Ridge risk against ``N`` for several ``μ``: the limit as lines, simulation as markers."""
    data = ridge_data(tuple(sizes), draws)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
        for k, side in enumerate((lambda n: n <= D - 2, lambda n: n >= D + 2)):
            xs = [int(n) for n in data["grid"] if side(n)]
            ax.plot(
                xs,
                [min_norm.min_norm_risk(n, D, SIGMA2, W2) for n in xs],
                color="grey",
                lw=1,
                ls="--",
                label=r"$\mu = 0$: min-norm (exact)" if k == 0 else None,
            )
        for (factor, est), colour in zip(
            data["estimates"].items(), ("C3", "C2", "C0"), strict=True
        ):
            ax.plot(
                data["grid"],
                data["limit"][factor],
                color=colour,
                label=(rf"$\mu = {factor:g}\,\mu^*$" if factor != 1 else r"$\mu = \mu^*$")
                + r": limit $R(d/N, \mu/N)$",
            )
            ax.errorbar(
                data["sizes"],
                [e.mean for e in est],
                yerr=[e.half_width for e in est],
                fmt="o",
                ms=4,
                color=colour,
                capsize=3,
            )
        _band(ax, D, "$N = d$")
        ax.set_yscale("log")
        _counts(ax)
        ax.set_xlabel("number of samples $N$")
        ax.set_ylabel(r"$\mathbb{E}\Vert\hat w - w^*\Vert^2$")
        ax.set_title(
            rf"ridge, $d = {D}$, $\mu^* = d\sigma^2/\Vert w^*\Vert^2 = {data['mu_star']:.3g}$;"
            f" markers: {draws} draws",
            fontsize=TITLE,
        )
        ax.legend(fontsize=LEGEND)
    return fig


#: the model-wise setting: N fixed, features vary
RF_N, RF_D0, RF_SIGMA2, RF_W2 = vd.PEAKS["model_wise"]["N"], 6, 0.3, 2.0
RF_FEATURES = (2, 4, 6, 8, 10, 12, 13, 14, 15, 16, 17, 18, 20, 24, 30, 40, 60, 100, 200)


def _kernel_test_error(n, gen, tests=64):
    """Test MSE of the arc-cosine-kernel interpolant (the p → ∞ limit), per draw of data."""
    beta = S.teacher(RF_D0, RF_W2)
    X = torch.randn(n, RF_N, RF_D0, generator=gen, dtype=torch.float64) / math.sqrt(RF_D0)
    xt = torch.randn(n, tests, RF_D0, generator=gen, dtype=torch.float64) / math.sqrt(RF_D0)
    y = X @ beta + math.sqrt(RF_SIGMA2) * torch.randn(n, RF_N, generator=gen, dtype=torch.float64)
    out = []
    for i in range(n):
        K = kinds.arccos_kernel(X[i].numpy(), X[i].numpy())
        Kt = kinds.arccos_kernel(xt[i].numpy(), X[i].numpy())
        pred = Kt @ np.linalg.solve(K, y[i].numpy())
        out.append(np.mean((pred - (xt[i] @ beta).numpy()) ** 2))
    return torch.tensor(out, dtype=torch.float64)


def median_interval(values, level: float = 1e-6) -> tuple[float, float, float]:
    """The median and a distribution-free interval for it: order statistics ``k`` and
    ``n + 1 − k`` with ``P(Bin(n, 1/2) < k) ≤ level/2`` (valid for any continuous law, heavy
    tails included, where a mean ± z·s/√n is not).

    >>> m, lo, hi = median_interval(np.arange(1.0, 301.0))
    >>> m, lo < m < hi
    (150.5, True)
    """
    from scipy.stats import binom

    v = np.sort(np.asarray(values, dtype=np.float64))
    n = v.size
    k = max(int(binom.ppf(level / 2, n, 0.5)), 1)
    return float(np.median(v)), float(v[k - 1]), float(v[n - k])


@lru_cache(maxsize=4)
def model_wise_data(features=RF_FEATURES, draws: int = 300, seed: int = 0) -> dict:
    """Median random-features test error per number of features, and the kernel limit's.

    The test error at ``p`` near ``N`` is heavy-tailed (its mean may not exist), so the figure
    shows medians with order-statistic intervals.

    >>> data = model_wise_data(features=(4,), draws=20)
    >>> len(data["medians"]), len(data["kernel"])
    (1, 3)
    """
    with fixed_threads():
        medians = []
        for i, p_ in enumerate(features):
            gen = torch.Generator().manual_seed(seed + i)
            errs = S.random_features_test_error(draws, gen, RF_N, p_, RF_D0, RF_SIGMA2, RF_W2)
            medians.append(median_interval(errs.numpy()))
        kernel = median_interval(
            _kernel_test_error(draws, torch.Generator().manual_seed(seed + 999)).numpy()
        )
    return {"features": features, "medians": medians, "kernel": kernel, "draws": draws}


def model_wise(*, features=RF_FEATURES, draws: int = 300):
    """Random ReLU features: test error against the number of features at fixed ``N``."""
    data = model_wise_data(tuple(features), draws)
    med = np.array(data["medians"])
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
        ax.errorbar(
            data["features"],
            med[:, 0],
            yerr=[med[:, 0] - med[:, 1], med[:, 2] - med[:, 0]],
            fmt="o-",
            ms=4,
            lw=1,
            color="C1",
            capsize=3,
            label=f"random ReLU features: median of {draws} draws",
        )
        k = data["kernel"]
        ax.axhline(
            k[0], color="C0", label=r"$p \to \infty$: arc-cosine kernel interpolant (median)"
        )
        ax.axhspan(k[1], k[2], color="C0", alpha=0.15, lw=0)
        _band(ax, RF_N, "$p = N$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _counts(ax, ticks=[t for t in (2, 5, 10, 20, 50, 100, 200) if t <= max(data["features"])])
        ax.set_xlabel("number of features $p$")
        ax.set_ylabel("test error")
        ax.set_title(
            rf"model-wise: $N = {RF_N}$, inputs in $\mathbb{{R}}^{RF_D0}$, "
            rf"$\sigma^2 = {RF_SIGMA2:g}$; intervals at level $10^{{-6}}$",
            fontsize=TITLE,
        )
        ax.legend(fontsize=LEGEND, loc="upper left")
    return fig


def epoch_wise_data() -> dict:
    """The exact risk curve (eigenbasis) and the risk of GD actually run, per step.

    >>> data = epoch_wise_data()
    >>> data["pieces"]
    (-1, 1, -1)
    """
    X, y, w, cov, eta_ = vd.epoch_problem()
    exact = kinds.gd_risk_curve(X, y, eta_, vd.EPOCH["steps"], w, vd.EPOCH["sigma2"], cov)
    run = vd.gd_run_risk()
    first_min = int(np.argmin(exact[: int(np.argmax(exact)) + 1]))
    return {
        "exact": exact,
        "run": run,
        "pieces": kinds.monotone_pieces(exact),
        "first_min": first_min,
        "peak": int(np.argmax(exact)),
        "eta": eta_,
    }


def epoch_wise():
    """Test risk of gradient descent against the step (log axis): formula and GD run."""
    data = epoch_wise_data()
    steps = np.arange(data["exact"].size)
    marks = np.unique(np.geomspace(1, steps[-1], 40).astype(int))
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
        ax.plot(steps[1:], data["exact"][1:], color="C0", label="exact, in the eigenbasis")
        ax.plot(marks, data["run"][marks], "o", ms=4, color="C1", label="gradient descent, run")
        for k, text in (
            (data["first_min"], "fast features learned"),
            (data["peak"], "fast features fit the noise"),
        ):
            ax.axvline(k, color="grey", ls=":", lw=1)
            ax.annotate(
                text,
                (k, 1),
                xycoords=("data", "axes fraction"),
                xytext=(4, -14),
                textcoords="offset points",
                fontsize=NOTE,
                color="grey",
            )
        ax.set_xscale("log")
        _counts(ax, ticks=[10**k for k in range(int(math.log10(steps[-1])) + 1)])
        ax.set_xlabel("gradient-descent step $t$")
        ax.set_ylabel("test risk")
        ax.set_title(
            rf"epoch-wise: $N = {vd.EPOCH['N']}$, {vd.EPOCH['d_fast']} fast and "
            rf"{vd.EPOCH['d_slow']} slow features, $\eta = {data['eta']:.3g}$",
            fontsize=TITLE,
        )
        ax.legend(fontsize=LEGEND, loc="lower left")
    return fig


FIGURES = {
    "double_descent.sample_wise": sample_wise,
    "double_descent.ridge": ridge,
    "double_descent.model_wise": model_wise,
    "double_descent.epoch_wise": epoch_wise,
}
