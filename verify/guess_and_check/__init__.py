"""Claims of the guess-and-check topic: exact enumeration, and the algorithm simulated.

The measured side never calls :mod:`derivations.guess_and_check`. It enumerates ``Q^k`` as
weight arrays, decides functional equality pair by pair on the pair's own critical
directions (:mod:`verify.guess_and_check.networks`), draws students with NumPy and runs them
on Gaussian inputs, and solves the finite-class equations ``T e^(−εN) = δ`` numerically:

* ``match_probability`` (enumeration): the derivation's exact ``p*`` against every student
  enumerated and compared pair by pair, for teachers chosen so that the shortcuts fail (one
  direction per cone, equality off a null set);
* ``exact_match`` and ``lower_bound`` (enumeration): the probability of the teacher's weights,
  and ``p* ≥ q^−(d0·d1* + d1)`` for every teacher of five tiny architectures, the bound being
  the exact share of the students that copy the teacher and silence the other units;
* ``stopping_time`` and ``output_law`` (Monte Carlo): guess and check on a fixed training set
  stops after a geometric number of guesses whose parameter is the share ``p_S`` of students
  consistent with *that sample* (not the share computing the teacher's function), and returns
  a uniform draw from the consistent students. Both use exact binomial tests with Bonferroni
  at level 1e-6; every wrong tail and the law over functions lie more than 10 standard errors
  off somewhere (tests/test_guess_and_check.py), so each is rejected with probability above
  1 - 1e-6;
* ``coverage`` (Monte Carlo): over runs with narrow teachers and Gaussian inputs, the true error
  (exact, from angles) exceeds Theorem 1's bound in no more than the stated share of runs.
  The bound is loose, so only a bound far too small is refuted: the wrong answer ``1/N`` is
  reached in 173 of the 600 runs at seed 0 (share 0.29 against the allowed 0.0975; the
  one-sided test at 1e-6 rejects above about 93);
* ``bound``, ``plain_bound``, ``saving`` (exact): the formulas against the finite-class
  equations solved by root finding, at points where no parameter is 1 and δ ≠ η.

>>> get("guess_and_check.exact_match").check().passed
True
"""

from __future__ import annotations

import sympy as sp

from verify.claims import claim, get
from verify.guess_and_check.common import (
    BOUND_VARIABLES,
    DOMAIN,
    LEVEL,
    NARROW,
    PLAIN_VARIABLES,
    SHAPE,
    TAIL_VARIABLES,
    typed,
    value,
)
from verify.guess_and_check.enumeration import (
    ARCHITECTURES,
    MATCH_TEACHERS,
    SHAPES,
    _exact_match_check,
    _lower_bound_check,
    _match_check,
    equal_students,
    exact_shares,
    teachers,
)
from verify.guess_and_check.formulas import POINTS, _bound_check, _plain_check, _saving_check
from verify.guess_and_check.simulation import (
    COVERAGE,
    STOP,
    TAILS,
    Coverage,
    Setting,
    _coverage_check,
    _output_check,
    _stopping_check,
    clopper_pearson,
    consistent,
    coverage_runs,
    frequency_test,
    guess_and_check,
    random_teacher,
    simulated,
    uniform_on_consistent,
)


def _renamed(expr):
    from derivations import guess_and_check as gc

    names = {
        gc.N: "N",
        gc.d0: "d0",
        gc.d1: "d1",
        gc.d1_star: "d1_star",
        gc.q: "q",
        gc.delta: "delta",
        gc.eta: "eta",
    }
    return expr.xreplace({s: sp.Symbol(names[s]) for s in expr.free_symbols})


def _derived(name):
    def build():
        from derivations import guess_and_check as gc

        return _renamed(
            {
                "exact_match": lambda: gc.exact_match().result,
                "lower_bound": lambda: gc.match_lower_bound().result,
                "bound": lambda: gc.BOUND,
                "plain_bound": gc.plain_bound,
                "saving": lambda: gc.comparison().result,
            }[name]()
        )

    return build


def _tail():
    from derivations import guess_and_check as gc

    # P(t > T) = u^n with u = 1 - p and n = floor(T) (derivations.guess_and_check.stopping_time)
    p, T = sp.symbols("p T")
    return (gc.u**gc.n).xreplace({gc.u: 1 - p, gc.n: sp.floor(T)})


def _match_function():
    from derivations.guess_and_check import match_probability

    return match_probability


