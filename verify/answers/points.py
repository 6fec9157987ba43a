"""Where two expressions are compared: every scale of the domain, and every break point.

A wrong answer hides where nobody looks: beyond |x| = 50 (``sigmoid(x) + max(0, x - 60)``),
between two grid points (a bump of width 1e-3), or just beside a kink. So the points are

- each variable's *axis*: a fine grid near 0, a coarse one out to ±1e3, a log-spaced ladder
  of magnitudes 1e-300 … 1e300 (both signs where the domain allows), the small integers, and
  the domain's own ends; integers only for an integer variable;
- for several variables, random combinations of axis values (with a shared scale for some,
  so that terms of equal size can cancel) and *lines*: from a few base points, one variable
  runs along its whole axis while the others stay put;
- at and around every *break point* of either side (where a ``Piecewise``/``where``
  condition, ``Heaviside``, ``sign`` or ``abs`` switches, or two arguments of ``max``/``min``
  tie): SymPy's roots for one variable where it finds them within the time budget, and along
  every line each sign change of a break argument, bisected to the float, then points at
  relative and absolute distances 1e-12 … 1e-1 on both sides.

The points are drawn in plain Python (``random.Random(seed)``, never NumPy's generator), so
the command line and the book's in-page checker (no NumPy there) compare at the same points.

>>> ax = axis((0, math.inf, "integer"))
>>> bool(ax.min() == 1), all(v == round(v) for v in ax.tolist())
(False, True)
"""

from __future__ import annotations

import functools
import math
import random

import sympy as sp

from verify.answers.arrays import xp
from verify.answers.numeric import evaluate

#: Distances from a break point at which both sides are probed (relative and absolute).
OFFSETS = (1e-12, 1e-9, 1e-6, 1e-4, 1e-2, 1e-1)
#: Random combinations drawn for several variables, and base points for the lines.
COMBINATIONS, BASES, LINE_POINTS = 3000, 5, 500


def _linspace(start: float, stop: float, num: int) -> list[float]:
    """NumPy's ``linspace`` to the bit: ``i·step + start``, the last point ``stop``."""
    step = (stop - start) / (num - 1)
    out = [i * step + start for i in range(num)]
    out[-1] = float(stop)
    return out


def _clip(values, low: float, high: float, integer: bool) -> list[float]:
    values = [v for v in values if math.isfinite(v)]
    if integer:
        values = [float(round(v)) for v in values]  # half to even, as NumPy's round
    # + 0.0 makes -0.0 plain 0.0: one zero, whichever came first
    return sorted({v + 0.0 for v in values if low <= v <= high})


@functools.lru_cache(maxsize=64)
def _axis(low: float, high: float, integer: bool) -> tuple[float, ...]:
    magnitudes = [10.0**e for e in _linspace(-300, 300, 601)]
    if integer:
        start = max(math.ceil(low), -(10**6)) if math.isfinite(low) else -200
        ladder = [float(round(10.0**e)) for e in _linspace(0, 300, 601)]
        pieces = [
            [float(i) for i in range(start, start + 201)],
            [start + m for m in ladder],
            [start - m for m in ladder],
            [float(i) for i in range(-50, 51)],
        ]
    else:
        pieces = [
            _linspace(-10, 10, 2001),
            _linspace(-1000, 1000, 2001),
            magnitudes,
            [-m for m in magnitudes],
            [float(i) for i in range(-20, 21)],
            [0.0],
        ]
        for end, sign in ((low, 1.0), (high, -1.0)):
            if math.isfinite(end):
                pieces += [
                    [end],
                    [end + sign * m for m in magnitudes],
                    [end + sign * t for t in _linspace(0, 10, 1001)],
                ]
        if math.isfinite(low) and math.isfinite(high):
            pieces.append(_linspace(low, high, 2001))
    return tuple(_clip([v for p in pieces for v in p], low, high, integer))


def _bounds(domain) -> tuple[float, float, bool]:
    if domain is None:
        return -math.inf, math.inf, False
    return float(domain[0]), float(domain[1]), len(domain) > 2 and domain[2] == "integer"


def axis(domain=None):
    """The points one variable takes: every scale of its ``(low, high[, "integer"])`` domain.

    >>> a = axis()
    >>> bool(a.min() == -1e300 and a.max() == 1e300 and 0.0 in a.tolist() and 1e-300 in a.tolist())
    True
    """
    return xp.asarray(list(_axis(*_bounds(domain))))


def cloud(variables, domains, seed: int):
    """The points for ``variables``: ``(columns, lines)`` where ``columns`` maps each name to
    an array and ``lines`` lists ``(name, indices)`` of the points where only that variable
    varies, in increasing order (for locating break points).

    >>> cols, lines = cloud(("x",), {}, 0)
    >>> len(cols["x"]) > 5000, lines[0][0]
    (True, 'x')
    """
    variables = tuple(variables)
    chosen = tuple((v, tuple(domains[v])) for v in variables if v in domains)
    columns, lines = _cloud(variables, chosen, seed)
    return (
        {v: xp.asarray(list(c)) for v, c in columns.items()},
        [(name, xp.arange(start, stop)) for name, start, stop in lines],
    )


