"""Plausible wrong answers for every claim of the guess-and-check topic.

Each is a slip a student makes: a count that forgets the output weights, an exponent that
counts the student instead of the teacher, ``log(1/η)`` for ``log log(1/η)``, ``⌈T⌉`` for
``⌊T⌋``, base-2 and natural logarithms mixed, the law of the stopping time with the share of
students that compute the teacher's function (the algorithm stops at the first student that
fits the *sample*), an output law over functions instead of students.
``tests/test_mutations.py`` asserts that every one is rejected with a witness.

>>> len(WRONG_ANSWERS["guess_and_check.bound"]) >= 5
True
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from verify import guess_and_check as gc
from verify.guess_and_check import networks as nw

N, d0, d1, ds, q, delta, eta, p, T = sp.symbols("N d0 d1 d1_star q delta eta p T")


def _lg(x):
    return sp.log(x, 2)


def functional_share() -> Fraction:
    """The share of all students that compute :data:`~verify.guess_and_check.STOP`'s teacher
    function everywhere (23 of 729): the wrong ``p`` for the stopping time.

    >>> functional_share()
    Fraction(23, 729)
    """
    s = gc.STOP
    W1s, w2s = nw.all_students(s.d0, s.d1, s.q)
    t = s.teacher()
    hits = sum(nw.same_function(t, (W1s[i], w2s[i])) for i in gc.consistent(s))
    return Fraction(int(hits), len(w2s))


def _output_laws() -> dict:
    s = gc.STOP
    W1s, w2s = nw.all_students(s.d0, s.d1, s.q)
    fits = [int(i) for i in gc.consistent(s)]
    t = s.teacher()
    equal = [i for i in fits if nw.same_function(t, (W1s[i], w2s[i]))]
    # the students that fit, grouped by the function they compute (everywhere)
    classes: list[list[int]] = []
    for i in fits:
        for c in classes:
            if nw.same_function((W1s[c[0]], w2s[c[0]]), (W1s[i], w2s[i])):
                c.append(i)
                break
        else:
            classes.append([i])
    per_function = {i: 1 / (len(classes) * len(c)) for c in classes for i in c}
    return {
        "uniform on the students that compute the teacher's function": {
            i: 1 / len(equal) for i in equal
        },
        "uniform on all students (the prior, not the posterior)": {
            i: 1 / len(w2s) for i in range(len(w2s))
        },
        "uniform on the functions that fit, then on their students": per_function,
    }


def _wrong_answers() -> dict:
    k_star = d0 * ds + d1
    rest = sp.log(1 / delta) + sp.log(sp.log(1 / eta))
    p_fun = float(functional_share())
    from derivations.guess_and_check import match_probability

    def copies_only(W1, w2, q_):
        W1, w2 = np.asarray(W1), np.asarray(w2)
        live = int(np.sum(np.any(W1 != 0, axis=1) | (w2 != 0)))
        return Fraction(1, q_ ** (W1.shape[1] * live + len(w2)))

    return {
        "guess_and_check.match_probability": {
            "one direction per cone: the signs on the rays and at each sector's middle": (
                one_direction_per_cone
            ),
            "off a null set, not at every point": lambda W1, w2, q_: match_probability(
                W1, w2, q_, everywhere=False
            ),
            "the copies only: q^-(d0·d1* + d1)": copies_only,
        },
        "guess_and_check.exact_match": {
            "the output weights left out: q^-(d0·d1)": q ** (-d0 * d1),
            "one weight per unit: q^-(d0 + d1)": q ** (-(d0 + d1)),
            "zero left out of Q: (q - 1)^-(d0·d1 + d1)": (q - 1) ** (-(d0 * d1 + d1)),
        },
        "guess_and_check.lower_bound": {
            "exponent d0·d1 + d1: every weight of the student counted": q ** (-(d0 * d1 + d1)),
            "the output weights left out of the count: q^-(d0·d1*)": q ** (-d0 * ds),
            "the silenced units' output weights left out: q^-(d0·d1* + d1*)": q
            ** (-(d0 * ds + ds)),
        },
        "guess_and_check.stopping_time": {
            "ceiling(T) for floor(T)": (1 - p) ** sp.ceiling(T),
            "no floor: (1 - p)^T": (1 - p) ** T,
            "the probability of stopping at floor(T), not after it": p * (1 - p) ** sp.floor(T),
            "p = the share computing the teacher's function, not the share fitting the sample": (
                lambda p_, T_: (1 - p_fun) ** np.floor(T_)
            ),
        },
        "guess_and_check.output_law": _output_laws(),
        "guess_and_check.bound": {
            "log(1/eta) for log log(1/eta)": (
                k_star * sp.log(q) + sp.log(1 / delta) + sp.log(1 / eta)
            )
            / N,
            "the output weights left out of the count: d0·d1* log q": (d0 * ds * sp.log(q) + rest)
            / N,
            "exponent d0·d1 + d1 for p*: the student's count": ((d0 * d1 + d1) * sp.log(q) + rest)
            / N,
            "base-2 and natural logarithms mixed: log2 q": (k_star * _lg(q) + rest) / N,
            "base-2 and natural logarithms mixed: log2(1/delta), log2 log2(1/eta)": (
                k_star * sp.log(q) + _lg(1 / delta) + _lg(_lg(1 / eta))
            )
            / N,
            "log(1/delta) left out": (k_star * sp.log(q) + sp.log(sp.log(1 / eta))) / N,
        },
        "guess_and_check.coverage": {
            "zero: a student that fits the sample is the teacher": sp.Integer(0),
            "1/N: the logarithms read as constants": 1 / N,
        },
        "guess_and_check.plain_bound": {
            "the output weights left out: |F| = q^(d0·d1)": (
                d0 * d1 * sp.log(q) + sp.log(1 / delta)
            )
            / N,
            "base-2 and natural logarithms mixed: log2|F|": (
                (d0 * d1 + d1) * _lg(q) + sp.log(1 / delta)
            )
            / N,
            "log(1/delta) left out": (d0 * d1 + d1) * sp.log(q) / N,
        },
        "guess_and_check.saving": {
            "the complexity term only: d0(d1 - d1*) log q/N": d0 * (d1 - ds) * sp.log(q) / N,
            "log(1/eta) for log log(1/eta)": (d0 * (d1 - ds) * sp.log(q) - sp.log(1 / eta)) / N,
            "the silenced output weights counted too: (d0 + 1)(d1 - d1*)": (
                (d0 + 1) * (d1 - ds) * sp.log(q) - sp.log(sp.log(1 / eta))
            )
            / N,
        },
    }


def _universal_directions(q: int) -> np.ndarray:
    m = (q - 1) // 2
    found = set()
    for a in range(-m, m + 1):
        for b in range(-m, m + 1):
            if (a, b) != (0, 0):
                g = np.gcd(a, b)
                found |= {(-b // g, a // g), (b // g, -a // g)}
    return np.array(sorted(found, key=lambda v: np.arctan2(v[1], v[0]) % (2 * np.pi)))


def one_direction_per_cone(W1, w2, q) -> Fraction:
    """The naive test: the signs on the universal rays and at one direction inside each
    sector between them (the sum of its two rays). It misses a sign change inside a sector
    at another ray than that one."""
    W1, w2 = np.asarray(W1), np.asarray(w2)
    d1, d0 = W1.shape
    if d0 == 1:
        D = np.array([[1.0], [-1.0]])
    else:
        R = _universal_directions(q)
        D = np.concatenate([R, R + np.roll(R, -1, axis=0)]).astype(float)
    W1s, w2s = nw.all_students(d0, d1, q)
    student = nw.labels(W1s.astype(float), w2s.astype(float), D)
    teacher = nw.labels(W1.astype(float), w2.astype(float), D)
    return Fraction(int(np.sum(np.all(student == teacher, axis=1))), len(w2s))


#: claim id -> {label: wrong answer}
WRONG_ANSWERS = _wrong_answers()
