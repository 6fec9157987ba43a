"""Exact proofs of equality that cannot hang: a cheap chain of rewrites under a time budget.

``sympy.simplify`` may run for minutes on a few hundred characters, and ``expand`` of
``(x + y + z + w)^100`` builds 176,851 terms. A proof here is a short chain (``expand``;
rewrite ``sigmoid``, ``Phi`` and the hyperbolic functions through ``exp``/``erf``; then
``cancel`` and ``expand`` of the numerator) in which each step runs only if an estimate of
its output size stays below :data:`MAX_TERMS`, and the whole chain runs under a wall-clock
budget (a ``SIGPROF`` timer on the process's CPU time, or a profile hook where there is
no timer; off the main thread no proof is tried). When the chain does not
reach zero the answer is not refuted: the caller falls back to evaluation.

>>> x = sp.Symbol("x", real=True)
>>> prove_equal(1 - sp.tanh(x) ** 2, sp.sech(x) ** 2)
True
>>> prove_equal(sp.Max(0, x), x) is None
True
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from contextlib import contextmanager

import sympy as sp

#: Seconds the proof of one pair may take.
BUDGET = 0.5
#: Largest estimated number of terms an expansion may produce.
MAX_TERMS = 2000


class TimeUp(BaseException):  # noqa: N818 - reads as what happened
    """The time budget ran out.

    A ``BaseException``, so that no ``except Exception`` inside SymPy swallows it.
    """


#: Calls and returns between two looks at the clock when the deadline is kept by a profile
#: hook (where there is no ``setitimer``: Pyodide); a look costs about a microsecond.
CHECK_EVERY = 200


@contextmanager
def time_limit(seconds: float, *, off_main_thread: str = "refuse"):
    """Raise :class:`TimeUp` in the body after ``seconds`` of CPU time.

    The timer is ``SIGPROF``, which only the main thread handles. Off the main thread,
    ``off_main_thread="refuse"`` raises :class:`TimeUp` at once without running the body (an
    optional proof is skipped rather than risked), ``"run"`` runs the body unbounded (for work
    that is bounded by construction and timed only as a safety net). Where the platform has
    no ``signal.setitimer`` (Pyodide: no signals, no threads) a profile hook
    (``sys.setprofile``) looks at the CPU clock every :data:`CHECK_EVERY` Python-level and
    C-level calls and raises there.

    >>> with time_limit(1.0):
    ...     sum(range(10))
    45
    """
    if not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError(f"seconds: a positive number is required, got {seconds!r}")
    if off_main_thread not in ("refuse", "run"):
        raise ValueError(f"off_main_thread: 'refuse' or 'run', got {off_main_thread!r}")
    if threading.current_thread() is not threading.main_thread():
        if off_main_thread == "refuse":
            raise TimeUp("no timer off the main thread")
        yield
        return
    if not hasattr(signal, "setitimer"):
        with _profiled_limit(seconds):
            yield
        return

    def expire(signum, frame):
        raise TimeUp(f"over {seconds:g} s")

    # CPU time of this process, not wall time: on a busy machine (two cores shared by many
    # jobs) a wall-clock budget would refuse honest work that merely waited for a core
    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@contextmanager
def _profiled_limit(seconds: float):
    """:func:`time_limit` by a profile hook: :class:`TimeUp` raised from inside the body."""
    deadline = time.process_time() + seconds
    previous = sys.getprofile()
    count = 0

    def hook(frame, event, arg):
        nonlocal count
        count += 1
        if count >= CHECK_EVERY:
            count = 0
            if time.process_time() > deadline:
                sys.setprofile(previous)  # raised once; the handlers that unwind run freely
                raise TimeUp(f"over {seconds:g} s")

    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)


def expansion_size(expr) -> float:
    """An upper estimate of the number of terms ``sympy.expand(expr)`` produces.

    >>> x, y = sp.symbols("x y")
    >>> expansion_size((x + y + 1) ** 2), expansion_size((x + y) ** 100 * (x + 1))
    (6, 202)
    """
    if isinstance(expr, sp.Add):
        return sum(expansion_size(a) for a in expr.args)
    if isinstance(expr, sp.Mul):
        return math.prod(expansion_size(a) for a in expr.args)
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 0:
        n, e = expansion_size(expr.base), int(expr.exp)
        if n > MAX_TERMS or e > 10_000:
            return math.inf
        return math.comb(int(n) + e - 1, e)
    return 1


def _rewritten(expr):
    from derivations.functions import Phi, sigmoid

    replaced = expr.replace(lambda e: isinstance(e, sigmoid | Phi), lambda e: e._elementary())
    return replaced.rewrite(sp.exp)


def _zero(expr) -> bool:
    if expr == 0:
        return True
    if expansion_size(expr) <= MAX_TERMS and sp.expand(expr) == 0:
        return True
    return False


def _chain(difference) -> bool:
    if _zero(difference):
        return True
    if difference.has(sp.Piecewise, sp.Heaviside, sp.sign, sp.Abs, sp.Max, sp.Min):
        return False
    rewritten = _rewritten(difference)
    if _zero(rewritten):
        return True
    together = sp.together(rewritten)
    numerator, _ = sp.fraction(together)
    if _zero(numerator):
        return True
    if expansion_size(numerator) <= MAX_TERMS:
        return sp.cancel(sp.expand(numerator)) == 0
    return False


def prove_equal(a, b, *, budget: float = BUDGET):
    """``True`` if the chain proves ``a == b``; ``None`` if it cannot tell in ``budget`` s.

    It never returns ``False``: failing to prove is not a refutation.

    >>> x = sp.Symbol("x", real=True)
    >>> prove_equal(sp.exp(x) / (1 + sp.exp(x)), 1 / (1 + sp.exp(-x)))
    True
    """
    if a == b:
        return True
    try:
        with time_limit(budget):
            return True if _chain(a - b) else None
    except TimeUp:
        return None
    except (RecursionError, MemoryError, ArithmeticError, TypeError, ValueError):
        return None