@functools.lru_cache(maxsize=64)
def _cloud(variables: tuple, chosen: tuple, seed: int):
    """:func:`cloud`'s points as tuples of floats and its lines as ``(name, start, stop)``;
    the same for the same arguments, so they are drawn once per process."""
    domains = dict(chosen)
    axes = {v: _axis(*_bounds(domains.get(v))) for v in variables}
    if len(variables) == 1:
        (name,) = variables
        return {name: tuple(axes[name])}, ((name, 0, len(axes[name])),)
    rng = random.Random(seed)
    columns = {}
    for v in variables:
        along = axes[v]
        columns[v] = [along[rng.randrange(len(along))] for _ in range(COMBINATIONS)]
    # a shared scale: every variable near the same magnitude, where terms can cancel
    scales = [10.0 ** rng.uniform(-8, 8) for _ in range(COMBINATIONS // 3)]
    for v in variables:
        near = [s * rng.uniform(0.5, 2.0) for s in scales]
        lo, hi, integer = _bounds(domains.get(v))
        near = [float(round(t)) + 1 for t in near] if integer else near
        columns[v] += [min(max(t, lo), hi) for t in near]
    size = len(columns[variables[0]])
    lines = []
    for name in variables:
        along = axes[name]
        if len(along) > LINE_POINTS:
            along = along[:: max(1, len(along) // LINE_POINTS)]
        for _ in range(BASES):
            base = rng.randrange(COMBINATIONS)
            for v in variables:
                columns[v] += along if v == name else [columns[v][base]] * len(along)
            lines.append((name, size, size + len(along)))
            size += len(along)
    return {v: tuple(c) for v, c in columns.items()}, tuple(lines)


def break_arguments(expr) -> list:
    """The expressions whose zeros are the break points of ``expr``.

    >>> x = sp.Symbol("x", real=True)
    >>> break_arguments(sp.Max(0, x - 60) + sp.Abs(x))
    [x, 60 - x]
    """
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Abs | sp.sign | sp.Heaviside):
            found.append(node.args[0])
        elif isinstance(node, sp.Max | sp.Min):
            args = node.args
            found += [a - b for i, a in enumerate(args) for b in args[i + 1 :]]
        elif isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                for rel in sp.preorder_traversal(cond):
                    if isinstance(rel, sp.core.relational.Relational):
                        found.append(rel.lhs - rel.rhs)
    unique = []
    for g in found:
        if g.free_symbols and g not in unique:
            unique.append(g)
    return sorted(unique, key=sp.default_sort_key)


def near(points, domain=None):
    """``points`` and their neighbours at every offset of :data:`OFFSETS`, inside ``domain``.

    >>> [float(v) for v in sorted(near([1.0]))[:3]]
    [0.9, 0.9, 0.99]
    """
    p = [float(v) for v in points]
    p = [v for v in p if math.isfinite(v)]
    values = list(p)
    for d in OFFSETS:
        step = [d * max(1.0, abs(v)) for v in p]
        values += [v - s for v, s in zip(p, step, strict=True)]
        values += [v + s for v, s in zip(p, step, strict=True)]
        values += [v * (1 - d) for v in p]
        values += [v * (1 + d) for v in p]
    low, high, integer = _bounds(domain)
    if integer:
        values = [float(round(v)) for v in values]
    return xp.asarray(sorted(v for v in values if low <= v <= high))


def crossings(g, columns: dict, lines, *, iterations: int = 64, on_line=None) -> list:
    """Along each line, the points where ``g`` changes sign, bisected to the float.

    Returns ``(name, base_index, root)`` triples: the varying variable, one point of the
    line (for the other coordinates) and the root. ``on_line()`` is called before each line
    (a caller's deadline check).

    >>> x = sp.Symbol("x", real=True)
    >>> cols = {"x": xp.asarray([-1.0, 0.1234, 2.0])}
    >>> [round(r, 12) for _, _, r in crossings(x - 0.123456, cols, [("x", xp.arange(3))])]
    [0.123456]
    """
    found = []
    for name, idx in lines:
        if name not in {s.name for s in g.free_symbols}:
            continue
        if on_line is not None:
            on_line()
        pts = {v: c[idx] for v, c in columns.items()}
        vals = evaluate(g, pts)[0]
        s, finite = xp.sign(vals), xp.isfinite(vals)
        change = xp.nonzero(finite[:-1] & finite[1:] & (s[:-1] * s[1:] < 0))[0]
        if change.size == 0:
            continue
        lo, hi = pts[name][change].copy(), pts[name][change + 1].copy()
        s_lo = s[change]
        fixed = {v: c[change] for v, c in pts.items() if v != name}
        for _ in range(iterations):
            mid = lo + (hi - lo) / 2
            here = xp.sign(evaluate(g, {**fixed, name: mid})[0])
            left = here == s_lo
            lo, hi = xp.where(left, mid, lo), xp.where(left, hi, mid)
        found += [(name, int(idx[c]), float(r)) for c, r in zip(change, (lo + hi) / 2, strict=True)]
    return found


def exact_roots(g, symbol, solve) -> list[float]:
    """Real roots of ``g`` in its one variable ``symbol`` found by ``solve`` (a bounded
    ``sympy.solve``), as floats; an empty list when it finds none or gives up.

    >>> x = sp.Symbol("x", real=True)
    >>> [round(r, 12) for r in exact_roots(sp.Rational(1, 1000) - (x - 1) ** 2, x, sp.solve)]
    [0.968377223398, 1.031622776602]
    """
    roots = solve(g, symbol) or []
    out = []
    for r in roots:
        try:
            if r.is_real is not False and not r.has(sp.I):
                value = float(r)
                if math.isfinite(value):
                    out.append(value)
        except (TypeError, ValueError):
            continue
    return sorted(out)
