"""Guess and check simulated: the stopping time, the output law, and the bound's coverage.

>>> len(consistent(STOP))
81
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy as sp

from verify.claims import Evidence, Witness
from verify.guess_and_check import networks as nw
from verify.guess_and_check.common import BOUND_VARIABLES, LEVEL, TAIL_VARIABLES, value
from verify.lazy import lazy

stats = lazy("scipy.stats")


# --- the algorithm, simulated ---------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """A fixed teacher and training set (``N`` Gaussian points from ``design_seed``)."""

    d0: int
    d1: int
    q: int
    W1: tuple
    w2: tuple
    N: int
    design_seed: tuple
    #: runs of guess and check per claim
    runs: int

    def teacher(self):
        return np.array(self.W1), np.array(self.w2)

    def sample(self):
        """The training inputs and the teacher's labels.

        >>> X, y = STOP.sample()
        >>> X.shape, sorted(set(y.tolist()))
        ((4, 2), [0.0, 1.0])
        """
        X = np.random.default_rng(list(self.design_seed)).standard_normal((self.N, self.d0))
        W1, w2 = self.teacher()
        return X, nw.labels(W1.astype(float), w2.astype(float), X)


#: One unit [x1 − x2]₊ of two (d1* = 1), q = 3, N = 4: 81 of the 729 students fit this
#: sample (p_S = 1/9) while 23 compute the teacher's function. 20,000 runs: P(t > T) has a
#: standard error of at most 0.0035, and the wrong tails of WRONG_ANSWERS are at least 0.03
#: away at some T of TAILS (tests/test_guess_and_check.py computes how many standard errors).
STOP = Setting(2, 2, 3, ((1, -1), (0, 0)), (1, 0), 4, (4, 0), 20_000)
#: Where P(t > T) is compared: non-integers (⌊T⌋ ≠ ⌈T⌉ ≠ T) and integers (⌊T⌋ = T).
TAILS = (0.5, 1.0, 1.5, 2.5, 4.0, 6.5, 9.5, 14.2, 20.7)


@lru_cache(maxsize=16)
def consistent(setting: Setting) -> np.ndarray:
    """The indices (into :func:`networks.all_students`) of the students that fit the sample.

    >>> len(consistent(STOP))
    81
    """
    X, y = setting.sample()
    W1s, w2s = nw.all_students(setting.d0, setting.d1, setting.q)
    fits = np.all(nw.labels(W1s.astype(float), w2s.astype(float), X) == y, axis=1)
    return np.flatnonzero(fits)


def guess_and_check(setting: Setting, runs: int, rng: np.random.Generator, batch: int = 4096):
    """Run guess and check ``runs`` times, back to back on one stream of i.i.d. students:
    ``(guesses, outputs)`` with ``guesses[r]`` the number of students drawn in run ``r``
    (the last one fits) and ``outputs[r]`` the index of the student it returns.

    >>> t, out = guess_and_check(STOP, 5, np.random.default_rng(0))
    >>> t.shape, bool(np.isin(out, consistent(STOP)).all())
    ((5,), True)
    """
    X, y = setting.sample()
    fits, drawn = [], []
    found = 0
    while found < runs:
        W1, w2 = nw.draw_students(rng, batch, setting.d0, setting.d1, setting.q)
        ok = np.all(nw.labels(W1.astype(float), w2.astype(float), X) == y, axis=1)
        fits.append(ok)
        drawn.append(nw.index_of(W1, w2, setting.q))
        found += int(ok.sum())
    fits, drawn = np.concatenate(fits), np.concatenate(drawn)
    stops = np.flatnonzero(fits)[:runs]
    guesses = np.diff(np.concatenate([[-1], stops]))
    return guesses, drawn[stops]


@lru_cache(maxsize=8)
def simulated(setting: Setting, seed: int):
    """:func:`guess_and_check` for ``setting.runs`` runs from ``seed`` (kept: several
    candidates are checked against one simulation).

    >>> t, out = simulated(STOP, 0)
    >>> len(t) == STOP.runs
    True
    """
    return guess_and_check(setting, setting.runs, np.random.default_rng([seed, 13]))


def _p_sample(setting):
    return Fraction(len(consistent(setting)), setting.q ** (setting.d0 * setting.d1 + setting.d1))


def _stopping_check(candidate, seed):
    guesses, _ = simulated(STOP, seed)
    p = _p_sample(STOP)
    runs = len(guesses)
    pvals, worst = [], None
    for T in TAILS:
        predicted = float(value(candidate, TAIL_VARIABLES, {"p": p, "T": T}))
        seen = int(np.sum(guesses > T))
        if not 0 <= predicted <= 1:
            pv = 0.0
        else:
            pv = float(stats.binomtest(seen, runs, predicted).pvalue)
        pvals.append(pv)
        if worst is None or pv < worst[0]:
            worst = (pv, T, predicted, seen / runs)
    p_value = min(1.0, len(TAILS) * min(pvals))
    _, T, predicted, share = worst
    # the bound with p* = q^-(d0·d1* + d1): no tail significantly above it (one-sided
    # exact binomial tests, Bonferroni over TAILS)
    W1, w2 = STOP.teacher()
    d1_star = int(np.sum((w2 != 0) | np.any(W1 != 0, axis=1)))
    p_low = STOP.q ** -(STOP.d0 * d1_star + STOP.d1)
    above = [
        T_
        for T_ in TAILS
        if len(TAILS)
        * stats.binomtest(
            int(np.sum(guesses > T_)), runs, (1 - p_low) ** math.floor(T_), alternative="greater"
        ).pvalue
        <= LEVEL
    ]
    passed = p_value > LEVEL and not above
    return Evidence(
        passed=passed,
        expected=predicted,
        measured=share,
        p_value=p_value,
        n=runs,
        witness=Witness({"p": float(p), "T": T}, predicted, share),
        message=(
            f"{runs} runs on a sample that {len(consistent(STOP))} of 729 students fit "
            f"(p_S = {p}): P(t > T) at T in {list(TAILS)}, exact binomial tests (Bonferroni), "
            f"p = {p_value:.3g} (level {LEVEL:g}); worst at T = {T}: predicted {predicted:.4f}, "
            f"simulated {share:.4f}; the bound (1 - p*)^floor(T) holds at every T"
            + ("" if not above else f" except {above}")
        ),
    )


def frequency_test(probs: dict, observed: np.ndarray) -> tuple[float, str]:
    """p-value of observed outcomes against ``probs`` (outcome -> probability): 0 if an
    outcome of probability below 1e-12 is observed, else the smallest exact two-sided
    binomial p-value of the cells' counts times their number (Bonferroni).

    >>> frequency_test({0: 0.5, 1: 0.5}, np.array([0] * 50 + [1] * 50))[0]
    1.0
    >>> frequency_test({0: 1.0}, np.array([0, 1]))[0]
    0.0
    """
    live = {k: float(v) for k, v in probs.items() if float(v) >= 1e-12}
    outside = int(np.sum(~np.isin(observed, list(live))))
    if outside:
        return 0.0, f"{outside} outputs where the candidate gives probability < 1e-12"
    n = len(observed)
    values, counts = np.unique(observed, return_counts=True)
    seen = dict(zip(values.tolist(), counts.tolist(), strict=True))
    pvals = [stats.binomtest(seen.get(k, 0), n, min(p, 1.0)).pvalue for k, p in live.items()]
    return min(1.0, len(live) * min(pvals)), f"exact binomial tests of {len(live)} cells"


def _output_check(candidate, seed):
    probs = {int(k): float(v) for k, v in dict(candidate).items()}
    _, outputs = simulated(STOP, seed)
    p, how = frequency_test(probs, outputs)
    values, counts = np.unique(outputs, return_counts=True)
    share = dict(zip(values.tolist(), (counts / len(outputs)).tolist(), strict=True))
    gap = max(share, key=lambda k: abs(share[k] - probs.get(k, 0.0)))
    return Evidence(
        passed=p > LEVEL,
        p_value=p,
        n=len(outputs),
        expected=probs.get(gap, 0.0),
        measured=share[gap],
        witness=Witness({"student": gap}, probs.get(gap, 0.0), share[gap]),
        message=(
            f"outputs of {len(outputs)} runs on {len(values)} distinct students "
            f"({len(consistent(STOP))} fit the sample): {how}, p = {p:.3g} (level {LEVEL:g}); "
            f"largest gap at student {gap}: candidate {probs.get(gap, 0.0):.4f}, simulated "
            f"{share[gap]:.4f}"
        ),
    )


def uniform_on_consistent() -> dict:
    """The derived law of the output: uniform on the students that fit the sample."""
    idx = consistent(STOP)
    return {int(i): sp.Rational(1, len(idx)) for i in idx}


# --- coverage ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """Runs with a fresh narrow teacher and a fresh Gaussian sample each."""

    d0: int
    d1: int
    d1_star: int
    q: int
    delta: float
    eta: float
    sizes: tuple
    runs: int  # per sample size

    @property
    def stated(self) -> float:
        """The share of runs the theorem allows above its bound: 1 − (1 − η)(1 − δ)."""
        return 1 - (1 - self.eta) * (1 - self.delta)


#: d1* = 1 of d1 = 3 units, q = 3, δ = η = 0.05 (stated share 0.0975), N from 2 to 16, where
#: the error is often far from 0 (at N = 2 most runs return a student with error above 1/4).
COVERAGE = Coverage(2, 3, 1, 3, 0.05, 0.05, (2, 4, 8, 16), 150)


def random_teacher(rng, d0, d1, d1_star, q):
    """A teacher with exactly ``d1_star`` non-zero neurons at random units: non-zero incoming
    vector and non-zero output weight each.

    >>> W1, w2 = random_teacher(np.random.default_rng(0), 2, 3, 1, 3)
    >>> int(np.sum(w2 != 0)), int(np.sum(np.any(W1 != 0, axis=1)))
    (1, 1)
    """
    m = (q - 1) // 2
    W1 = np.zeros((d1, d0), dtype=np.int64)
    w2 = np.zeros(d1, dtype=np.int64)
    for j in rng.choice(d1, size=d1_star, replace=False):
        while not W1[j].any():
            W1[j] = rng.integers(-m, m + 1, size=d0)
        w2[j] = rng.choice([v for v in range(-m, m + 1) if v])
    return W1, w2


@lru_cache(maxsize=8)
def coverage_runs(c: Coverage, seed: int):
    """For each run: ``(N, error of the returned student, guesses)``; the error is exact
    (angles, :func:`networks.error`).

    >>> r = coverage_runs(Coverage(2, 2, 1, 3, 0.1, 0.1, (4,), 3), 0)
    >>> r.shape
    (3, 3)
    """
    rng = np.random.default_rng([seed, 1313])
    out = []
    for N in c.sizes:
        for _ in range(c.runs):
            W1, w2 = random_teacher(rng, c.d0, c.d1, c.d1_star, c.q)
            X = rng.standard_normal((N, c.d0))
            y = nw.labels(W1.astype(float), w2.astype(float), X)
            guesses = 0
            while True:
                SW1, Sw2 = nw.draw_students(rng, 512, c.d0, c.d1, c.q)
                ok = np.all(nw.labels(SW1.astype(float), Sw2.astype(float), X) == y, axis=1)
                if ok.any():
                    i = int(np.argmax(ok))
                    out.append((N, nw.error((W1, w2), (SW1[i], Sw2[i])), guesses + i + 1))
                    break
                guesses += len(ok)
    return np.array(out)


def clopper_pearson(k: int, n: int, level: float) -> tuple[float, float]:
    """The two-sided exact interval for a binomial share at ``level``.

    >>> lo, hi = clopper_pearson(0, 100, 0.05)
    >>> lo, round(hi, 4)
    (0.0, 0.0362)
    """
    lo = 0.0 if k == 0 else float(stats.beta.ppf(level / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - level / 2, k + 1, n - k))
    return lo, hi


def _coverage_check(candidate, seed):
    c = COVERAGE
    runs = coverage_runs(c, seed)
    point = {"d0": c.d0, "d1": c.d1, "d1_star": c.d1_star, "q": c.q, "delta": c.delta, "eta": c.eta}
    bounds = {N: float(value(candidate, BOUND_VARIABLES, {**point, "N": N})) for N in c.sizes}
    above = np.array([err >= bounds[int(N)] for N, err, _ in runs])
    k, n = int(above.sum()), len(runs)
    p = float(stats.binomtest(k, n, c.stated, alternative="greater").pvalue)
    lo, hi = clopper_pearson(k, n, LEVEL)
    worst_N = max(c.sizes, key=lambda N: np.mean(above[runs[:, 0] == N]))
    at = runs[:, 0] == worst_N
    return Evidence(
        passed=p > LEVEL,
        expected=c.stated,
        measured=k / n,
        interval=(lo, hi),
        p_value=p,
        n=n,
        witness=Witness({**point, "N": int(worst_N)}, bounds[worst_N], float(np.max(runs[at, 1]))),
        message=(
            f"{n} runs (N in {list(c.sizes)}, {c.runs} each, a fresh teacher with d1* = "
            f"{c.d1_star} of d1 = {c.d1} each): the exact error reached the bound in {k} "
            f"(share {k / n:.3f}, interval [{lo:.3f}, {hi:.3f}] at level {LEVEL:g}); allowed "
            f"1 - (1 - eta)(1 - delta) = {c.stated:.4f}: one-sided binomial p = {p:.3g}"
        ),
    )
