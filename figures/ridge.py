"""Figures of the ridge topic: the Bayes risk against ``μ``, formula and simulation.

>>> fig = risk_curve(draws=2000, mus=(1.0, 10.0))
>>> len(fig.axes)
1
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from derivations import ridge as rd
from figures import STYLE
from verify import montecarlo as mc
from verify.ridge import Config, squared_error_sampler

#: Shown at its own width (640 px, under the 688 px column): text of 9 pt is 12.5 px.
TEXT = {"font.size": 10, "axes.titlesize": 10, "legend.fontsize": 9}

#: Two designs with the same d, prior and noise: N < d and N > d. μ* = d σ_ε²/σ_w² = 10 for both.
DESIGNS = {
    "N = 10 < d = 20": Config(20, 10, 0.0, 1.5, 0.75, 0, 31),
    "N = 40 > d = 20": Config(20, 40, 0.0, 1.5, 0.75, 0, 32),
}
MUS = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0)


def simulate(config: Config, mus, draws: int, seed: int = 0) -> list[mc.Estimate]:
    """Monte Carlo estimates of the risk of ``config``'s design at each ``μ``.

    >>> est = simulate(DESIGNS["N = 40 > d = 20"], [10.0], 1000)
    >>> est[0].n
    1000
    """
    X = config.design()
    return [
        mc.estimate(
            squared_error_sampler(X, mu, config.sigma_w2, config.sigma_eps2),
            draws,
            seed=seed + i,
        )
        for i, mu in enumerate(mus)
    ]


def risk_curve(*, draws: int = 20_000, mus=MUS):
    """Risk against ``μ`` (log axis): formula as curves, simulation as points with intervals.

    The intervals are those the claims use (level 1e-6); the dotted line marks
    ``μ* = optimal_mu(d, σ_w², σ_ε²)``, the minimum of every curve.

    >>> fig = risk_curve(draws=200, mus=(1.0, 100.0))
    >>> fig.axes[0].get_xscale(), plt.close(fig)
    ('log', None)
    """
    grid = np.geomspace(min(mus) / 2, max(mus) * 2, 200)
    with plt.rc_context({**STYLE, **TEXT}):
        fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
        for (label, config), colour in zip(DESIGNS.items(), ("C0", "C1"), strict=True):
            eig = config.eigenvalues()
            curve = [rd.bayes_risk(eig, m, config.sigma_w2, config.sigma_eps2) for m in grid]
            ax.plot(grid, curve, color=colour, label=f"${label}$: formula")
            est = simulate(config, mus, draws)
            means = np.array([e.mean for e in est])
            half = np.array([e.half_width for e in est])
            ax.errorbar(
                mus,
                means,
                yerr=half,
                fmt="o",
                ms=4,
                color=colour,
                capsize=3,
                label=f"${label}$: simulation",
            )
            mu_star = rd.optimal_mu(config.d, config.sigma_w2, config.sigma_eps2)
            best = rd.bayes_risk(eig, mu_star, config.sigma_w2, config.sigma_eps2)
            ax.plot([mu_star], [best], marker="*", ms=14, color=colour, mec="black", zorder=5)
        ax.axvline(mu_star, color="grey", ls=":", lw=1)
        ax.annotate(
            rf"$\mu^* = d\sigma_\varepsilon^2/\sigma_w^2 = {mu_star:g}$",
            (mu_star, ax.get_ylim()[1]),
            xytext=(4, -14),
            textcoords="offset points",
            color="grey",
        )
        ax.set_xscale("log")
        ax.set_xlabel(r"ridge parameter $\mu$")
        ax.set_ylabel(r"Bayes risk $\mathbb{E}\,\|w_\mu - w\|^2$")
        ax.set_title(
            rf"$\sigma_w^2 = {config.sigma_w2:g}$, $\sigma_\varepsilon^2 = {config.sigma_eps2:g}$;"
            rf" {draws:,} draws a point, intervals at level $10^{{-6}}$"
        )
        fig.legend(loc="outside lower center", ncol=2)
    return fig


FIGURES = {"ridge.risk": risk_curve}
