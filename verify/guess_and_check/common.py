"""What every claim of the topic shares: the answer's names and domain, and how a candidate
is evaluated at a point (exactly, where it is rational there).

>>> value(typed("q") ** -2, ("q",), {"q": 3})
Fraction(1, 9)
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

LEVEL = 1e-6
#: Names a typed answer uses.
SHAPE = ("d0", "d1", "q")
NARROW = ("d0", "d1", "d1_star", "q")
BOUND_VARIABLES = ("N", "d0", "d1", "d1_star", "q", "delta", "eta")
PLAIN_VARIABLES = ("N", "d0", "d1", "q", "delta")
TAIL_VARIABLES = ("p", "T")
_INT = (1, math.inf, "integer")
DOMAIN = {
    "N": _INT,
    "d0": _INT,
    "d1": _INT,
    "d1_star": (0, math.inf, "integer"),
    "q": (3, math.inf, "integer"),
    # δ, η ∈ (0, 1): the answer checker includes a domain's ends, so they stop short of them
    "delta": (1e-6, 0.99),
    "eta": (1e-6, 0.99),
    "p": (0, 1),
    "T": (0, math.inf),
}


def typed(name: str) -> sp.Symbol:
    """The symbol a typed answer's parser makes for ``name``: integer, positive or
    non-negative as its :data:`DOMAIN` says (so a near miss compares equal to it).

    >>> typed("d1_star").is_nonnegative, typed("q").is_integer
    (True, True)
    """
    low, _, *kind = DOMAIN[name]
    a = {"integer": True} if kind == ["integer"] else {}
    a["positive" if low > 0 else "nonnegative"] = True
    return sp.Symbol(name, **a)


def value(candidate, names, point):
    """The candidate at ``point`` (name -> number): a ``Fraction`` when it is rational there.

    >>> d0, q = sp.symbols("d0 q")
    >>> value(q ** (-d0), ("d0", "q"), {"d0": 2, "q": 3})
    Fraction(1, 9)
    """
    if isinstance(candidate, sp.Basic):
        by_name = {s.name: s for s in candidate.free_symbols}
        unknown = sorted(set(by_name) - set(names))
        if unknown:
            raise ValueError(f"candidate: unknown names {unknown}; allowed: {', '.join(names)}")
        exact = {by_name[n]: _rational(v) for n, v in point.items() if n in by_name}
        v = candidate.xreplace(exact)
        if v.is_Rational:
            return Fraction(int(v.p), int(v.q))
        v = complex(sp.N(v, 30))
        return v.real if v.imag == 0 else math.nan
    got = candidate(
        *[float(point[n]) if isinstance(point[n], Fraction) else point[n] for n in names]
    )
    return got if isinstance(got, Fraction | int) else float(got)


def _rational(v):
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    return sp.Rational(str(v)) if isinstance(v, float) else sp.Integer(v)


def _same(got, exact: Fraction) -> bool:
    """Exactly equal, or, for a float (a candidate given as a function), equal to 1e-12."""
    if isinstance(got, float):
        return math.isfinite(got) and abs(got - float(exact)) <= 1e-12 * float(exact)
    return got == exact
