"""The array module the answer checker computes with: NumPy where it imports, else plain Python.

The checker runs in two places: under CPython for ``python -m verify check-answer``, and in
the book's pages under Pyodide, where NumPy is not loaded. Both run the same code, over
``xp``: NumPy itself when it can be imported (and ``DV_PURE_ARRAYS`` is not set), otherwise
:mod:`verify.answers.purearrays`, which gives the same float64 results (IEEE 754: ``inf``
and ``nan`` where ``math`` would raise) on lists. Only the speed differs, by about
:data:`SLOWDOWN`: :func:`clock` charges float64 array work (timed by :func:`charged`) at
NumPy's rate, so that a time budget buys the same work in both and the verdicts agree.

>>> float(xp.exp(xp.asarray([1000.0]))[0])
inf
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager

try:
    if os.environ.get("DV_PURE_ARRAYS"):
        raise ImportError("DV_PURE_ARRAYS is set")
    import numpy as xp
except ImportError:
    from verify.answers import purearrays as xp

#: Whether ``xp`` is the plain-Python module.
PURE = not hasattr(xp, "ndarray")

if PURE:
    erf, erfc = xp.erf, xp.erfc

    def broadcast(value, shape):
        """``value`` as a new float64 array of ``shape``."""
        return xp.broadcast(value, shape)

    def flags(value, shape):
        """``value`` as a new bool array of ``shape``."""
        return value.copy() if isinstance(value, xp.Vec) else xp.full(shape, bool(value))

    def scaled(k, m, k_m):
        """``k·m``, but 0 where ``m == 0`` and ``k`` is infinite with ``k_m == 0``, and inf
        there when ``k_m != 0`` (see ``numeric._Evaluation.scale``): one pass here."""
        vecs = [a for a in (k, m, k_m) if isinstance(a, xp.Vec)]
        if not vecs:
            if m == 0 and abs(k) == math.inf:
                return 0.0 if k_m == 0 else math.inf
            return k * m
        n = len(vecs[0].v)
        ks, ms, kms = (a.v if isinstance(a, xp.Vec) else [a] * n for a in (k, m, k_m))
        inf = math.inf
        return xp.Vec(
            [
                (0.0 if c == 0 else inf) if (b == 0 and abs(a) == inf) else a * b
                for a, b, c in zip(ks, ms, kms, strict=True)
            ]
        )

else:
    _erf, _erfc = xp.frompyfunc(math.erf, 1, 1), xp.frompyfunc(math.erfc, 1, 1)

    def erf(a):
        return _erf(a).astype(xp.float64)

    def erfc(a):
        return _erfc(a).astype(xp.float64)

    def broadcast(value, shape):
        return xp.broadcast_to(xp.asarray(value, xp.float64), shape).copy()

    def flags(value, shape):
        return xp.broadcast_to(value, shape).copy()

    def scaled(k, m, k_m):
        with xp.errstate(invalid="ignore"):
            t = k * m
        zero_inf = (m == 0) & xp.isinf(k)
        return xp.where(zero_inf, xp.where(k_m == 0, 0.0, math.inf), t)


#: About how many times slower the plain-Python arrays are than NumPy's (measured: 15 to 30
#: on the checker's expressions at 5,000 to 23,000 points).
SLOWDOWN = 25.0 if PURE else 1.0
_rebate, _depth = 0.0, 0


def clock() -> float:
    """CPU seconds, with float64 array work counted at NumPy's speed (:func:`charged`)."""
    return time.process_time() - _rebate


@contextmanager
def charged():
    """Time the body as float64 array work: :func:`clock` counts it at NumPy's rate."""
    global _rebate, _depth
    if not PURE or _depth:  # NumPy, or counted already by an enclosing charge
        yield
        return
    start = time.process_time()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        _rebate += (time.process_time() - start) * (1 - 1 / SLOWDOWN)
