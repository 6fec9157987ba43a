"""Deciding whether a typed answer equals a claim's derived result, kind by kind.

- **expression, function, matrix (entrywise)**: an exact proof (:mod:`.proof`) where the
  bounded chain finds one; otherwise evaluation at every point of :mod:`.points` in float64,
  each value with its rounding bound (:mod:`.numeric`). A point where the two differ by more
  than ``SAFETY·u·(k_answer + k_reference)``, where either is not finite, or where float64
  cannot tell a branch, is re-evaluated in mpmath at 200 bits, which decides it; so do a few
  dozen points spread over the domain whatever float64 said. A difference mpmath confirms
  is the witness. Points exactly at a break of the *reference* (a kink, where a derivative
  takes the value of a convention, torch's) are compared last, exactly, so an answer right
  everywhere but at the kink is told so. Points where the reference is undefined are not
  compared.
- **number, sequence, distribution, interval**: see :mod:`verify.answers.values`.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> decide("expression", sp.sech(x) ** 2, 1 - sp.tanh(x) ** 2, ("x",), {}).verdict
'equivalent'
"""

from __future__ import annotations

import math
import operator
import time

import mpmath
import sympy as sp

from verify.answers import arrays
from verify.answers import points as pts
from verify.answers.arrays import xp
from verify.answers.numeric import MP, SAFETY, U64, Unsupported, evaluate
from verify.answers.proof import TimeUp, prove_equal, time_limit
from verify.answers.values import (
    Outcome,
    as_expr,
    distributions,
    intervals,
    numbers,
)
from verify.evidence import CANNOT_CHECK, EQUIVALENT, NOT_EQUIVALENT, Witness

#: Points mpmath re-evaluates at most (a sample of the disputed ones: the plainest first,
#: then spread over the rest), points it always re-evaluates, the seconds it may take in
#: all, and how many confirmed differences it looks at to choose the clearest witness.
MAX_REFEREED, ALWAYS_REFEREED, REFEREE_BUDGET, WITNESSES = 240, 48, 0.6, 12
#: CPU seconds one comparison may take in all, and of those at most: SymPy's exact roots
#: of the break arguments, SymPy's proofs. Past the total, what is left is not decided and
#: the verdict is "cannot check" (never "equivalent" on half the evidence).
CHECK_BUDGET, ROOT_BUDGET, PROOF_BUDGET = 1.1, 0.3, 0.4
#: Most points added around break points (each break point brings a few dozen).
MAX_EXTRA_POINTS = 40_000
#: The budgets are kept on :func:`arrays.clock`, which counts float64 work at NumPy's speed
#: (so the plain-Python arrays of the in-page checker decide as much as NumPy does); this
#: many times :data:`CHECK_BUDGET` of real CPU time is the most one comparison ever takes.
HARD_LIMIT = 4.0
_real_stop = math.inf  # set per comparison by expressions()


class OutOfTime(Exception):  # noqa: N818 - reads as what happened
    """The comparison used up :data:`CHECK_BUDGET`."""


def decide(kind, candidate, reference, variables=(), domain=None, *, seed=0) -> Outcome:
    """Compare ``candidate`` with ``reference`` as answers of ``kind`` (see the module).

    >>> decide("number", sp.Rational(1, 100), sp.Float(0.01)).verdict
    'equivalent'
    >>> decide("interval", sp.Interval(0, sp.oo), sp.Interval.open(0, sp.oo)).verdict
    'not equivalent'
    """
    domain = dict(domain or {})
    if kind in ("expression", "function"):
        return expressions([candidate], [reference], variables, domain, seed=seed)
    if kind == "matrix":
        if not isinstance(reference, sp.MatrixBase):
            return Outcome(CANNOT_CHECK, "the derived result is not a matrix")
        if candidate.shape != reference.shape:
            return Outcome(
                NOT_EQUIVALENT,
                f"the answer is {candidate.shape[0]}×{candidate.shape[1]}, the derived result "
                f"{reference.shape[0]}×{reference.shape[1]}",
                Witness({"shape": None}, candidate.shape, reference.shape),
            )
        return expressions(
            list(candidate),
            list(reference),
            variables,
            domain,
            seed=seed,
            entries=[(i, j) for i in range(reference.rows) for j in range(reference.cols)],
        )
    if kind == "number":
        return numbers([candidate], [as_expr(reference)], "the value")
    if kind == "sequence":
        reference = tuple(as_expr(r) for r in reference)
        if len(candidate) != len(reference):
            return Outcome(
                NOT_EQUIVALENT,
                f"the answer has {len(candidate)} items, the derived result {len(reference)}",
                Witness({"length": None}, len(candidate), len(reference)),
            )
        return numbers(list(candidate), list(reference), "item")
    if kind == "distribution":
        return distributions(candidate, reference)
    if kind == "interval":
        return intervals(candidate, reference)
    return Outcome(CANNOT_CHECK, f"{kind} answers cannot be compared with a typed answer")


