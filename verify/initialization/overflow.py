"""The first float32 overflow of the unit-normal experiment, simulated as torch runs it.

Experiment (i) of the initialization chapter: ``u_l = W_l u_{l-1}`` with standard-normal
weights, width 512, input ``x ~ N(0, I)``, in float32, until an output holds inf or nan. The
layer where that first happens is random; :mod:`derivations.initialization` predicts its
distribution, and the two claims here confront the prediction with
:data:`OVERFLOW_SEEDS` independent networks. Every seed has its own weights: inputs sharing
weights would share the growth factors, and a matrix of inputs makes torch add in another
order than a single network does. The most likely layer (predicted probability 0.89 against
0.11 for the next) is misread by chance only if the runner-up is seen in half of the seeds, a
binomial tail below 1e-20; the distribution is tested with an exact binomial or G-test at
level 1e-6.

>>> frequency_test({29: 1.0}, first_overflow(0, seeds=2, width=32, depth=40))[0]
0.0
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

from derivations.arguments import count
from verify.evidence import Evidence, Witness
from verify.lazy import lazy, torch

stats = lazy("scipy.stats")

WIDTH = 512
OVERFLOW_SEEDS = 96
OVERFLOW_DEPTH = 100
LEVEL = 1e-6


@contextmanager
def one_thread():
    """Run torch on one thread inside the block (restored after).

    A float32 sum's rounding, and whether an overflowing partial sum appears, can depend on
    how a kernel splits the work among threads; one thread makes every simulated number the
    same on any machine. It is also faster on a shared machine, where a thread pool spins
    waiting for busy cores.

    >>> with one_thread():
    ...     torch.get_num_threads()
    1
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=8)
def first_overflow(seed: int, *, seeds=OVERFLOW_SEEDS, width=WIDTH, depth=OVERFLOW_DEPTH, chunk=8):
    """First layer (1-based) whose float32 output holds inf or nan, for each of ``seeds``
    independent networks ``u_l = W_l u_{l-1}`` with standard-normal weights; 0 if none.

    Each network is run as torch runs one: a float32 matrix times a vector (``torch.bmm``
    over a batch of independent networks, each with its own weights).

    >>> first_overflow(0, seeds=2, width=32, depth=40).tolist()
    [0, 0]
    >>> first_overflow(0, seeds=2, width=0)
    Traceback (most recent call last):
    ...
    ValueError: width: a positive integer is required, got 0
    """
    seeds, width = count(seeds, "seeds"), count(width, "width")
    depth, chunk = count(depth, "depth"), count(chunk, "chunk")
    gen = torch.Generator().manual_seed(seed)
    found = np.zeros(seeds, dtype=int)
    with one_thread():
        _run_overflow(gen, found, width, depth, chunk)
    found.setflags(write=False)  # cached: a caller must not change what others get
    return found


def _run_overflow(gen, found, width, depth, chunk):
    seeds = len(found)
    for start in range(0, seeds, chunk):
        idx = np.arange(start, min(start + chunk, seeds))
        u = torch.randn(len(idx), width, 1, generator=gen)
        for layer in range(1, depth + 1):
            u = torch.bmm(torch.randn(len(idx), width, width, generator=gen), u)
            bad = (~torch.isfinite(u)).any(dim=(1, 2)).numpy()
            found[idx[bad]] = layer
            idx, u = idx[~bad], u[torch.as_tensor(~bad)]
            if len(idx) == 0:
                break


def _as_distribution(candidate) -> dict:
    probs = {k: float(v) for k, v in dict(candidate).items()}
    if any(v < 0 for v in probs.values()) or not math.isclose(sum(probs.values()), 1, abs_tol=1e-9):
        raise ValueError("candidate: probabilities (non-negative, summing to 1) are required")
    return probs


def _pooled(expected: list[float], observed: list[int], minimum: float = 5.0):
    """Merge neighbouring categories until each expects at least ``minimum`` counts."""
    groups, exp_acc, obs_acc = [], 0.0, 0
    for e, o in zip(expected, observed, strict=True):
        exp_acc, obs_acc = exp_acc + e, obs_acc + o
        if exp_acc >= minimum:
            groups.append([exp_acc, obs_acc])
            exp_acc, obs_acc = 0.0, 0
    if groups:
        groups[-1][0] += exp_acc
        groups[-1][1] += obs_acc
    return [g[0] for g in groups], [g[1] for g in groups]


