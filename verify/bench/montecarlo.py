"""``python -m verify.bench montecarlo``: the Bayes-risk simulation, engine against a loop.

The simulation of :mod:`verify.ridge` at ``d = 100``, ``N = 200``: draw ``w`` and ``ε``,
solve the ridge problem, measure ``‖w_μ − w‖²``. It runs three ways in one process:

1. the engine (:func:`verify.montecarlo.estimate` over batches of the torch sampler);
2. a per-trial NumPy loop, ``np.linalg.solve`` on every trial: the baseline;
3. drawing the same normals alone, in the same batches: the physical limit, since every trial
   needs ``d + N`` fresh normals whatever else it does.

It prints trials per second, their ratio (target ≥ 15×), the fraction of the normal-drawing
limit the engine reaches (target ≥ 50%), and the time :func:`verify.montecarlo.sequential`
needs for a 0.1% relative interval (target < 5 s), at the claims' level 1e-6 and at the
conventional 95%, each with whether the target is met. Times on a shared machine vary; the ratios are the figures.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from verify import montecarlo as mc
from verify.ridge import squared_error_sampler, standard_normals

D, N = 100, 200
SIGMA_W2, SIGMA_EPS2 = 1.0, 0.25
MU = D * SIGMA_EPS2 / SIGMA_W2  # the optimal μ; any μ costs the same

TARGET_RATIO = 15.0
TARGET_FRACTION = 0.5
TARGET_SECONDS = 5.0


def design(seed: int = 0) -> torch.Tensor:
    """The fixed ``X`` (``N × d``, i.i.d. normal entries).

    >>> design().shape
    torch.Size([200, 100])
    """
    return torch.randn(N, D, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def numpy_loop(X: np.ndarray, trials: int, seed: int = 0) -> float:
    """Mean squared error over ``trials`` trials, one ``np.linalg.solve`` per trial.

    >>> X = np.eye(3)
    >>> numpy_loop(X, 5) > 0
    True
    """
    rng = np.random.default_rng(seed)
    n_rows, dim = X.shape
    H_mu = X.T @ X + MU * np.eye(dim)
    w_scale, eps_scale = math.sqrt(SIGMA_W2 / dim), math.sqrt(SIGMA_EPS2)
    total = 0.0
    for _ in range(trials):
        w = rng.standard_normal(dim) * w_scale
        y = X @ w + rng.standard_normal(n_rows) * eps_scale
        w_mu = np.linalg.solve(H_mu, X.T @ y)
        total += float(np.sum((w_mu - w) ** 2))
    return total / trials


def normals_only(trials: int, batch: int, seed: int = 0) -> float:
    """Seconds to draw ``trials × (d + N)`` float64 normals in batches, as the sampler does
    (:func:`verify.ridge.standard_normals`).

    >>> normals_only(10, 4) >= 0
    True
    """
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    done = 0
    while done < trials:
        n = min(batch, trials - done)
        standard_normals(n, D + N, gen)
        done += n
    return time.perf_counter() - start


def run(trials: int, loop_trials: int, batch: int, budget: int, repeat: int = 1) -> dict:
    """Measure everything; returns the figures (see :func:`main` for what they mean).

    With ``repeat > 1`` the engine, the loop and the normals alone each run ``repeat`` times,
    interleaved, and the fastest run of each counts (as ``timeit`` does): on a shared machine
    the slow runs measure the neighbours, not the code.

    >>> r = run(2000, 10, 1000, 2000)
    >>> r["ratio"] > 0, r["interval"].n
    (True, 2000)
    """
    X = design()
    sampler = squared_error_sampler(X, MU, SIGMA_W2, SIGMA_EPS2)
    mc.estimate(sampler, min(batch, trials), batch=batch, progress=False)  # warm-up
    engine_s, loop_s, draw_s = math.inf, math.inf, math.inf
    for k in range(repeat):
        est = mc.estimate(sampler, trials, seed=k, batch=batch, progress=False)
        engine_s = min(engine_s, est.seconds)
        start = time.perf_counter()
        loop_mean = numpy_loop(X.numpy(), loop_trials, seed=k)
        loop_s = min(loop_s, time.perf_counter() - start)
        draw_s = min(draw_s, normals_only(trials, batch, seed=k))
    seq = mc.sequential(sampler, rel_width=1e-3, budget=budget, seed=1, batch=batch, progress=False)
    seq95 = mc.sequential(
        sampler, rel_width=1e-3, budget=budget, seed=2, batch=batch, level=0.05, progress=False
    )
    engine_rate, loop_rate = trials / engine_s, loop_trials / loop_s
    return {
        "engine_per_s": engine_rate,
        "loop_per_s": loop_rate,
        "ratio": engine_rate / loop_rate,
        "draw_per_s": trials / draw_s,
        "fraction": draw_s / engine_s,
        "interval": seq,
        "interval95": seq95,
        "engine_mean": est.mean,
        "loop_mean": loop_mean,
        "threads": torch.get_num_threads(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run and print the table; the exit code is 0 (a benchmark is not a test).

    >>> main(["--trials", "2000", "--loop-trials", "10", "--batch", "1000", "--budget", "2000", "--repeat", "1"])
    Bayes-risk Monte Carlo, d = 100, N = 200...
    0
    """
    parser = argparse.ArgumentParser(prog="python -m verify.bench montecarlo")
    parser.add_argument("--trials", type=int, default=200_000, help="engine trials per run")
    parser.add_argument("--loop-trials", type=int, default=2_000, help="NumPy loop trials per run")
    parser.add_argument("--batch", type=int, default=8192, help="engine batch size")
    parser.add_argument("--budget", type=int, default=5_000_000, help="sequential budget")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    args = parser.parse_args(argv)
    r = run(args.trials, args.loop_trials, args.batch, args.budget, args.repeat)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"Bayes-risk Monte Carlo, d = {D}, N = {N}, μ = {MU:g}, {r['threads']} torch threads; "
        f"engine batch {args.batch}; fastest of {args.repeat} runs"
    )
    print(f"  engine      {r['engine_per_s']:>12,.0f} trials/s  (mean {r['engine_mean']:.5f})")
    print(f"  NumPy loop  {r['loop_per_s']:>12,.0f} trials/s  (mean {r['loop_mean']:.5f})")
    print(
        f"  ratio       {r['ratio']:>12.1f}×          target ≥ {TARGET_RATIO:g}×: "
        f"{verdict(r['ratio'] >= TARGET_RATIO)}"
    )
    print(f"  normals only{r['draw_per_s']:>12,.0f} trials/s  ({D + N} float64 normals a trial)")
    print(
        f"  fraction of the drawing limit {r['fraction']:.0%}   target ≥ {TARGET_FRACTION:.0%}: "
        f"{verdict(r['fraction'] >= TARGET_FRACTION)}"
    )
    for est in (r["interval"], r["interval95"]):
        reached = est.details["stopped"] == "width"
        print(
            f"  0.1% relative interval at level {est.level:g}: {est.seconds:.2f} s, "
            f"{est.n:,} trials{'' if reached else ' (budget spent first)'}   "
            f"target < {TARGET_SECONDS:g} s: {verdict(reached and est.seconds < TARGET_SECONDS)}"
        )
        print(f"      (drawing those trials' normals alone: {est.n / r['draw_per_s']:.2f} s)")
    return 0
