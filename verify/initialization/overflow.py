"""The first float32 inf and nan of the unit-normal experiment, simulated as the course runs it.

Experiment (i) of the initialization chapter, in the course's code::

    x = torch.randn(512)            # (512, 1) gives the same numbers: torch adds in one order
    for i in range(100):
        a = torch.randn(512, 512)
        x = a @ x                   # float32, torch's matrix-times-vector kernel
        if torch.isnan(x).any():
            break

Layer ``l`` counted from 1 is loop index ``i = l - 1``. :mod:`derivations.initialization`
predicts the first layer holding inf or nan and the first holding nan; the claims here
confront that with two kinds of simulated networks, both run one network at a time with
``a @ x`` (a batch through ``torch.bmm`` adds in another order and overflows in 16 % of
networks at layer 28 instead of 11 %: that was the old simulation's mistake):

* :func:`raw_networks`: the course's loop exactly, from the input on (:data:`RAW_NETWORKS`
  per seed). They check the most likely first layer (``initialization.overflow.layer``)
  and the law of the norm's growth (``initialization.overflow.state_law``).
* :func:`law_networks`: the same float32 kernel for layers :data:`START` onward only, the
  state entering layer :data:`START` drawn from its exact law (:data:`LAW_NETWORKS` per
  seed). Before layer 28 nothing can overflow (predicted ``P(first ≤ 27) < 1e-100``: the
  norm is at most a few per cent of what overflow needs), and given ``u_{l-1}``,
  ``W_l u_{l-1} ~ N(0, ‖u_{l-1}‖² I)``: its squared norm is ``‖u_{l-1}‖²`` times a fresh
  ``χ²_512`` and its direction is uniform and independent of everything before. So
  ``‖u_27‖²`` is a product of 28 independent ``χ²_512`` (the input's own included) and
  ``u_27 / ‖u_27‖`` is uniform; that law is the claim ``state_law``, checked on the raw
  networks' own float32 norms. The raw part (layers 28 on) is where the kernel's rounding
  and its order of addition decide. These networks check the distribution of the first
  layer (``distribution``) and the first nan (``nan_layer``).

Cost: one ``torch.randn(512, 512)`` takes about 1.6 ms on one core and dominates; a law
network needs one (layer 28: all the runner-up's count needs), the first :data:`FOLLOWED`
of them also layer 29 (the first nan, and the support), a raw one 29 or 30: about 12 s per
seed for the four claims. The 5,000 law networks give the
runner-up layer's count a standard error of 0.44 points; the exact two-sided binomial test
at level 1e-6 then rejects a runner-up shifted by 3 points with power 0.94 (up, to 0.141)
and 0.99 (down, to 0.081) (see tests/test_overflow.py, which recomputes these).

>>> frequency_test({28: 0.1, 29: 0.9}, np.array([29] * 90 + [28] * 10))[0]
1.0
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

from derivations.arguments import count
from derivations.arguments import seed as valid_seed
from verify.claims import claim
from verify.evidence import Evidence, Witness
from verify.lazy import lazy, torch

stats = lazy("scipy.stats")

WIDTH = 512
OVERFLOW_DEPTH = 100
LEVEL = 1e-6
#: Networks per seed run as the course runs them, from the input on.
RAW_NETWORKS = 48
#: Networks per seed whose state entering layer :data:`START` is drawn from its exact law.
LAW_NETWORKS = 5000
#: The first layer the law networks run through the float32 kernel (1-based).
START = 28
#: Law networks per seed followed past layer :data:`START` to their first nan.
FOLLOWED = 1000
#: Kept for callers of the old name: the raw networks per seed.
OVERFLOW_SEEDS = RAW_NETWORKS
#: The near miss of the layer claims: the course prints the loop index.
LOOP_INDEX_HINT = {28: "that is the 0-based loop index of layer 29"}


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


def _course_layers(x, gen, first: int, depth: int, width: int):
    """Run ``a = torch.randn(width, width); x = a @ x`` from layer ``first`` until a layer
    holds nan or ``depth`` is reached; (first inf/nan layer, first nan layer, log‖x‖² per
    finite layer), 0 for "none"."""
    first_bad = first_nan = 0
    logs = []
    for layer in range(first, depth + 1):
        x = torch.randn(width, width, generator=gen) @ x
        if not first_bad:
            if bool(torch.isfinite(x).all()):
                logs.append(math.log(float(x.double().square().sum())))
                continue
            first_bad = layer
        if bool(torch.isnan(x).any()):
            first_nan = layer
            break
    return first_bad, first_nan, logs


def raw_networks(seed: int, *, networks=RAW_NETWORKS, width=WIDTH, depth=OVERFLOW_DEPTH) -> dict:
    """The course's loop for ``networks`` independent networks: ``first`` (first layer with
    inf or nan), ``nan`` (first layer with nan), each 1-based and 0 if none, and ``steps``:
    ``log ‖u_l‖² - log ‖u_{l-1}‖²`` for every finite layer (with ``‖u_0‖² = ‖x‖²`` against 0,
    so the input's own ``χ²`` is one of them).

    >>> r = raw_networks(0, networks=2, width=32, depth=40)
    >>> r["first"].tolist(), r["nan"].tolist(), r["steps"].size
    ([0, 0], [0, 0], 82)
    >>> raw_networks(0, networks=0)
    Traceback (most recent call last):
    ...
    ValueError: networks: a positive integer is required, got 0
    """
    networks, width = count(networks, "networks"), count(width, "width")
    return _raw(valid_seed(seed), networks, width, count(depth, "depth"))


@lru_cache(maxsize=8)  # positional, so that every caller shares one run per seed
def _raw(seed, networks, width, depth):
    gen = torch.Generator().manual_seed(seed)
    first, nan, steps = np.zeros(networks, int), np.zeros(networks, int), []
    with one_thread():
        for k in range(networks):
            x = torch.randn(width, generator=gen)
            log0 = math.log(float(x.double().square().sum()))
            first[k], nan[k], logs = _course_layers(x, gen, 1, depth, width)
            steps.extend(np.diff([0.0, log0, *logs]))
    out = {"first": first, "nan": nan, "steps": np.array(steps)}
    for v in out.values():
        v.setflags(write=False)  # cached: a caller must not change what others get
    return out


def first_overflow(seed: int, *, seeds=RAW_NETWORKS, width=WIDTH, depth=OVERFLOW_DEPTH):
    """First layer (1-based) whose float32 output holds inf or nan, for each of ``seeds``
    networks run as the course runs them (:func:`raw_networks`); 0 if none.

    >>> first_overflow(0, seeds=2, width=32, depth=40).tolist()
    [0, 0]
    >>> first_overflow(0, seeds=2, width=0)
    Traceback (most recent call last):
    ...
    ValueError: width: a positive integer is required, got 0
    """
    return raw_networks(seed, networks=count(seeds, "seeds"), width=width, depth=depth)["first"]


def law_networks(seed: int, *, networks=LAW_NETWORKS, start=START, followed=None) -> dict:
    """Width-512 networks whose state entering layer ``start`` is drawn from its exact law
    (norm² a product of ``start`` independent ``χ²_512``, direction uniform), then run
    through torch's float32 ``a @ x``: every network through layer ``start``, the first
    ``followed`` of them (default :data:`FOLLOWED`, at most ``networks``) on until a layer
    holds nan. ``first``: the first layer holding inf
    or nan (1-based; 0 if none by layer 100; -1 for "none by layer ``start``, not followed");
    ``nan``: the first layer holding nan for the followed networks (``followed`` entries).

    >>> r = law_networks(0, networks=4, followed=2)
    >>> set(r["first"][:2].tolist()) <= {28, 29}, set(r["first"][2:].tolist()) <= {-1, 28}
    (True, True)
    >>> law_networks(0, start=0)
    Traceback (most recent call last):
    ...
    ValueError: start: a positive integer is required, got 0
    """
    networks, start = count(networks, "networks"), count(start, "start")
    followed = min(FOLLOWED, networks) if followed is None else followed
    followed = count(followed, "followed", minimum=0, maximum=networks)
    return _law(valid_seed(seed), networks, start, followed)


@lru_cache(maxsize=8)
def _law(seed, networks, start, followed):
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng([seed, 28])  # the norms: exact law, drawn in float64
    log_norm2 = np.log(rng.chisquare(WIDTH, size=(networks, start))).sum(axis=1)
    first, nan = np.zeros(networks, int), np.zeros(followed, int)
    with one_thread():
        for k in range(networks):
            z = torch.randn(WIDTH, generator=gen, dtype=torch.float64)
            x = (z * math.exp(log_norm2[k] / 2 - math.log(float(z.norm())))).float()
            if k < followed:
                first[k], nan[k], _ = _course_layers(x, gen, start, OVERFLOW_DEPTH, WIDTH)
            else:  # only layer `start`: all the runner-up's count needs
                first[k] = _course_layers(x, gen, start, start, WIDTH)[0] or -1
    for v in (first, nan):
        v.setflags(write=False)
    return {"first": first, "nan": nan, "through": start, "followed": followed}


def _as_distribution(candidate) -> dict:
    probs = {k: float(v) for k, v in dict(candidate).items()}
    if any(v < 0 for v in probs.values()) or not math.isclose(sum(probs.values()), 1, abs_tol=1e-9):
        raise ValueError("candidate: probabilities (non-negative, summing to 1) are required")
    return probs


def frequency_test(probs: dict, observed: np.ndarray, *, through=None, followed=None):
    """p-value of observed first layers (0 = none) against ``probs`` (layer -> probability),
    and how it was found.

    No categories are merged. A layer observed outside the predicted support (probability
    below ``1e-12``) rejects outright. Every predicted layer but the most likely gets an
    exact two-sided binomial test of its count (the most likely one's count is what the
    others leave); the p-value is the smallest times their number (Bonferroni). A single
    predicted layer is tested by the support alone. With ``followed = m``, only the first
    ``m`` networks were followed to the end; the others were observed through layer
    ``through`` (-1: nothing by then), so a layer up to ``through`` is counted over all
    networks and a later one over the first ``m``.

    >>> frequency_test({29: 1.0}, np.array([29] * 99 + [28]))[0]
    0.0
    >>> round(frequency_test({28: 0.2, 29: 0.8}, np.array([29] * 90 + [28] * 10))[0], 4)
    0.0118
    >>> seen = np.array([29] * 10 + [28] * 10 + [28] * 10 + [-1] * 70)  # 20 of 100 at 28
    >>> frequency_test({28: 0.2, 29: 0.8}, seen, through=28, followed=20)[0]
    1.0
    """
    observed = np.asarray(observed)
    m = len(observed) if followed is None else followed
    live = {(0 if k is None else k): p for k, p in probs.items() if p >= 1e-12}
    outside = int(np.sum(~np.isin(observed[:m], list(live))))
    outside += int(np.sum(~np.isin(observed[m:], [*live, -1])))
    if outside:
        return 0.0, f"{outside} networks where the prediction gives probability < 1e-12"
    tested = sorted(live, key=live.get)[:-1]
    if not tested:
        return 1.0, "one predicted layer, and every network there"
    pvals = []
    for k in tested:
        sample = observed if through is not None and 0 < k <= through else observed[:m]
        pvals.append(stats.binomtest(int(np.sum(sample == k)), len(sample), live[k]).pvalue)
    p = min(1.0, len(tested) * min(pvals))
    named = ", ".join("none" if k == 0 else str(k) for k in tested)
    how = f"exact binomial test of the count at layer {named} (Bonferroni over {len(tested)})"
    return float(p), how


def _label(v):
    return {0: None, -1: f"later than {START} (not followed)"}.get(int(v), int(v))


def _frequencies(observed: np.ndarray) -> str:
    values, counts = np.unique(observed, return_counts=True)
    return ", ".join(
        f"{'none' if _label(v) is None else _label(v)}: {c}"
        for v, c in zip(values, counts, strict=True)
    )


def _observed_shares(observed: np.ndarray) -> dict:
    values, counts = np.unique(observed, return_counts=True)
    return {_label(v): c / len(observed) for v, c in zip(values, counts, strict=True)}


def _mode(observed: np.ndarray) -> int:
    values, counts = np.unique(observed, return_counts=True)
    return int(values[np.argmax(counts)])


def _mode_evidence(candidate, observed, what, where):
    mode = _mode(observed)
    passed = mode == (0 if candidate is None else candidate)
    shown = "none" if mode == 0 else f"{mode} (loop index i = {mode - 1})"
    return Evidence(
        passed=passed,
        expected=candidate,
        measured=mode,
        witness=Witness({}, candidate, mode),
        n=len(observed),
        message=(
            f"most frequent {what} over {len(observed)} {where}: layer {shown}; frequencies "
            f"{_frequencies(observed)}; predicted {candidate}"
        ),
    )


def overflow_layer_check(candidate, seed):
    """Check of ``initialization.overflow.layer`` (``candidate``: a 1-based layer or None)
    on :data:`RAW_NETWORKS` networks run exactly as the course runs them.

    A wrong mode needs the runner-up (predicted 0.11) in half of 48 networks: a binomial
    tail of about 2e-11.

    >>> overflow_layer_check(29, 0).passed, overflow_layer_check(28, 0).passed
    (True, False)
    """
    return _mode_evidence(
        candidate, first_overflow(seed), "first inf/nan layer", "networks run as the course does"
    )


def overflow_distribution_check(candidate, seed):
    """Check of ``initialization.overflow.distribution`` (``candidate``: layer -> probability)
    on :data:`LAW_NETWORKS` networks (state entering layer 28 from its exact law).

    >>> overflow_distribution_check({30: 1.0}, 0).passed
    False
    """
    probs = _as_distribution(candidate)
    r = law_networks(seed)
    observed = r["first"]
    p, how = frequency_test(probs, observed, through=r["through"], followed=r["followed"])
    shown = ", ".join(
        f"{'none' if k is None else k}: {v:.3f}" for k, v in probs.items() if v > 1e-4
    )
    return Evidence(
        passed=p > LEVEL,
        expected=probs,
        measured=_frequencies(observed),
        witness=Witness({}, probs, _observed_shares(observed)),
        p_value=p,
        n=len(observed),
        message=(
            f"first inf/nan layers of {len(observed)} networks (float32 a @ x from layer "
            f"{START}, the state entering it from its exact law): {_frequencies(observed)}; "
            f"predicted {shown}: {how}, p = {p:.3g} (level {LEVEL:g})"
        ),
    )


def nan_layer_check(candidate, seed):
    """Check of ``initialization.overflow.nan_layer``: the most frequent first layer where
    ``torch.isnan(x).any()`` is true, over the law networks; the message says how often inf
    came first.

    >>> nan_layer_check(29, 0).passed, nan_layer_check(30, 0).passed
    (True, False)
    """
    r = law_networks(seed)
    evidence = _mode_evidence(
        candidate, r["nan"], "first nan layer", f"networks (float32 a @ x from layer {START})"
    )
    first = r["first"][: r["followed"]]
    before, same = int(np.sum(first < r["nan"])), int(np.sum(first == r["nan"]))
    evidence.message += (
        f". inf came first (nan one or more layers later) in {before} networks; inf/nan and "
        f"nan first appeared in the same layer in {same}"
    )
    return evidence


def state_law_check(candidate, seed):
    """Check of ``initialization.overflow.state_law`` (``candidate``: the degrees of freedom
    ``k`` of the per-layer factor ``‖u_l‖² / ‖u_{l-1}‖² ~ χ²_k``, the input's ``‖x‖²``
    included): a Kolmogorov-Smirnov test of the raw networks' float32 norms against ``χ²_k``.

    With about 1,350 factors per seed the test at level 1e-6 rejects a distance of 0.073
    between the distribution functions: ``k = 500`` (2.3 % less growth) is at about 0.15.

    >>> state_law_check(512, 0).passed, state_law_check(500, 0).passed
    (True, False)
    """
    k = float(candidate)
    if not k > 0:
        return Evidence(passed=False, expected=candidate, message="degrees of freedom must be > 0")
    factors = np.exp(raw_networks(seed)["steps"])
    d, p = stats.kstest(factors, stats.chi2(k).cdf)
    return Evidence(
        passed=p > LEVEL,
        expected=candidate,
        measured=float(np.mean(factors)),
        witness=Witness({"statistic": "mean factor"}, k, float(np.mean(factors))),
        p_value=float(p),
        n=len(factors),
        message=(
            f"{len(factors)} per-layer factors ‖u_l‖²/‖u_(l-1)‖² of {RAW_NETWORKS} raw float32 "
            f"networks (mean {np.mean(factors):.2f}) against χ²_{k:g}: Kolmogorov-Smirnov "
            f"D = {d:.3f}, p = {p:.3g} (level {LEVEL:g})"
        ),
    )


def _declare():
    from derivations.initialization import overflow as init  # nan_layer: not re-exported

    claim(
        "initialization.overflow.layer",
        "the most likely first float32 layer holding inf or nan of the unit-normal 512-wide "
        "network (x = a @ x, a = torch.randn(512, 512)), counted from 1; loop index = layer - 1",
        method="monte-carlo",
        answer="number",
        derived=lambda: init.overflow_layer(WIDTH, "float32", depth=OVERFLOW_DEPTH),
        near_misses=LOOP_INDEX_HINT,
    )(overflow_layer_check)
    claim(
        "initialization.overflow.distribution",
        "the predicted distribution of the first float32 inf/nan layer (counted from 1) of "
        "the course's a @ x matches the frequencies over networks",
        method="monte-carlo",
        answer="distribution",
        derived=lambda: init.overflow_distribution(WIDTH, OVERFLOW_DEPTH, "float32"),
    )(overflow_distribution_check)
    claim(
        "initialization.overflow.nan_layer",
        "the most likely first layer (counted from 1) where torch.isnan(x).any() is true",
        method="monte-carlo",
        answer="number",
        derived=lambda: init.nan_layer(WIDTH, "float32", depth=OVERFLOW_DEPTH),
        near_misses=LOOP_INDEX_HINT,
    )(nan_layer_check)
    claim(
        "initialization.overflow.state_law",
        "in the raw float32 network each layer multiplies ‖u‖² by an independent χ²_k with "
        "k = 512 (and ‖x‖² is χ²_512): the law the law networks draw their state from",
        method="monte-carlo",
        answer="number",
        derived=lambda: WIDTH,
    )(state_law_check)


_declare()
