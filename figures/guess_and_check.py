"""Figures of the guess-and-check topic: the bounds against N, and the stopping time's tail.

>>> fig = stopping_tail(runs=500)
>>> len(fig.axes)
1
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from derivations import guess_and_check as gc
from figures import STYLE
from verify import guess_and_check as vg

#: The coverage setting over a wider range of sample sizes.
SIZES = (2, 4, 8, 16, 32, 64, 128)


def error_quantiles(sizes=SIZES, runs: int = 60, seed: int = 0) -> dict:
    """Per sample size: the 10%, 50% and 90% quantiles of the exact error of guess and check
    (:data:`verify.guess_and_check.COVERAGE`'s teachers, ``runs`` runs each).

    >>> q = error_quantiles(sizes=(4,), runs=5)
    >>> sorted(q), len(q[4])
    ([4], 3)
    """
    setting = replace(vg.COVERAGE, sizes=tuple(sizes), runs=runs)
    r = vg.coverage_runs(setting, seed)
    return {N: tuple(np.quantile(r[r[:, 0] == N, 1], (0.1, 0.5, 0.9))) for N in sizes}


def bounds_against_n(*, sizes=SIZES, runs: int = 60):
    """Theorem 1, its version without approximations and the plain finite-class bound
    against ``N`` (log axis), with the simulated error's median and 10–90% band.

    >>> fig = bounds_against_n(sizes=(4, 16), runs=5)
    >>> fig.axes[0].get_xscale(), plt.close(fig)
    ('log', None)
    """
    c = vg.COVERAGE
    grid = np.unique(np.geomspace(min(sizes), max(sizes), 60).astype(int))
    theorem = [
        gc.generalization_bound(int(n), c.d0, c.d1, c.d1_star, c.q, c.delta, c.eta) for n in grid
    ]
    rigorous = [gc.rigorous_bound(int(n), c.d0, c.d1, c.d1_star, c.q, c.delta, c.eta) for n in grid]
    plain = [gc.finite_class_bound(int(n), c.d0, c.d1, c.q, c.delta) for n in grid]
    quant = error_quantiles(sizes, runs)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
        ax.plot(grid, plain, color="C3", label=r"plain bound $(\log|F| + \log(1/\delta))/N$")
        ax.plot(grid, theorem, color="C0", label="Theorem 1")
        ax.plot(grid, rigorous, color="C0", ls="--", label="without approximations")
        ns = np.array(sizes)
        lo, med, hi = (np.array([quant[n][i] for n in sizes]) for i in range(3))
        ax.fill_between(
            ns, lo, hi, color="C2", alpha=0.25, label=r"simulated $\varepsilon$: 10–90%"
        )
        ax.plot(ns, med, "o-", color="C2", ms=4, label=r"simulated $\varepsilon$: median")
        ax.set_xscale("log", base=2)
        # N is a count: the simulated sizes as integer ticks
        ax.xaxis.set_ticks(list(sizes))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("training points $N$")
        ax.set_ylabel(r"test error $\varepsilon$")
        ax.set_title(
            rf"$d_0 = {c.d0}$, $d_1 = {c.d1}$, $d_1^* = {c.d1_star}$, $q = {c.q}$, "
            rf"$\delta = \eta = {c.delta:g}$; {runs} runs a point",
            fontsize=10,
        )
        ax.legend(fontsize=9)
    return fig


def stopping_tail(*, runs: int | None = None, seed: int = 0):
    """``P(t > T)`` against ``T``: the simulated tail, the exact geometric law with the
    share ``p_S`` of students that fit the sample, and the bounds with the exact ``p*``
    (off a null set) and with ``q^−(d0·d1* + d1)``.

    >>> fig = stopping_tail(runs=200)
    >>> fig.axes[0].get_yscale(), plt.close(fig)
    ('log', None)
    """
    s = vg.STOP if runs is None else replace(vg.STOP, runs=runs)
    guesses, _ = vg.simulated(s, seed)
    W1, w2 = s.teacher()
    p_S = len(vg.consistent(s)) / s.q ** (s.d0 * s.d1 + s.d1)
    p_match = float(gc.match_probability(W1, w2, s.q, everywhere=False))
    p_low = float(gc.lower_bound(s.d0, s.d1, 1, s.q))
    T = np.linspace(0, 80, 801)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
        sim = [np.mean(guesses > t) for t in T]
        ax.plot(T, sim, color="black", lw=2.5, alpha=0.5, label=f"simulated, {len(guesses):,} runs")
        floor = r"^{\lfloor T\rfloor}"
        for p, colour, label in (
            (p_S, "C2", rf"$(1 - p_S){floor}$, $p_S = {p_S:.4f}$: fits the sample"),
            (p_match, "C0", rf"$(1 - p^*){floor}$, $p^* = {p_match:.4f}$: the teacher's function"),
            (p_low, "C3", rf"$(1 - q^{{-(d_0 d_1^* + d_1)}}){floor} = (1 - {p_low:.4f}){floor}$"),
        ):
            ax.plot(T, (1 - p) ** np.floor(T), color=colour, lw=1.2, label=label)
        ax.set_yscale("log")
        ax.set_ylim(max(1 / len(guesses), 1e-4), 1.2)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # T counts guesses
        ax.set_xlabel("$T$ (guesses)")
        ax.set_ylabel("$P(t > T)$")
        ax.legend(fontsize=9)
        ax.set_title(
            "the number of guesses: geometric in the share that fits the sample", fontsize=10
        )
    return fig


FIGURES = {"guess_and_check.bounds": bounds_against_n, "guess_and_check.stopping": stopping_tail}
