"""The exact claims by enumeration: ``P(w = w*)``, the exact ``p*`` of the derivation, and
the lower bound ``p* ≥ q^−(d0·d1* + d1)`` for every teacher of five tiny architectures.

>>> len(teachers(1, 3, 1, 3))
9
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from verify.claims import Evidence, Witness
from verify.guess_and_check import networks as nw
from verify.guess_and_check.common import NARROW, SHAPE, _same, value

# --- exact: the probability of the teacher's weights ---------------------------------------
#: (d0, d1, q): no two alike, d0 and d1 both above 1 somewhere, q up to 7
SHAPES = ((1, 2, 3), (2, 2, 3), (1, 3, 5), (2, 1, 7), (2, 3, 3))


def _exact_match_check(candidate, seed):
    worst = None
    for d0, d1, q in SHAPES:
        W1, w2 = nw.all_students(d0, d1, q)
        rng = np.random.default_rng([d0, d1, q])
        target = nw.draw_students(rng, 1, d0, d1, q)
        hits = int(
            np.sum(np.all(W1 == target[0][0], axis=(1, 2)) & np.all(w2 == target[1][0], axis=1))
        )
        measured = Fraction(hits, len(w2))
        got = value(candidate, SHAPE, {"d0": d0, "d1": d1, "q": q})
        if not _same(got, measured):
            worst = Witness({"d0": d0, "d1": d1, "q": q}, got, measured)
            break
    return Evidence(
        passed=worst is None,
        witness=worst,
        n=len(SHAPES),
        message=(
            f"P(w = w*) by enumerating Q^k for (d0, d1, q) in {list(SHAPES)}: "
            + (
                "the candidate is exact at every one"
                if worst is None
                else f"at {worst.point} the candidate gives {worst.candidate}, enumeration {worst.reference}"
            )
        ),
    )


# --- enumeration: p* against its lower bound, every teacher --------------------------------
#: (d0, d1, d1*, q): d0 ∈ {1, 2}, d1 ≤ 3, q ∈ {3, 5}; teachers with their non-zero neurons in
#: the first d1* units (the student's law is invariant under permuting the hidden units, so
#: p* is too: tests/test_guess_and_check.py checks it)
ARCHITECTURES = ((1, 3, 1, 3), (1, 3, 2, 5), (2, 2, 1, 3), (2, 3, 1, 3), (2, 2, 1, 5))
#: Directions of a necessary test (signs equal there), vectorized over students; the exact
#: pair-by-pair test then runs on the few students that pass it.
_SCREEN = np.array(
    [(a, b) for a in range(-3, 4) for b in range(-3, 4) if math.gcd(a, b) == 1], dtype=float
)


def teachers(d0, d1, d1_star, q):
    """Every teacher whose non-zero neurons are among the first ``d1_star`` units.

    >>> len(teachers(2, 2, 1, 3))
    27
    """
    W1u, w2u = nw.all_students(d0, d1_star, q)
    out = []
    for a, b in zip(W1u, w2u, strict=True):
        W1 = np.zeros((d1, d0), dtype=np.int64)
        w2 = np.zeros(d1, dtype=np.int64)
        W1[:d1_star], w2[:d1_star] = a, b
        out.append((W1, w2))
    return out


@lru_cache(maxsize=16)
def _enumerated(d0, d1, q):
    W1s, w2s = nw.all_students(d0, d1, q)
    screen = _SCREEN if d0 == 2 else np.array([[1.0], [-1.0]])
    signs = nw.labels(W1s.astype(float), w2s.astype(float), screen)
    keys = [nw.canonical(a, b) for a, b in zip(W1s, w2s, strict=True)] if d0 == 2 else None
    return W1s, w2s, screen, signs, keys


def equal_students(W1, w2, q) -> np.ndarray:
    """Which rows of :func:`networks.all_students` compute the function of the teacher
    ``(W1, w2)`` at every point: a vectorized screen (the signs at fixed directions, a
    necessary condition), then the exact pair-by-pair test on the students that pass it
    (once per distinct set of contributing units).

    >>> int(equal_students(np.array([[1]]), np.array([1]), 3).sum())
    1
    """
    W1, w2 = np.asarray(W1), np.asarray(w2)
    d1, d0 = W1.shape
    W1s, w2s, screen, signs, keys = _enumerated(d0, d1, q)
    equal = np.all(signs == nw.labels(W1.astype(float), w2.astype(float), screen), axis=1)
    if d0 == 2:
        verdicts = {}
        for i in np.flatnonzero(equal):
            if keys[i] not in verdicts:
                verdicts[keys[i]] = nw.same_function((W1, w2), (W1s[i], w2s[i]))
            equal[i] = verdicts[keys[i]]
    # for d0 = 1 the signs at 1 and -1 decide: g is linear on each half-line
    return equal


@lru_cache(maxsize=8)
def exact_shares(d0, d1, d1_star, q):
    """Per teacher of :func:`teachers`: ``(p*, share of the copies)`` as exact fractions,
    where a copy keeps the teacher's first ``d1_star`` units, has output weight 0 on the
    rest and any incoming weights there (each copy is checked to compute the function).

    >>> p, copies = exact_shares(1, 3, 1, 3)[1]  # 3^(1·2) free weights of 3^6 students
    >>> copies, p >= copies
    (Fraction(1, 81), True)
    """
    W1s, w2s = nw.all_students(d0, d1, q)
    total = len(w2s)
    out = []
    for W1, w2 in teachers(d0, d1, d1_star, q):
        equal = equal_students(W1, w2, q)
        copy = (
            np.all(W1s[:, :d1_star] == W1[:d1_star], axis=(1, 2))
            & np.all(w2s[:, :d1_star] == w2[:d1_star], axis=1)
            & np.all(w2s[:, d1_star:] == 0, axis=1)
        )
        if not np.all(equal[copy]):
            raise AssertionError(f"a copy of the teacher {W1.tolist()}, {w2.tolist()} differs")
        out.append((Fraction(int(equal.sum()), total), Fraction(int(copy.sum()), total)))
    return tuple(out)


#: Teachers for the exact computation itself, (W1, w2, q): sign changes inside a sector of
#: the universal rays ([x1]₊ − 2[x2]₊ changes sign on the ray (2, 1)), a label 0 on a line
#: only (−|x1 + x2|), a zero teacher, d0 = 1, q = 5, units that are never active, and one
#: whose sign changes inside a sector away from the sector's middle direction (a test with
#: one direction per cone counts 8 students for its 6).
MATCH_TEACHERS = (
    (((1, 0), (0, 1), (0, 1)), (1, -1, -1), 3),
    (((-1, -1), (1, 1)), (-1, -1), 3),
    (((1, 1), (1, -1), (0, 1)), (1, 1, -1), 3),
    (((0, 0), (0, 0)), (0, 0), 3),
    (((1, -1), (-1, 0)), (1, 1), 3),
    (((2,), (-1,), (1,)), (1, 2, -2), 5),
    (((2, -1), (1, 1)), (1, -2), 5),
    (((-1, -1), (1, 2)), (2, -1), 5),
)


def _match_check(candidate, seed):
    checked = 0
    for W1, w2, q in MATCH_TEACHERS:
        W1a, w2a = np.array(W1), np.array(w2)
        measured = Fraction(int(equal_students(W1a, w2a, q).sum()), q**w2a.size * q**W1a.size)
        try:
            got = candidate(W1a, w2a, q)
        except Exception as exc:  # noqa: BLE001 - a candidate that raises is refuted
            got = f"raised {type(exc).__name__}: {exc}"
        checked += 1
        if isinstance(got, str) or not _same(
            got if isinstance(got, Fraction) else float(got), measured
        ):
            return Evidence(
                passed=False,
                n=checked,
                witness=Witness({"W1": list(W1), "w2": list(w2), "q": q}, str(got), str(measured)),
                message=(
                    f"teacher W1 = {list(W1)}, w2 = {list(w2)}, q = {q}: the candidate gives "
                    f"{got}, enumeration with the pair-by-pair test {measured}"
                ),
            )
    return Evidence(
        passed=True,
        n=checked,
        message=(
            f"exact p* of {checked} teachers (sign changes inside sectors, a label 0 on a line "
            f"only, d0 = 1, q = 5) equal to enumeration of every student with the pair-by-pair "
            f"test"
        ),
    )


def _lower_bound_check(candidate, seed):
    checked, slack, failure = 0, math.inf, None
    for d0, d1, ds, q in ARCHITECTURES:
        point = {"d0": d0, "d1": d1, "d1_star": ds, "q": q}
        bound = value(candidate, NARROW, point)
        for (W1, w2), (p, copies) in zip(
            teachers(d0, d1, ds, q), exact_shares(d0, d1, ds, q), strict=True
        ):
            checked += 1
            where = {**point, "W1": W1.tolist(), "w2": w2.tolist()}
            if not _same(bound, copies):
                failure = Witness({**where, "compared": "share of the copies"}, bound, copies)
            elif p < bound:
                failure = Witness({**where, "compared": "p*"}, bound, p)
            if failure is not None:
                break
            slack = min(slack, float(p / copies))
        if failure is not None:
            break
    if failure is not None:
        return Evidence(
            passed=False,
            witness=failure,
            n=checked,
            message=(
                f"teacher {failure.point['W1']}, {failure.point['w2']} of (d0, d1, d1*, q) = "
                f"({d0}, {d1}, {ds}, {q}): the candidate gives {failure.candidate}, the "
                f"{failure.point['compared']} is {failure.reference}"
            ),
        )
    return Evidence(
        passed=True,
        n=checked,
        measured=slack,
        message=(
            f"{checked} teachers of (d0, d1, d1*, q) in {list(ARCHITECTURES)}: the bound is "
            f"the exact share of the copies, and p* is at least it (smallest p*/bound "
            f"{slack:.3g})"
        ),
    )
