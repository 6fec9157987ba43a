"""Comparing a candidate's outputs with a reference's: the worst entry, with its witness.

>>> ev = compare_pairs([("demo", {}, [("y", np.array([1.0]), np.array([1.0]), 1e-12)])])
>>> ev.passed, ev.n
(True, 1)
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from verify.claims import Evidence, as_function
from verify.evidence import Witness, worst_entry

#: Two sides compute the same float64 quantities in different orders; each loss or gradient
#: entry here is a sum of at most 7 terms of size ≤ 1000 (the logits), so they agree to within
#: a few ulps of 1000·7 ≈ 1e-12. Every wrong answer we test is off by more than 1e-3.
ATOL = 1e-11


def as_vector_function(candidate, names):
    """A SymPy candidate as a NumPy function of ``names``; a function is returned as it is.

    >>> as_vector_function(sp.Symbol("h") * 2, ("h",))(np.array([1.0, 3.0])).tolist()
    [2.0, 6.0]
    """
    if isinstance(candidate, sp.Basic):
        return as_function(candidate, names, vectorized=True)
    return candidate


def call(candidate, *args):
    """The candidate's output as float arrays, or the text of what it raised.

    >>> call(lambda x: (x, 2 * x), 1.0)
    ((array(1.), array(2.)), None)
    >>> call(lambda x: 1 / x, 0)
    (None, 'ZeroDivisionError: division by zero')
    """
    try:
        with np.errstate(all="ignore"):
            out = candidate(*args)
        return tuple(np.asarray(v, dtype=np.float64) for v in out), None
    except Exception as exc:  # noqa: BLE001 - a wrong implementation may raise anything
        return None, f"{type(exc).__name__}: {exc}"


def compare_pairs(items) -> Evidence:
    """The evidence of the worst comparison: ``items`` are ``(label, point, result)`` with
    ``result`` a list of ``(name, candidate array, reference array, tolerance)`` or the text
    of what the candidate raised (a failure, with that text as the witness).

    >>> ev = compare_pairs([("demo", {"x": 1}, [("y", np.array([1.0]), np.array([1.5]), 0.1)])])
    >>> ev.passed, ev.witness.candidate, ev.witness.reference
    (False, 1.0, 1.5)
    """
    worst, count = None, 0
    for label, point, result in items:
        if isinstance(result, str):
            return Evidence(
                passed=False,
                message=f"{label}: the candidate raised {result}",
                witness=Witness(point, result, "a value"),
            )
        for name, mine, theirs, tol in result:
            count += int(np.size(theirs))
            w = worst_entry(mine, theirs, {**point, "output": name})
            if np.shape(mine) != np.shape(theirs):
                gap = math.inf
            else:
                with np.errstate(invalid="ignore"):
                    diff = np.abs(np.asarray(mine, dtype=np.float64) - theirs)
                gap = float(np.max(np.where(np.isfinite(diff), diff, np.inf), initial=0.0))
            score = gap / tol if tol > 0 else (0.0 if gap == 0 else math.inf)
            if worst is None or score > worst[0]:
                worst = (score, label, name, gap, tol, w)
    score, label, name, gap, tol, w = worst
    passed = score <= 1
    return Evidence(
        passed=passed,
        error=gap,
        tolerance=tol,
        n=count,
        witness=w,
        message=(
            f"{count} values agree with torch (largest gap {gap:.2g}, in {name} on {label})"
            if passed
            else f"{label}: {name} differs from torch by {gap:.3g} (tolerance {tol:.1g})"
        ),
    )
