"""Guess and check: the generalization bound for quantized networks with a narrow teacher.

A student ``f_w(x) = sign(w₂ᵀ[W₁x]₊)`` (no biases) has ``d0`` inputs, ``d1`` hidden units and
``k = d0·d1 + d1`` parameters, each uniform on ``Q = {−(q−1)/2, …, (q−1)/2}`` (``q`` odd). A
teacher of the same form, with weights in ``Q``, labels the data; it has at most
``d1* < d1`` non-zero neurons. *Guess and check* draws i.i.d. parameter vectors until one
fits the ``N`` training points. The result is Buzaglo et al., "How Uniform Random Weights
Induce Non-uniform Bias" (ICML 2024): with probability ``(1 − η)(1 − δ)``,
``ε < ((d0·d1* + d1) log q + log(1/δ) + log log(1/η))/N`` — the sample complexity of the
*teacher*, not of the student. Logarithms are natural throughout.

The chains, each checked by :class:`~derivations.core.Derivation`: :func:`exact_match`
(``P(w = w*) = q^−k``), :func:`match_lower_bound` (the students that copy the teacher and
silence the other units), :func:`stopping_time` and :func:`guess_count` (the geometric tail
of the number of guesses), :func:`theorem` (the finite-class bound over those guesses),
:func:`without_approximations` (what holds with ``⌈·⌉``, ``log(1 − p*)`` and ``(1 − ε)^N``
kept) and :func:`comparison` (against the plain bound over the whole class).
:func:`~derivations.guess_and_check.equality.match_probability` gives the exact ``p*``.

>>> lower_bound(2, 3, 1, 3)          # q^-(d0·d1* + d1) = 3^-5
Fraction(1, 243)
>>> round(generalization_bound(100, 2, 3, 1, 3, 0.1, 0.1), 4)
0.0863
>>> round(finite_class_bound(100, 2, 3, 3, 0.1), 4)  # (9 log 3 + log 10)/100
0.1219
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.guess_and_check.equality import match_probability, odd_q, rays
from derivations.printing import Equation, Notation
from derivations.render import Reason

q = sp.Symbol("q", positive=True)
d0 = sp.Symbol("d_0", positive=True, integer=True)
d1 = sp.Symbol("d_1", positive=True, integer=True)
d1_star = sp.Symbol("d_1^*", positive=True, integer=True)
N = sp.Symbol("N", positive=True, integer=True)
delta = sp.Symbol("delta", positive=True)
eta = sp.Symbol("eta", positive=True)
#: ``1 − p`` for a success probability ``p ∈ (0, 1)`` (positive, so SymPy may take logs)
u = sp.Symbol("u", positive=True)
n = sp.Symbol("n", positive=True, integer=True)
T = sp.Symbol("T", positive=True)
epsilon = sp.Symbol("epsilon", positive=True)
p_star = sp.Symbol("p^*", positive=True)

#: Where the chains are spot-checked: q ≥ 3, widths from 1 to 8, δ, η in (0, 1).
DOMAIN = {
    q: (3, 9),
    d0: (1, 4),
    d1: (2, 8),
    d1_star: (1, 2),
    N: (5, 500),
    delta: (0.01, 0.9),
    eta: (0.01, 0.9),
    u: (0.05, 0.95),
    n: (1, 20),
    T: (1, 1e6),
}

PARAMETERS = d0 * d1 + d1
TEACHER_PARAMETERS = d0 * d1_star + d1


@lru_cache
def exact_match() -> Derivation:
    """``P(w = w*) = q^−(d0·d1 + d1)``: every parameter independent and uniform on ``Q``.

    >>> exact_match().result
    q**(-d_0*d_1 - d_1)
    """
    i, j = sp.symbols("i j", positive=True, integer=True)
    steps = [
        Step(
            sp.Product(1 / q, (i, 1, d0 * d1)) * sp.Product(1 / q, (j, 1, d1)),
            Reason(
                "{} incoming and {} outgoing weights, each equal with probability {}",
                (d0 * d1, d1, 1 / q),
            ),
        ),
        Step(q ** (-d0 * d1) * q ** (-d1), "product of constants"),
        Step(q ** (-PARAMETERS), "collect the exponents"),
    ]
    return Derivation(
        "the probability of guessing the teacher's weights",
        [q, d0, d1],
        steps,
        domain=DOMAIN,
        lhs=sp.Symbol("P(w = w^*)"),
    )


@lru_cache
def match_lower_bound() -> Derivation:
    """``p* ≥ q^−(d0·d1* + d1)``: the probability of the students that copy the teacher.

    Keep the ``d1*`` units where the teacher's non-zero neurons sit: copy their
    ``d0·d1* + d1*`` weights, set the other ``d1 − d1*`` output weights to 0, and leave the
    ``d0(d1 − d1*)`` incoming weights of those silenced units free. Each such student has
    the teacher's pre-sign output ``g`` exactly, so its function whatever ``sign(0)`` is.

    >>> match_lower_bound().result
    q**(-d_0*d_1^* - d_1)
    """
    free = d0 * (d1 - d1_star)
    steps = [
        Step(
            q**free * q ** (-PARAMETERS),
            Reason(
                "{} students (the free incoming weights), each of probability {}",
                (q**free, q ** (-PARAMETERS)),
            ),
        ),
        Step(q ** (free - PARAMETERS), "one power of q"),
        Step(
            q ** (-TEACHER_PARAMETERS),
            Reason("{}", (Equation(PARAMETERS - free, sp.expand(PARAMETERS - free)),)),
        ),
    ]
    return Derivation(
        "students that copy a narrow teacher",
        [q, d0, d1, d1_star],
        steps,
        domain=DOMAIN,
        lhs=sp.Symbol("P(copy)"),
        notes=("p* = P(f_w = f_w*) >= P(copy): every copy computes the teacher's function",),
    )


@lru_cache
def stopping_time() -> Derivation:
    """``⌊T⌋ = log P(t > T)/log(1 − p)``, from ``P(t > T) = (1 − p)^⌊T⌋``.

    Each guess fits the training set ``S`` independently with the same probability
    ``p = p_S`` (the share of ``Q^k`` consistent with ``S``), so the number of guesses ``t`` is
    geometric: ``P(t > T) = P(t > ⌊T⌋) = (1 − p)^⌊T⌋`` for real ``T ≥ 0``. The teacher's class
    fits every sample, so ``p_S ≥ p*`` and ``P(t > T) ≤ (1 − p*)^⌊T⌋``. Here ``u = 1 − p``
    and ``n = ⌊T⌋``.

    >>> stopping_time().result
    n
    """
    steps = [
        Step(sp.log(u**n) / sp.log(u), Reason("{}", (Equation(sp.Symbol("P(t > T)"), u**n),))),
        Step(n * sp.log(u) / sp.log(u), "log of a power"),
        Step(n, "cancel"),
    ]
    return Derivation(
        "the number of guesses from its tail",
        [u, n],
        steps,
        domain=DOMAIN,
        lhs=Notation("log P(t > T)/log(1 − p)", r"\log P(t > T)/\log(1 - p)"),
        notes=("with p >= p*: floor(T) <= log P(t > T)/log(1 - p*) (both logs negative)",),
    )


@lru_cache
def guess_count() -> Derivation:
    """At ``T_η = log η/log(1 − p*)`` guesses the tail bound is ``η``; ``≈ log(1/η)/p*``.

    ``−log(1 − p*) ≥ p*``, so ``T_η ≤ log(1/η)/p*``: the course's ``log(1 − p*) ≈ −p*``
    errs on the safe side. Here ``u = 1 − p*``.

    >>> guess_count().result
    eta
    """
    T_eta = sp.log(eta) / sp.log(u)
    steps = [
        Step(u**T_eta, Reason("{}", (Equation(T, T_eta),))),
        Step(sp.exp(T_eta * sp.log(u)), "a power as an exponential"),
        Step(sp.exp(sp.log(eta)), "cancel"),
        Step(eta, "exp of log"),
    ]
    return Derivation(
        "guesses enough with probability 1 - eta",
        [u, eta],
        steps,
        domain=DOMAIN,
        lhs=sp.Symbol("(1 - p^*)^T"),
        notes=("the course: T = log(1/eta)/p*, from log(1 - p*) ~ -p* and floor(T) ~ T",),
    )


@lru_cache
def finite_class() -> Derivation:
    """The finite-class bound for ``T`` hypotheses fixed before the sample is drawn.

    One of error at least ``ε`` fits ``N`` i.i.d. points with probability at most
    ``(1 − ε)^N ≤ e^(−εN)``; the union bound over the ``T`` is ``T e^(−εN)``, which equals
    ``δ`` at the ``ε`` SymPy solves for.

    >>> finite_class().result
    (log(T) + log(1/delta))/N
    """
    roots = sp.solve(sp.Eq(T * sp.exp(-epsilon * N), delta), epsilon)
    if len(roots) != 1:
        raise ArithmeticError(f"expected one root of T e^(-eps N) = delta, SymPy found {roots}")
    steps = [
        Step(roots[0], Reason("SymPy's root of {}", (Equation(T * sp.exp(-epsilon * N), delta),))),
        Step((sp.log(T) + sp.log(1 / delta)) / N, "log of a quotient"),
    ]
    return Derivation("the finite-class bound", [T, N, delta], steps, domain=DOMAIN, lhs=epsilon)


@lru_cache
def theorem() -> Derivation:
    """Theorem 1: :func:`finite_class` applied to the ``T = log(1/η)/p*`` guesses.

    The guesses are drawn independently of the sample, so they are fixed hypotheses for it;
    ``p* = q^−(d0·d1* + d1)`` (:func:`match_lower_bound`).

    >>> theorem().result
    ((d_0*d_1^* + d_1)*log(q) + log(1/delta) + log(log(1/eta)))/N
    """
    T_eta = sp.log(1 / eta) / q ** (-TEACHER_PARAMETERS)
    steps = [
        Step(
            finite_class().result.xreplace({T: T_eta}),
            Reason(
                "the finite-class bound at {} guesses, {}",
                (
                    Equation(T, sp.log(1 / eta) / p_star),
                    Equation(p_star, q ** (-TEACHER_PARAMETERS)),
                ),
            ),
        ),
        Step(
            (TEACHER_PARAMETERS * sp.log(q) + sp.log(1 / delta) + sp.log(sp.log(1 / eta))) / N,
            "log of a product",
        ),
    ]
    return Derivation(
        "the guess-and-check generalization bound",
        [N, delta, eta, q, d0, d1, d1_star],
        steps,
        domain=DOMAIN,
        lhs=epsilon,
        notes=(
            "with probability (1 - eta)(1 - delta) as the course states it; a union bound "
            "over the two failures gives 1 - eta - delta, which is smaller by eta*delta",
        ),
    )


@lru_cache
def without_approximations() -> Derivation:
    """What holds with nothing approximated: ``ε_r = 1 − (δ/n_η)^(1/N)``.

    ``n_η = ⌈log η/log(1 − p*)⌉`` guesses suffice with probability at least ``1 − η``, and
    among ``n_η`` fixed hypotheses one of error at least ``ε`` fits the sample with
    probability at most ``n_η(1 − ε)^N``, which is ``δ`` at ``ε_r`` (the chain checks that).
    So with probability at least ``1 − η − δ`` the output has error at most ``ε_r``.

    >>> without_approximations().result
    delta
    """
    eps_r = 1 - (delta / n) ** (1 / N)
    steps = [
        Step(n * (1 - eps_r) ** N, Reason("{}", (Equation(epsilon, eps_r),))),
        Step(n * ((delta / n) ** (1 / N)) ** N, "1 - (1 - a) = a"),
        Step(n * (delta / n), "a power of a root"),
        Step(delta, "cancel"),
    ]
    return Derivation(
        "the bound without approximations",
        [n, N, delta],
        steps,
        domain=DOMAIN,
        lhs=sp.Symbol("n_eta (1 - epsilon_r)^N"),
    )


#: The bound of Theorem 1 as an expression (natural logarithms).
BOUND = theorem().result


#: ``(log|F| + log(1/δ))/N`` with ``|F| = q^(d0·d1 + d1)``: the finite-class bound over every
#: student (:func:`comparison` proves it is :func:`finite_class` at ``T = |F|``).
PLAIN_BOUND = (PARAMETERS * sp.log(q) + sp.log(1 / delta)) / N


def plain_bound() -> sp.Expr:
    """The plain finite-class bound over every student, :data:`PLAIN_BOUND`.

    >>> plain_bound()
    ((d_0*d_1 + d_1)*log(q) + log(1/delta))/N
    """
    return PLAIN_BOUND


@lru_cache
def comparison() -> Derivation:
    """The plain bound minus Theorem 1: ``(d0(d1 − d1*) log q − log log(1/η))/N``.

    The teacher's bound is better by ``d0(d1 − d1*) log q/N`` — the silenced units' incoming
    weights — less the ``log log(1/η)/N`` that the random number of guesses costs.

    >>> comparison().result
    (d_0*(d_1 - d_1^*)*log(q) - log(log(1/eta)))/N
    """
    steps = [
        Step(
            finite_class().result.xreplace({T: q**PARAMETERS}) - BOUND,
            Reason("the finite-class bound at {} minus Theorem 1", (Equation(T, q**PARAMETERS),)),
        ),
        Step(PLAIN_BOUND - BOUND, "log of a power"),
        Step(
            (PARAMETERS * sp.log(q) - TEACHER_PARAMETERS * sp.log(q) - sp.log(sp.log(1 / eta))) / N,
            Reason("{} cancels", (sp.log(1 / delta),)),
        ),
        Step((d0 * (d1 - d1_star) * sp.log(q) - sp.log(sp.log(1 / eta))) / N, "factor"),
    ]
    return Derivation(
        "how much the narrow teacher saves",
        [N, delta, eta, q, d0, d1, d1_star],
        steps,
        domain=DOMAIN,
        lhs=sp.Symbol("Delta epsilon"),
    )


# --- the closed forms as plain functions ------------------------------------------------
def _widths(d0_, d1_, d1_star_=None):
    d0_ = arg.count(d0_, "d0")
    d1_ = arg.count(d1_, "d1")
    if d1_star_ is None:
        return d0_, d1_, None
    d1_star_ = arg.integer(d1_star_, "d1_star", minimum=0)
    if d1_star_ >= d1_:
        raise ValueError(
            f"d1_star: a narrow teacher has d1_star < d1 = {d1_} non-zero neurons, got {d1_star_}"
        )
    return d0_, d1_, d1_star_


def _open_unit(value, name):
    return arg.probability(value, name, open_low=True, open_high=True)


def lower_bound(d0, d1, d1_star, q) -> Fraction:
    """``q^−(d0·d1* + d1)`` as an exact fraction: ``p*`` is at least this for every teacher
    with at most ``d1_star < d1`` non-zero neurons.

    >>> lower_bound(1, 3, 1, 5)
    Fraction(1, 625)
    >>> lower_bound(1, 3, 3, 5)
    Traceback (most recent call last):
    ...
    ValueError: d1_star: a narrow teacher has d1_star < d1 = 3 non-zero neurons, got 3
    """
    d0, d1, d1_star = _widths(d0, d1, d1_star)
    return Fraction(1, odd_q(q) ** (d0 * d1_star + d1))


_bound = sp.lambdify((N, d0, d1, d1_star, q, delta, eta), BOUND, "math")
_plain = sp.lambdify((N, d0, d1, q, delta), plain_bound(), "math")


def generalization_bound(N, d0, d1, d1_star, q, delta, eta) -> float:
    """Theorem 1: ``((d0·d1* + d1) log q + log(1/δ) + log log(1/η))/N``, natural logs.

    >>> round(generalization_bound(50, 1, 4, 2, 5, 0.05, 0.2), 4)  # (6 log 5 + log 20 + log log 5)/50
    0.2626
    >>> generalization_bound(50, 1, 4, 2, 5, 0.05, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: eta: a real number in (0, 1) is required, got 1.0
    """
    N_ = arg.count(N, "N")
    d0_, d1_, ds = _widths(d0, d1, d1_star)
    q_ = odd_q(q)
    return float(_bound(N_, d0_, d1_, ds, q_, _open_unit(delta, "delta"), _open_unit(eta, "eta")))


def finite_class_bound(N, d0, d1, q, delta) -> float:
    """The plain bound over every student: ``((d0·d1 + d1) log q + log(1/δ))/N``.

    >>> round(finite_class_bound(50, 1, 4, 5, 0.05), 4)  # (8 log 5 + log 20)/50
    0.3174
    >>> finite_class_bound(50, 1, 4, 6, 0.05)
    Traceback (most recent call last):
    ...
    ValueError: q: an odd integer >= 3 is required (Q = {-(q-1)/2, ..., (q-1)/2}), got 6
    """
    N_ = arg.count(N, "N")
    d0_, d1_, _ = _widths(d0, d1)
    return float(_plain(N_, d0_, d1_, odd_q(q), _open_unit(delta, "delta")))


def guesses_needed(d0, d1, d1_star, q, eta) -> int:
    """``n_η = ⌈log η/log(1 − p*)⌉`` at ``p* = q^−(d0·d1* + d1)``: with probability at least
    ``1 − η`` guess and check stops within ``n_η`` guesses (computed exactly: ``log1p``).

    >>> guesses_needed(1, 2, 1, 3, 0.5)  # p* = 1/27: (26/27)^18 = 0.507 > 0.5 >= (26/27)^19
    19
    """
    p = float(lower_bound(d0, d1, d1_star, q))
    e = _open_unit(eta, "eta")
    return max(1, math.ceil(math.log(e) / math.log1p(-p)))


def rigorous_bound(N, d0, d1, d1_star, q, delta, eta) -> float:
    """``1 − (δ/n_η)^(1/N)`` (:func:`without_approximations`): with probability at least
    ``1 − η − δ`` the output's error is at most this. Never above Theorem 1's bound but by
    the rounding of ``n_η``:

    >>> rigorous_bound(50, 1, 4, 2, 5, 0.05, 0.2) < generalization_bound(50, 1, 4, 2, 5, 0.05, 0.2)
    True
    """
    N_ = arg.count(N, "N")
    d = _open_unit(delta, "delta")
    n_eta = guesses_needed(d0, d1, d1_star, q, eta)
    return -math.expm1(math.log(d / n_eta) / N_)


#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {
    "guess_and_check.exact_match": exact_match,
    "guess_and_check.match_lower_bound": match_lower_bound,
    "guess_and_check.stopping_time": stopping_time,
    "guess_and_check.guess_count": guess_count,
    "guess_and_check.finite_class": finite_class,
    "guess_and_check.theorem": theorem,
    "guess_and_check.without_approximations": without_approximations,
    "guess_and_check.comparison": comparison,
}

__all__ = [
    "BOUND",
    "DERIVATIONS",
    "comparison",
    "exact_match",
    "finite_class",
    "finite_class_bound",
    "generalization_bound",
    "guess_count",
    "guesses_needed",
    "lower_bound",
    "match_lower_bound",
    "match_probability",
    "PLAIN_BOUND",
    "plain_bound",
    "rays",
    "rigorous_bound",
    "stopping_time",
    "theorem",
    "without_approximations",
]