def _declare():
    claim(
        "guess_and_check.match_probability",
        "derivations.guess_and_check.match_probability(W1, w2, q) is the exact share of the "
        "students that compute the teacher's function at every x (enumeration)",
        method="enumeration",
        answer="implementation",
        derived=_match_function,
    )(_match_check)
    claim(
        "guess_and_check.exact_match",
        "P(w = w*) = q^-(d0·d1 + d1) for a uniform student: every weight, incoming and outgoing",
        method="enumeration",
        answer="expression",
        variables=SHAPE,
        derived=_derived("exact_match"),
        domain={n: DOMAIN[n] for n in SHAPE},
        near_misses={
            typed("q") ** (-typed("d0") * typed("d1")): "the d1 output weights are parameters too"
        },
    )(_exact_match_check)
    claim(
        "guess_and_check.lower_bound",
        "p* >= q^-(d0·d1* + d1) for every teacher with at most d1* non-zero neurons: the "
        "share of the students that copy it and silence the other units (exact enumeration)",
        method="enumeration",
        answer="expression",
        variables=NARROW,
        derived=_derived("lower_bound"),
        domain={n: DOMAIN[n] for n in NARROW},
    )(_lower_bound_check)
    claim(
        "guess_and_check.stopping_time",
        "guess and check stops after t guesses with P(t > T) = (1 - p_S)^floor(T), p_S the "
        "share of students that fit the sample (simulated)",
        method="monte-carlo",
        answer="expression",
        variables=TAIL_VARIABLES,
        derived=_tail,
        domain={n: DOMAIN[n] for n in TAIL_VARIABLES},
    )(_stopping_check)
    claim(
        "guess_and_check.output_law",
        "guess and check returns each student that fits the sample with the same probability",
        method="monte-carlo",
        answer="distribution",
        derived=uniform_on_consistent,
    )(_output_check)
    claim(
        "guess_and_check.bound",
        "Theorem 1: eps < ((d0·d1* + d1) log q + log(1/delta) + log log(1/eta))/N, the "
        "finite-class bound over T = log(1/eta)/p* guesses (natural logs)",
        method="exact",
        answer="expression",
        variables=BOUND_VARIABLES,
        derived=_derived("bound"),
        domain={n: DOMAIN[n] for n in BOUND_VARIABLES},
    )(_bound_check)
    claim(
        "guess_and_check.coverage",
        "with narrow teachers and Gaussian inputs the exact error of guess and check reaches "
        "Theorem 1's bound in at most a share 1 - (1 - eta)(1 - delta) of runs",
        method="monte-carlo",
        answer="expression",
        variables=BOUND_VARIABLES,
        derived=_derived("bound"),
        domain={n: DOMAIN[n] for n in BOUND_VARIABLES},
    )(_coverage_check)
    claim(
        "guess_and_check.plain_bound",
        "the finite-class bound over every student: ((d0·d1 + d1) log q + log(1/delta))/N",
        method="exact",
        answer="expression",
        variables=PLAIN_VARIABLES,
        derived=_derived("plain_bound"),
        domain={n: DOMAIN[n] for n in PLAIN_VARIABLES},
    )(_plain_check)
    d0, d1, ds, q, N = (typed(n) for n in ("d0", "d1", "d1_star", "q", "N"))
    claim(
        "guess_and_check.saving",
        "the plain bound minus Theorem 1: (d0(d1 - d1*) log q - log log(1/eta))/N",
        method="exact",
        answer="expression",
        variables=BOUND_VARIABLES,
        derived=_derived("saving"),
        domain={n: DOMAIN[n] for n in BOUND_VARIABLES},
        near_misses={
            d0
            * (d1 - ds)
            * sp.log(q)
            / N: "the saving in the complexity term; the random number of guesses costs "
            "log log(1/eta)/N of it back"
        },
    )(_saving_check)


_declare()

__all__ = [
    "ARCHITECTURES",
    "BOUND_VARIABLES",
    "COVERAGE",
    "DOMAIN",
    "LEVEL",
    "MATCH_TEACHERS",
    "NARROW",
    "PLAIN_VARIABLES",
    "POINTS",
    "SHAPE",
    "SHAPES",
    "STOP",
    "TAILS",
    "TAIL_VARIABLES",
    "Coverage",
    "Setting",
    "clopper_pearson",
    "consistent",
    "coverage_runs",
    "equal_students",
    "exact_shares",
    "frequency_test",
    "get",
    "guess_and_check",
    "random_teacher",
    "simulated",
    "teachers",
    "typed",
    "uniform_on_consistent",
    "value",
]