# --- expressions -----------------------------------------------------------------------------
def _renamed(expr, named: dict):
    """``expr`` in the answer's symbols, matched by name (assumptions may differ)."""
    mapping = {s: named[s.name] for s in expr.free_symbols if named.get(s.name, s) != s}
    return expr.xreplace(mapping) if mapping else expr


def assumptions(domain: dict) -> dict:
    """SymPy assumptions of each variable from its domain (integer, positive, nonnegative).

    >>> assumptions({"d": (1, math.inf, "integer"), "lam": (0, math.inf)})
    {'d': {'integer': True, 'positive': True}, 'lam': {'nonnegative': True}}
    """
    out = {}
    for name, bounds in (domain or {}).items():
        a = {}
        if len(bounds) > 2 and bounds[2] == "integer":
            a["integer"] = True
        if math.isfinite(float(bounds[0])) and float(bounds[0]) >= 0:
            a["positive" if float(bounds[0]) > 0 else "nonnegative"] = True
        out[name] = a
    return out


def expressions(candidates, references, variables, domain, *, seed=0, entries=None) -> Outcome:
    """Compare expressions pairwise (matrix entries share the points); see the module."""
    from verify.answers.parsing import symbols

    named = symbols(tuple(variables), assumptions(domain))
    refs = [_renamed(as_expr(r), named) for r in references]
    cands = [_renamed(c, named) for c in candidates]
    stray = set().union(*(r.free_symbols for r in refs)) - set(named.values())
    if stray:
        names = ", ".join(sorted(s.name for s in stray))
        return Outcome(CANNOT_CHECK, f"the derived result uses {names}, not among the variables")
    label = (lambda i: f"entry {entries[i]}") if entries else (lambda i: "the answer")
    global _real_stop
    _real_stop = time.process_time() + HARD_LIMIT * CHECK_BUDGET
    start = arrays.clock()
    finish = start + CHECK_BUDGET
    deadline = start + PROOF_BUDGET
    pending = []
    for i in range(len(refs)):
        left = deadline - arrays.clock()
        if left <= 0.01 or prove_equal(cands[i], refs[i], budget=left) is not True:
            pending.append(i)
    if not pending:
        return Outcome(EQUIVALENT, "proved equal by SymPy", method="exact", n=0)
    try:
        return _evaluated(
            cands, refs, pending, tuple(variables), domain, seed, label, entries, finish
        )
    except OutOfTime:
        return Outcome(
            CANNOT_CHECK,
            f"the comparison needs more than {CHECK_BUDGET:g} s of "
            "CPU time; write the answer more simply",
            method="enumeration",
        )
    except Unsupported as exc:
        return Outcome(CANNOT_CHECK, f"cannot evaluate numerically: {exc}", method="enumeration")


def _break_points(exprs, columns, lines, variables, domain, finish):
    """Extra points at and around the breaks of every expression, along every line."""
    args = []
    for e in exprs:
        args += [g for g in pts.break_arguments(e) if g not in args]
    extra = {v: [] for v in variables}
    if not args:
        return extra
    if len(variables) == 1:
        (name,) = variables
        symbol = next(iter(set().union(*(g.free_symbols for g in args))), None)
        roots = []
        deadline = min(arrays.clock() + ROOT_BUDGET, finish)
        for g in args:
            _in_time(finish)
            if g.is_polynomial(symbol) and sp.degree(g, symbol) <= 2:
                # SymPy's roots of a quadratic are all of them: no search needed
                roots += pts.exact_roots(g, symbol, sp.solve)
                continue
            left = deadline - arrays.clock()
            try:
                if left > 0.01:
                    with time_limit(left):
                        roots += pts.exact_roots(g, symbol, sp.solve)
            except (TimeUp, NotImplementedError, ValueError, TypeError, ArithmeticError):
                pass
            roots += [
                r for _, _, r in pts.crossings(g, columns, lines, on_line=lambda: _in_time(finish))
            ]
        extra[name].append(pts.near(roots, domain.get(name))[:MAX_EXTRA_POINTS])
        return extra
    added = 0
    for g in args:
        _in_time(finish)
        for name, base, root in pts.crossings(g, columns, lines, on_line=lambda: _in_time(finish)):
            if added > MAX_EXTRA_POINTS:
                break
            around = pts.near([root], domain.get(name))
            added += len(around)
            for v in variables:
                extra[v].append(around if v == name else xp.full(len(around), columns[v][base]))
    return extra