def frequency_test(probs: dict, observed: np.ndarray) -> tuple[float, str]:
    """p-value of observed first-overflow layers (0 = none) against ``probs``.

    A layer observed outside the predicted support (probability below ``1e-12``) rejects
    outright. Otherwise neighbouring layers are pooled until each expects five counts; two
    groups get the exact binomial test, more get the G-test (chi-square, groups − 1 degrees
    of freedom).

    >>> frequency_test({28: 0.1, 29: 0.9}, np.array([29] * 90 + [28] * 10))[0]
    1.0
    >>> frequency_test({29: 1.0}, np.array([29] * 99 + [28]))[0]
    0.0
    """
    n = len(observed)
    keys = sorted(k for k in probs if k is not None) + ([None] if None in probs else [])
    layer_of = [0 if k is None else k for k in keys]
    counts = {k: int(np.sum(observed == lay)) for k, lay in zip(keys, layer_of, strict=True)}
    outside = n - sum(counts.values()) + sum(c for k, c in counts.items() if probs[k] < 1e-12)
    if outside:
        return 0.0, f"{outside} seeds overflowed where the prediction gives probability < 1e-12"
    live = [k for k in keys if probs[k] >= 1e-12]
    expected, got = _pooled([n * probs[k] for k in live], [counts[k] for k in live])
    if len(expected) < 2:
        return 1.0, "one pooled group: nothing left to compare"
    if len(expected) == 2:
        p = stats.binomtest(got[0], n, expected[0] / n).pvalue
        return float(p), f"exact binomial test on {len(expected)} pooled groups"
    g = 2 * sum(o * math.log(o / e) for o, e in zip(got, expected, strict=True) if o)
    return float(stats.chi2.sf(g, len(expected) - 1)), f"G = {g:.3g} on {len(expected)} groups"


def _frequencies(observed: np.ndarray) -> str:
    values, counts = np.unique(observed, return_counts=True)
    return ", ".join(f"{'none' if v == 0 else v}: {c}" for v, c in zip(values, counts, strict=True))


def _observed_shares(observed: np.ndarray) -> dict:
    values, counts = np.unique(observed, return_counts=True)
    return {
        None if v == 0 else int(v): c / len(observed) for v, c in zip(values, counts, strict=True)
    }


def overflow_layer_check(candidate, seed):
    """Check of the claim ``initialization.overflow.layer`` (``candidate``: a layer or None).

    >>> overflow_layer_check(29, 0).passed, overflow_layer_check(30, 0).passed
    (True, False)
    """
    expected = candidate
    observed = first_overflow(seed)
    values, counts = np.unique(observed, return_counts=True)
    mode = int(values[np.argmax(counts)])
    passed = mode == (0 if expected is None else expected)
    return Evidence(
        "initialization.overflow.layer",
        "monte-carlo",
        passed,
        expected=expected,
        measured=mode,
        witness=Witness({}, expected, mode),
        n=len(observed),
        message=(
            f"most frequent first inf/nan layer over {len(observed)} independent width-{WIDTH} "
            f"float32 networks: {mode} (frequencies {_frequencies(observed)}); predicted {expected}"
        ),
    )


def overflow_distribution_check(candidate, seed):
    """Check of ``initialization.overflow.distribution`` (``candidate``: layer -> probability).

    >>> overflow_distribution_check({30: 1.0}, 0).passed
    False
    """
    probs = _as_distribution(candidate)
    observed = first_overflow(seed)
    p, how = frequency_test(probs, observed)
    shown = ", ".join(
        f"{'none' if k is None else k}: {v:.3f}" for k, v in probs.items() if v > 1e-4
    )
    return Evidence(
        "initialization.overflow.distribution",
        "monte-carlo",
        p > LEVEL,
        expected=probs,
        measured=_frequencies(observed),
        witness=Witness({}, probs, _observed_shares(observed)),
        p_value=p,
        n=len(observed),
        message=(
            f"observed first inf/nan layers ({_frequencies(observed)}) vs predicted "
            f"probabilities ({shown}): {how}, p = {p:.3g} (level {LEVEL:g})"
        ),
    )
