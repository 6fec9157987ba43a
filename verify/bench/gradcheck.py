"""``python -m verify.bench gradcheck``: three gradient checks of one network, side by side.

A two-layer net (4320 → 128 → 4 by default, batch 16, L2 on, float64) is checked by

1. the per-coordinate centered-difference loop — timed on a random subset of coordinates and
   extrapolated to all of them (running it fully would take an hour or more);
2. ``torch.autograd.gradcheck(fast_mode=True)`` on the same loss written with torch ops, as a
   function of the four parameter tensors;
3. ours: the analytic gradient (``net.loss``) plus :func:`verify.gradcheck.directional_check`.

Times are medians of a few runs in this process; the ratios are what to read. Then a fault is
injected into one block (three entries of ``dW1`` off by 1e-3) and located with
:func:`verify.gradcheck.localize`. Targets: ours ≤ 1.5 × torch's fast mode, ≥ 300 × faster
than the loop, localization < 3 s; each is printed as met or not.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from derivations import layers as L
from verify import gradcheck as G

TARGETS = {"torch": 1.5, "loop": 300.0, "localization": 3.0}


def _median_time(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _problem(args):
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.batch, args.input_dim))
    y = rng.integers(0, args.classes, args.batch)
    net = L.TwoLayerNet(args.input_dim, args.hidden_dim, args.classes, reg=0.1, seed=args.seed)
    params = {k: v.copy() for k, v in net.params.items()}

    def f(p):
        """The loss only (no gradients): what every finite difference evaluates."""
        h = np.maximum(X @ p["W1"] + p["b1"], 0.0)
        data, _ = L.softmax_loss(h @ p["W2"] + p["b2"], y)
        w1, w2 = p["W1"].reshape(-1), p["W2"].reshape(-1)
        return data + 0.5 * net.reg * (w1 @ w1 + w2 @ w2)

    def analytic():
        return net.loss(X, y)[1]

    return X, y, net, params, f, analytic


def _loop(f, params, grads, count, rng, h=G.H):
    """The classic loop on ``count`` random coordinates; seconds per coordinate, worst gap."""
    blocks = list(params)
    sizes = np.array([params[b].size for b in blocks])
    chosen = rng.choice(sizes.sum(), size=min(count, sizes.sum()), replace=False)
    bounds = np.cumsum([0, *sizes])
    work = {k: v.copy() for k, v in params.items()}
    start = time.perf_counter()
    worst = 0.0
    for flat_index in chosen:
        b = int(np.searchsorted(bounds, flat_index, side="right") - 1)
        block, i = blocks[b], int(flat_index - bounds[b])
        flat = work[block].reshape(-1)
        old = flat[i]
        flat[i] = old + h
        plus = f(work)
        flat[i] = old - h
        minus = f(work)
        flat[i] = old
        numeric = (plus - minus) / (2 * h)
        worst = max(worst, abs(numeric - grads[block].reshape(-1)[i]))
    return (time.perf_counter() - start) / len(chosen), worst


def _torch_fast(X, y, params, reg):
    tensors = tuple(torch.tensor(params[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2"))
    tX, ty = torch.as_tensor(X), torch.as_tensor(y)

    def loss(W1, b1, W2, b2):
        h = F.relu(F.linear(tX, W1.T, b1))
        data = F.cross_entropy(F.linear(h, W2.T, b2), ty)
        return data + 0.5 * reg * ((W1**2).sum() + (W2**2).sum())

    return lambda: torch.autograd.gradcheck(loss, tensors, fast_mode=True)


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every check behaved (timing targets are reported, not
    enforced), 1 when a check gave a wrong verdict.

    >>> main(["--input-dim", "6", "--hidden-dim", "3", "--classes", "2", "--batch", "2",
    ...       "--loop-coordinates", "5", "--repeats", "1"])  # doctest: +ELLIPSIS
    gradient check of a 6 → 3 → 2 two-layer net...
    0
    """
    parser = argparse.ArgumentParser(prog="python -m verify.bench gradcheck")
    parser.add_argument("--input-dim", type=int, default=4320)
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--loop-coordinates", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    X, y, net, params, f, analytic = _problem(args)
    total = sum(v.size for v in params.values())
    print(
        f"gradient check of a {args.input_dim} → {args.hidden_dim} → {args.classes} two-layer "
        f"net, batch {args.batch}, L2 reg {net.reg}, float64: {total:,} parameters"
    )
    grads = analytic()

    def ours():
        return G.directional_check(f, params, analytic())

    # All NumPy work runs before torch's: torch's worker threads keep spinning for a while
    # after its calls and would slow whatever NumPy runs next (the loop, or the localization).
    per_coordinate, loop_gap = _loop(
        f, params, grads, args.loop_coordinates, np.random.default_rng(args.seed)
    )
    t_ours, result = _median_time(ours, args.repeats)
    rng = np.random.default_rng(args.seed + 1)
    shape = params["W1"].shape
    flat = np.sort(rng.choice(params["W1"].size, size=min(3, params["W1"].size), replace=False))
    injected = [tuple(int(k) for k in np.unravel_index(i, shape)) for i in flat]
    faulty = {k: v.copy() for k, v in grads.items()}
    faulty["W1"].reshape(-1)[flat] += 1e-3
    loc = G.localize(f, params, faulty, seed=args.seed)
    found = loc.faults[0].coordinates if loc.blocks == ["W1"] else []
    t_torch, torch_ok = _median_time(_torch_fast(X, y, params, net.reg), args.repeats)

    t_loop = per_coordinate * total
    print(
        f"  per-coordinate loop        {t_loop:10.3f} s  (extrapolated: {args.loop_coordinates} "
        f"coordinates timed, {per_coordinate * 1e3:.2f} ms each × {total:,}; "
        f"largest gap {loop_gap:.2g})"
    )
    print(f"  torch.autograd.gradcheck   {t_torch:10.3f} s  (fast_mode=True; passed: {torch_ok})")
    print(
        f"  ours (gradient + check)    {t_ours:10.3f} s  (passed: {result.passed}; error "
        f"{result.error:.2g} ≤ tolerance {result.tolerance:.2g})"
    )
    vs_torch, vs_loop = t_ours / t_torch, t_loop / t_ours
    print(
        f"  ours / torch fast mode = {vs_torch:.2f} (target ≤ {TARGETS['torch']}: "
        f"{_verdict(vs_torch <= TARGETS['torch'])})"
    )
    print(
        f"  loop / ours = {vs_loop:,.0f} (target ≥ {TARGETS['loop']:.0f}: "
        f"{_verdict(vs_loop >= TARGETS['loop'])})"
    )
    print(f"  localization: fault injected into W1 at {injected}")
    print(
        f"    fault found: {', '.join(loc.blocks) or 'none'} at {found} in "
        f"{loc.seconds:.3f} s, {loc.evaluations} evaluations of the loss "
        f"(target < {TARGETS['localization']:.0f} s: "
        f"{_verdict(loc.seconds < TARGETS['localization'])})"
    )
    behaved = result.passed and bool(torch_ok) and found == injected
    return 0 if behaved else 1