def _excluded(refs, columns):
    """Points exactly at a break of the reference (its kinks), compared after all others."""
    size = len(next(iter(columns.values())))
    out = xp.zeros(size, bool)
    for r in refs:
        for g in pts.break_arguments(r):
            v, k, _ = evaluate(g, columns)
            out |= xp.abs(v) <= SAFETY * U64 * k
    return out


def _in_time(finish: float):
    if arrays.clock() > finish or time.process_time() > _real_stop:
        raise OutOfTime


def _evaluated(cands, refs, pending, variables, domain, seed, label, entries, finish):
    if variables:
        columns, lines = pts.cloud(variables, domain, seed)
        extra = _break_points(
            [*(cands[i] for i in pending), *(refs[i] for i in pending)],
            columns,
            lines,
            variables,
            domain,
            finish,
        )
        with arrays.charged():
            columns = {v: xp.concatenate([columns[v], *extra[v]]) for v in variables}
    else:
        columns = {}
    integer_only = all(len(domain.get(v, ())) > 2 for v in variables)
    skip = xp.zeros(len(next(iter(columns.values()))) if columns else 1, bool)
    if not integer_only and columns:
        with arrays.charged():
            skip = _excluded([refs[i] for i in pending], columns)
    compared = 0
    # shared by every entry of a matrix
    deadline = min(arrays.clock() + REFEREE_BUDGET, finish)
    for i in pending:
        _in_time(finish)
        with xp.errstate(all="ignore"):
            outcome, count = _compare_one(i, cands, refs, columns, skip, variables, label, deadline)
        if outcome is not None:
            if entries and outcome.witness is not None:
                w = outcome.witness
                outcome.witness = Witness(
                    {"entry": entries[i], **w.point}, w.candidate, w.reference
                )
            return outcome
        compared += count
    return Outcome(
        EQUIVALENT,
        f"equal at {compared} points over the whole domain (float64 with derived rounding "
        "bounds, disputed points settled at 200 bits)",
        method="enumeration",
        n=compared,
    )


def _plainest_first(indices: list, listed: list) -> list:
    """``indices`` sorted (stably) by how plainly their points read: the fewest characters
    written out (``repr``), then the magnitude nearest 1 (the largest ``|log10|`` of a nonzero
    coordinate; a zero counts as 0, which changes no maximum of these non-negative sizes).
    Computed column by column: the suspects of a wrong answer are most of the cloud.

    >>> _plainest_first([0, 1, 2], [[-1.0299999999999994, 1e300, -1.0]])  # 1e+300 is short
    [2, 1, 0]
    """
    n = len(indices)
    length, size = [0] * n, [0.0] * n
    for col in listed:
        values = [col[j] for j in indices]
        length = list(map(operator.add, length, map(len, map(repr, values))))
        # a zero reads as 1 here: |log10(1)| = 0 leaves the maximum as it is
        logs = map(math.log10, map(abs, [v if v else 1.0 for v in values]))
        size = list(map(max, size, map(abs, logs)))
    keys = list(zip(length, size, strict=True))
    return [indices[k] for k in sorted(range(n), key=keys.__getitem__)]


