"""Comparing constants: numbers, items of a sequence, distributions, interval ends.

- **number**: exact when both are rationals; otherwise ``|a − r| ≤ NUMBER_RTOL·|r|``
  at 200 bits, ``NUMBER_RTOL = 2**-40`` (about 9e-13: a derived float carries a few ulps of
  round-off, and a typed decimal of 13 significant digits lies within 5e-14 of its value).
- **sequence**: same length, then item by item as numbers.
- **distribution**: the same outcomes with positive probability, and each probability within
  :data:`PROBABILITY_ATOL` (1e-9: probabilities typed to nine decimals).
- **interval**: ends equal exactly (SymPy, with the 200-bit comparison for non-rational ends)
  and the same ends open.

>>> numbers([sp.Rational(1, 4)], [sp.Float(0.25)], "item").verdict
'equivalent'
>>> intervals(sp.Interval(0, sp.oo), sp.Interval.open(0, sp.oo)).reason
'the lower end 0 is closed in the answer, open in the derived result'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import sympy as sp

from verify.answers.numeric import MP, evaluate
from verify.evidence import CANNOT_CHECK, EQUIVALENT, NOT_EQUIVALENT, Witness

NUMBER_RTOL = 2.0**-40
PROBABILITY_ATOL = 1e-9


@dataclass
class Outcome:
    """A decision: verdict, the reason in words, the witness of a difference, and counts."""

    verdict: str
    reason: str
    witness: Witness | None = None
    method: str = "exact"
    n: int | None = None
    details: dict = field(default_factory=dict)


def as_expr(value):
    """A derived result's number as SymPy (never text: a derived result is never a string).

    >>> as_expr(3), as_expr(0.5)
    (3, 0.500000000000000)
    """
    if isinstance(value, bool) or isinstance(value, str):
        raise TypeError(f"reference: a number or SymPy object is required, got {value!r}")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.Float(value)
    if isinstance(value, sp.Basic | sp.MatrixBase):
        return value
    return sp.Float(float(value))  # NumPy scalars


def _mp_number(value):
    """A SymPy constant at 200 bits (nan if it is not a real number)."""
    v, _, _ = evaluate(value, {}, MP)
    return v


def _same_number(a, b):
    """(equal, a_value, b_value) for two real constants."""
    if a.is_Rational and b.is_Rational:
        return a == b, a, b
    va, vb = _mp_number(a), _mp_number(b)
    if not (mpmath.isfinite(va) and mpmath.isfinite(vb)):
        return (va == vb), va, vb
    # relative to the derived value at every scale: a result of 1e-16 is not 0 (a floor such
    # as max(|r|, 1) would accept any answer below 1e-12 there)
    return abs(va - vb) <= NUMBER_RTOL * abs(vb), va, vb


def _hint(candidate, reference) -> dict:
    """For a near miss (within 1e-3 relative), say how close a number must be."""
    try:
        c, r = float(candidate), float(reference)
    except (TypeError, ValueError):
        return {}
    if abs(c - r) <= 1e-3 * abs(r):
        return {
            "hint": f"close, but numbers must agree within {NUMBER_RTOL:.2g} relative: type 13 "
            "significant digits, or the exact value"
        }
    return {}


def numbers(candidate, reference, what: str) -> Outcome:
    for i, (c, r) in enumerate(zip(candidate, reference, strict=True)):
        same, cv, rv = _same_number(c, r)
        if not same:
            point = {} if what == "the value" else {what: i + 1}
            label = what if what == "the value" else f"{what} {i + 1}"
            hint = _hint(cv, rv)
            return Outcome(NOT_EQUIVALENT, f"{label} differs", Witness(point, cv, rv), details=hint)
    exact = all(c.is_Rational and r.is_Rational for c, r in zip(candidate, reference, strict=True))
    how = "equal exactly" if exact else f"equal within {NUMBER_RTOL:.2g} relative"
    return Outcome(EQUIVALENT, how, n=len(candidate))


def distributions(candidate: dict, reference: dict) -> Outcome:
    def support(d):
        return {int(k) for k, p in d.items() if float(p) > 0}

    ref = {int(k): as_expr(p) for k, p in reference.items()}
    if support(candidate) != support(ref):
        extra = sorted(support(candidate) - support(ref))
        missing = sorted(support(ref) - support(candidate))
        key = (extra or missing)[0]
        return Outcome(
            NOT_EQUIVALENT,
            f"outcomes differ: {'extra ' + str(extra) if extra else ''}"
            f"{' ' if extra and missing else ''}{'missing ' + str(missing) if missing else ''}",
            Witness({"outcome": key}, candidate.get(key, 0), ref.get(key, 0)),
        )
    for k in sorted(support(ref)):
        c, r = _mp_number(as_expr(candidate[k])), _mp_number(ref[k])
        if not abs(c - r) <= PROBABILITY_ATOL:
            return Outcome(NOT_EQUIVALENT, f"P({k}) differs", Witness({"outcome": k}, c, r))
    return Outcome(
        EQUIVALENT, f"same outcomes, probabilities within {PROBABILITY_ATOL:g}", n=len(ref)
    )


def intervals(candidate: sp.Interval, reference) -> Outcome:
    if not isinstance(reference, sp.Interval):
        return Outcome(CANNOT_CHECK, f"the derived result {reference} is not an interval")
    for side, c, r, c_open, r_open in (
        ("lower end", candidate.inf, reference.inf, candidate.left_open, reference.left_open),
        ("upper end", candidate.sup, reference.sup, candidate.right_open, reference.right_open),
    ):
        same = c == r
        if not same and c.is_finite and r.is_finite:
            same = _same_number(c, r)[0] and not (c.is_Rational and r.is_Rational)
        if not same:
            return Outcome(
                NOT_EQUIVALENT,
                f"the {side} differs",
                Witness({"end": side}, c, r),
                details=_hint(c, r) if c.is_finite and r.is_finite else {},
            )
        if c.is_finite and c_open != r_open:
            shown = {True: "open", False: "closed"}
            return Outcome(
                NOT_EQUIVALENT,
                f"the {side} {c} is {shown[c_open]} in the answer, {shown[r_open]} in the "
                "derived result",
                Witness({"end": side}, shown[c_open], shown[r_open]),
            )
    return Outcome(EQUIVALENT, "same ends, same brackets", n=2)
