"""The formulas against the finite-class equations ``count · e^(−εN) = δ``, solved by root
finding (no logarithm identities), at points where no parameter is 1 and δ ≠ η.

>>> round(_solve(10.0, 2, 0.1), 6)  # log(100)/2
2.302585
"""

from __future__ import annotations

import math

from verify.claims import Evidence, Witness
from verify.guess_and_check import networks as nw
from verify.guess_and_check.common import BOUND_VARIABLES, PLAIN_VARIABLES, value
from verify.guess_and_check.enumeration import SHAPES
from verify.lazy import lazy

optimize = lazy("scipy.optimize")


# --- exact: the formulas against the finite-class equations ----------------------------------
#: (N, d0, d1, d1*, q, δ, η): no parameter 1 but d0 once, δ ≠ η, q from 3 to 9, η on both
#: sides of 1/e (where log log(1/η) changes sign)
POINTS = (
    (50, 2, 3, 1, 3, 0.05, 0.2),
    (200, 1, 4, 2, 5, 0.01, 0.6),
    (17, 3, 5, 2, 7, 0.2, 0.05),
    (1000, 2, 6, 3, 9, 0.3, 0.01),
    (8, 2, 2, 1, 3, 0.5, 0.9),
)


def _solve(count: float, N: int, delta: float) -> float:
    """The ε with ``count · e^(−εN) = δ`` (brentq on ``[0, hi]``; ``count ≥ 1 > δ``)."""
    hi = 1.0 / N
    while count * math.exp(-hi * N) >= delta:
        hi *= 2
    return float(
        optimize.brentq(lambda e: count * math.exp(-e * N) - delta, 0, hi, xtol=1e-15, rtol=1e-14)
    )


def _compare(candidate, names, reference, label):
    worst = None
    for N, d0, d1, ds, q, delta, eta in POINTS:
        point = {"N": N, "d0": d0, "d1": d1, "d1_star": ds, "q": q, "delta": delta, "eta": eta}
        ref = reference(N, d0, d1, ds, q, delta, eta)
        got = float(value(candidate, names, {n: point[n] for n in names}))
        gap = abs(got - ref) / max(1.0, abs(ref)) if math.isfinite(got) else math.inf
        if worst is None or gap > worst[0]:
            worst = (gap, Witness({n: point[n] for n in names}, got, ref))
    gap, witness = worst
    return Evidence(
        passed=gap <= 1e-9,
        error=gap,
        tolerance=1e-9,
        n=len(POINTS),
        witness=witness,
        message=(
            f"{label} at {len(POINTS)} points: largest relative gap {gap:.2g} at "
            f"{witness.point} (candidate {witness.candidate:.10g}, root {witness.reference:.10g})"
        ),
    )


def _theorem_reference(N, d0, d1, ds, q, delta, eta):
    guesses = math.log(1 / eta) * float(q) ** (d0 * ds + d1)  # T = log(1/η)/p*
    return _solve(guesses, N, delta)


def _plain_reference(N, d0, d1, ds, q, delta, eta):
    return _solve(float(q) ** (d0 * d1 + d1), N, delta)


def _bound_check(candidate, seed):
    return _compare(
        candidate,
        BOUND_VARIABLES,
        _theorem_reference,
        "the candidate against the root of T e^(-eps N) = delta, T = log(1/eta) q^(d0 d1* + d1)",
    )


def _plain_check(candidate, seed):
    # |F| as counted: the number of rows of Q^k for the small shapes (checks q^k itself)
    for d0, d1, q in SHAPES:
        if len(nw.all_students(d0, d1, q)[1]) != q ** (d0 * d1 + d1):
            raise AssertionError("the enumeration of Q^k miscounts")
    return _compare(
        candidate,
        PLAIN_VARIABLES,
        _plain_reference,
        "the candidate against the root of |F| e^(-eps N) = delta, |F| = q^(d0 d1 + d1)",
    )


def _saving_check(candidate, seed):
    def gap(*args):
        return _plain_reference(*args) - _theorem_reference(*args)

    return _compare(
        candidate, BOUND_VARIABLES, gap, "the candidate against the difference of the two roots"
    )
