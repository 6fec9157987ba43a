"""Output ranges of continuous scalar functions, derived rather than typed in.

For a continuous ``f`` on the real line (possibly ``Piecewise``) the range is the interval
between the smallest and the largest of: the limits at ±∞ (approached, never attained), the
values at critical points and at the break points of the pieces, and the value of any
constant piece (attained). An end is closed exactly when some attained value equals it.

Critical points come from SymPy's solvers when they can (exact, e.g. with ``LambertW``);
otherwise from a sign-change scan of ``f′`` on ``[-SCAN, SCAN]`` refined by bisection in
high precision, each root certified by the sign change of ``f′`` across a bracket narrower
than ``1e-30`` (continuity then guarantees a root inside).

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> output_range(sp.tanh(x), x).interval
Interval.open(-1, 1)
>>> output_range(sp.Piecewise((0, x < 0), (x, True)), x).interval
Interval(0, oo)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import sympy as sp

from derivations.functions import expand_special

#: Half-width of the window scanned for critical points that SymPy cannot solve for.
SCAN = 60
_SCAN_STEP = sp.Rational(1, 4)
_DPS = 50


@dataclass
class Candidate:
    """A value the function takes or approaches, and where: ``kind`` is one of "limit at",
    "critical point", "break point", "constant on"; ``at`` the place (±oo, a point, or an
    interval); ``how`` says how a critical point was found."""

    value: sp.Expr
    kind: str
    at: sp.Basic
    attained: bool
    how: str = ""

    def where(self, *, latex: bool = False) -> str:
        """The place in words, plain or with LaTeX math.

        >>> print(Candidate(sp.S.Zero, "limit at", -sp.oo, False).where(latex=True))
        limit at $-\\infty$
        """
        at = _short(self.at)
        if isinstance(at, sp.Interval):
            shown = f"${sp.latex(at)}$" if latex else _interval_str(at)
        elif self.kind == "limit at":
            shown = f"${sp.latex(at)}$" if latex else sp.sstr(at)
        else:
            shown = f"$x = {sp.latex(at)}$" if latex else f"x = {sp.sstr(at)}"
        return f"{self.kind} {shown}" + (f" ({self.how})" if self.how else "")


@dataclass
class RangeFacts:
    """The derived range and the facts it rests on (limits, critical points, break points)."""

    interval: sp.Interval
    candidates: list[Candidate] = field(default_factory=list)
    critical_points: list[tuple[sp.Expr, str]] = field(default_factory=list)

    def lines(self, *, latex: bool = False) -> list[str]:
        """The argument as short sentences, for the CLI or (``latex=True``) a page.

        >>> import sympy as sp
        >>> x = sp.Symbol("x", real=True)
        >>> output_range(sp.tanh(x), x).lines()[0]
        'limit at -oo: -1 (approached, not attained)'
        >>> print(output_range(sp.tanh(x), x).lines(latex=True)[0])
        limit at $-\\infty$: $-1$ (approached, not attained)
        """
        out = []
        for c in self.candidates:
            how = "attained" if c.attained else "approached, not attained"
            value = _short(c.value)
            shown = f"${sp.latex(value)}$" if latex else sp.sstr(value)
            out.append(f"{c.where(latex=latex)}: {shown} ({how})")
        return out


def _interval_str(s) -> str:
    """``(-oo, 0)`` rather than SymPy's ``Interval.open(-oo, 0)``.

    >>> _interval_str(sp.Interval.Lopen(0, 1))
    '(0, 1]'
    """
    if not isinstance(s, sp.Interval):
        return str(s)
    return f"{'(' if s.left_open else '['}{s.inf}, {s.sup}{')' if s.right_open else ']'}"


def _short(value):
    """Certified numeric values carry 30 digits; 12 are enough to read."""
    return sp.Float(value, 12) if isinstance(value, sp.Float) else value


def pieces(expr, x) -> list[tuple[sp.Expr, sp.Set]]:
    """``(branch, set of x where it applies)`` for each piece; one piece if not Piecewise.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> pieces(sp.Piecewise((0, x < 0), (x, True)), x)
    [(0, Interval.open(-oo, 0)), (x, Interval(0, oo))]
    """
    if not isinstance(expr, sp.Piecewise):
        return [(expr, sp.S.Reals)]
    out, taken = [], sp.S.EmptySet
    for branch, cond in expr.args:
        where = (sp.S.Reals if cond is sp.true else cond.as_set()) - taken
        if where is not sp.S.EmptySet:
            out.append((branch, where))
        taken = taken | where
    return out


def _solve_exact(derivative, x, where) -> list[sp.Expr] | None:
    """Real roots of ``derivative`` in ``where`` if SymPy finds them all, else None."""
    numerator = sp.numer(sp.together(expand_special(derivative).rewrite(sp.exp)))
    try:
        found = sp.solveset(numerator, x, sp.S.Reals)
    except (NotImplementedError, ValueError):
        found = None
    if isinstance(found, sp.FiniteSet | type(sp.S.EmptySet)):
        roots = list(found)
    else:
        try:
            roots = [r for r in sp.solve(numerator, x) if r.is_real]
        except NotImplementedError:
            return None
        if not roots:
            return None
    return [r for r in roots if where.contains(r) is sp.true]


# Phi through mpmath's ncdf (an erfc form): 1 + erf(t) would cancel to 0 far in the left tail.
_MP_FUNCTIONS = {"Phi": lambda t: mpmath.ncdf(t), "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t))}


def _certified_roots(derivative, x, where) -> list[sp.Expr]:
    f = sp.lambdify(x, derivative, [_MP_FUNCTIONS, "mpmath"])
    lo = max(-SCAN, where.inf) if where.inf.is_finite else -SCAN
    hi = min(SCAN, where.sup) if where.sup.is_finite else SCAN
    roots = []
    with mpmath.workdps(_DPS):
        grid = [
            mpmath.mpf(float(lo)) + k * mpmath.mpf(float(_SCAN_STEP))
            for k in range(int((hi - lo) / _SCAN_STEP) + 1)
        ]
        values = [f(g) for g in grid]
        for a, b, fa, fb in zip(grid, grid[1:], values, values[1:], strict=False):
            if fa == 0:
                roots.append(sp.Float(a, 30))
            elif fa * fb < 0:
                while b - a > mpmath.mpf(10) ** -35:
                    m = (a + b) / 2
                    if f(m) * fa > 0:
                        a, fa = m, f(m)
                    else:
                        b = m
                roots.append(sp.Float((a + b) / 2, 30))
    return [r for r in roots if where.contains(r) is sp.true]


_W = sp.Wild("w")


def _tidy(value):
    """Simplify a value at an exact critical point; ``e^{W(a)} = a/W(a)`` is what SymPy misses.

    >>> import sympy as sp
    >>> w = sp.LambertW(sp.exp(-1))
    >>> _tidy((-1 - w) / (1 + sp.exp(w + 1)))
    -LambertW(exp(-1))
    """
    value = sp.expand(expand_special(value), power_exp=True, mul=False)
    value = value.replace(sp.exp(sp.LambertW(_W)), _W / sp.LambertW(_W))
    return sp.simplify(value)


def _less(a, b) -> bool:
    if a is sp.oo or b is sp.S.NegativeInfinity:
        return False
    if a is sp.S.NegativeInfinity or b is sp.oo:
        return True
    return float(sp.N(a - b, 30)) < 0


def _equal(a, b) -> bool:
    if not (a.is_finite and b.is_finite):
        return a == b
    return abs(sp.N(a - b, 30)) < sp.Float(1e-25)


def output_range(expr, x) -> RangeFacts:
    """The exact range of a continuous function of ``x`` over the reals, with its reasons.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> output_range(sp.log(1 + sp.exp(x)), x).interval
    Interval.open(0, oo)
    """
    candidates: list[Candidate] = []
    criticals: list[tuple[sp.Expr, str]] = []
    for branch, where in pieces(expr, x):
        d = sp.diff(branch, x)
        if sp.simplify(d) == 0:
            candidates.append(Candidate(sp.simplify(branch), "constant on", where, True))
        else:
            roots = _solve_exact(d, x, where)
            how = "exact, by SymPy's solver"
            if roots is None:
                roots, how = _certified_roots(d, x, where), "certified numeric root"
            for r in roots:
                criticals.append((r, how))
                value = branch.subs(x, r)
                value = _tidy(value) if how.startswith("exact") else sp.N(value, 30)
                candidates.append(Candidate(value, "critical point", r, True, how))
        for end, side in ((where.inf, "+"), (where.sup, "-")):
            if end.is_infinite:
                limit = sp.limit(expand_special(branch), x, end)
                candidates.append(Candidate(limit, "limit at", end, False))
            elif not any(c.kind == "break point" and c.at == end for c in candidates):
                value = sp.limit(branch, x, end, side)
                candidates.append(Candidate(value, "break point", end, True))
    values = [c.value for c in candidates]
    low = min(values, key=lambda v: _Key(v))
    high = max(values, key=lambda v: _Key(v))
    low_closed = any(c.attained and _equal(c.value, low) for c in candidates)
    high_closed = any(c.attained and _equal(c.value, high) for c in candidates)
    interval = sp.Interval(low, high, not low_closed, not high_closed)
    return RangeFacts(interval, candidates, criticals)


class _Key:
    """Orders exact values, including ±oo and values like ``-LambertW(exp(-1))``."""

    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return _less(self.v, other.v)