def _compare_one(i, cands, refs, columns, skip, variables, label, deadline):
    """``(None, points compared)`` if entry ``i`` agrees everywhere, else ``(outcome, n)``."""
    with arrays.charged():
        c, kc, uc = evaluate(cands[i], columns)
        r, kr, ur = evaluate(refs[i], columns)
        certain = ~uc & ~ur
        tol = SAFETY * U64 * (kc + kr)
        close = xp.isfinite(c) & xp.isfinite(r) & (xp.abs(c - r) <= tol)
        same_inf = xp.isinf(c) & (c == r)
        # both undefined in float64 (log of a negative, 0/0): nothing claimed or learnt
        # there; a float64 overflow on one side only is disputed and goes to mpmath
        both_nan = xp.isnan(c) & xp.isnan(r)
        ok = ((close | same_inf) & certain) | (both_nan & certain)
        suspect = xp.nonzero(~ok & ~skip)[0]
        listed = [columns[v].tolist() for v in variables]  # Python floats: quick to index

    # the plainest suspects first (fewest characters written out, then nearest 1 in size),
    # so the witness reads x = -1.0 rather than x = -1.0299999999999994 or x = 1e300

    order = xp.array(_plainest_first(suspect.tolist(), listed), dtype=int)
    if len(order) > MAX_REFEREED:
        # disputed points are mostly float64 overflows at huge magnitudes, all alike: the
        # plainest half, and an even sample of the rest, stand for them
        half = MAX_REFEREED // 2
        rest = order[half:][xp.linspace(0, len(order) - half - 1, half).astype(int)]
        order = xp.concatenate([order[:half], rest])
    witness, decided, undecided = _referee(cands[i], refs[i], columns, order, deadline)
    if witness is None:
        spread = xp.linspace(0, len(c) - 1, ALWAYS_REFEREED).astype(int)
        witness, _, _ = _referee(cands[i], refs[i], columns, spread[~skip[spread]], deadline)
    compared = int((ok & ~skip).sum()) + decided
    where, details = "differs from the derived result", {}
    if witness is None:
        # Equal away from the kinks: the value at a kink is part of the derived result (the
        # convention torch's autograd follows there), so it is compared too, exactly.
        kinks = xp.nonzero(~ok & skip)[0][:MAX_REFEREED]
        witness, decided, _ = _referee(cands[i], refs[i], columns, kinks, deadline)
        compared += int((ok & skip).sum()) + decided
        where = "equals the derived result away from its kinks, but not at one"
        details = {
            "hint": "right everywhere but at a kink; the value there is the convention torch's "
            "autograd follows, which the derived result states"
        }
    if witness is not None:
        return Outcome(
            NOT_EQUIVALENT,
            f"{label(i)} {where}",
            witness,
            method="enumeration",
            n=compared,
            details=details,
        ), compared
    left = undecided
    if left > 0.05 * len(order) + 5 or compared == 0:
        return Outcome(
            CANNOT_CHECK,
            f"{label(i)} could not be evaluated reliably at {left} of the {len(order)} points "
            "float64 could not settle (values beyond the range of float64 and of mpmath, or "
            "out of time)",
            method="enumeration",
            n=compared,
        ), compared
    return None, compared


def _referee(cand, ref, columns, indices, deadline):
    """mpmath's verdict at ``indices``: (witness or None, points decided, points undecided).

    Of the first :data:`WITNESSES` confirmed differences the largest (relative to the
    reference) is the witness; points left when the deadline passes are undecided.
    """
    decided = undecided = 0
    seen = set()
    found = []
    for j in indices:
        j = int(j)
        if j in seen:
            continue
        seen.add(j)
        if arrays.clock() > deadline or time.process_time() > _real_stop:
            undecided += 1
            continue
        point = {v: float(col[j]) for v, col in columns.items()}
        r, kr, ur = evaluate(ref, point, MP)
        if mpmath.isnan(r) and not ur:
            continue  # the reference is undefined here
        c, kc, uc = evaluate(cand, point, MP)
        if ur or uc or mpmath.isnan(r):
            undecided += 1
            continue
        decided += 1
        if mpmath.isinf(r) or mpmath.isinf(c) or mpmath.isnan(c):
            same, gap = c == r, mpmath.inf
        else:
            same = abs(c - r) <= SAFETY * MP.u * (kc + kr)
            gap = abs(c - r) / (1 + abs(r))
        if not same:
            found.append((gap, len(found), Witness(point, c, r)))
            if len(found) >= WITNESSES:
                break
    if found:
        return max(found, key=lambda f: (f[0], -f[1]))[2], decided, undecided
    return None, decided, undecided
