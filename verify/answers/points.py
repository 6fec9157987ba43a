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

>>> ax = axis((0, math.inf, "integer"))
>>> bool(ax.min() == 1), bool(np.all(ax == np.round(ax)))
(False, True)
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from verify.answers.numeric import evaluate

#: Distances from a break point at which both sides are probed (relative and absolute).
OFFSETS = (1e-12, 1e-9, 1e-6, 1e-4, 1e-2, 1e-1)
#: Random combinations drawn for several variables, and base points for the lines.
COMBINATIONS, BASES, LINE_POINTS = 3000, 5, 500


def _clip(values: np.ndarray, low: float, high: float, integer: bool) -> np.ndarray:
    values = values[np.isfinite(values)]
    if integer:
        values = np.round(values)
    values = values[(values >= low) & (values <= high)]
    return np.unique(values)


def axis(domain=None) -> np.ndarray:
    """The points one variable takes: every scale of its ``(low, high[, "integer"])`` domain.

    >>> a = axis()
    >>> bool(a.min() == -1e300 and a.max() == 1e300 and 0.0 in a and 1e-300 in a)
    True
    """
    low, high, integer = -math.inf, math.inf, False
    if domain is not None:
        low, high = float(domain[0]), float(domain[1])
        integer = len(domain) > 2 and domain[2] == "integer"
    magnitudes = np.logspace(-300, 300, 601)
    if integer:
        start = max(math.ceil(low), -(10**6)) if math.isfinite(low) else -200
        ladder = np.round(np.logspace(0, 300, 601))
        pieces = [np.arange(start, start + 201, dtype=float), start + ladder, start - ladder]
        pieces.append(np.arange(-50, 51, dtype=float))
    else:
        pieces = [
            np.linspace(-10, 10, 2001),
            np.linspace(-1000, 1000, 2001),
            magnitudes,
            -magnitudes,
            np.arange(-20, 21, dtype=float),
            [0.0],
        ]
        for end, sign in ((low, 1.0), (high, -1.0)):
            if math.isfinite(end):
                pieces += [[end], end + sign * magnitudes, end + sign * np.linspace(0, 10, 1001)]
        if math.isfinite(low) and math.isfinite(high):
            pieces.append(np.linspace(low, high, 2001))
    return _clip(np.concatenate([np.asarray(p, float) for p in pieces]), low, high, integer)


def cloud(variables, domains, seed: int):
    """The points for ``variables``: ``(columns, lines)`` where ``columns`` maps each name to
    an array and ``lines`` lists ``(name, indices)`` of the points where only that variable
    varies, in increasing order (for locating break points).

    >>> cols, lines = cloud(("x",), {}, 0)
    >>> len(cols["x"]) > 5000, lines[0][0]
    (True, 'x')
    """
    axes = {v: axis(domains.get(v)) for v in variables}
    if len(variables) == 1:
        (name,) = variables
        return {name: axes[name]}, [(name, np.arange(len(axes[name])))]
    rng = np.random.default_rng(seed)
    columns = {v: [rng.choice(axes[v], COMBINATIONS)] for v in variables}
    # a shared scale: every variable near the same magnitude, where terms can cancel
    scales = 10.0 ** rng.uniform(-8, 8, COMBINATIONS // 3)
    for v in variables:
        near = scales * rng.uniform(0.5, 2.0, scales.size)
        lo, hi, *kind = domains.get(v, (-math.inf, math.inf))
        near = np.round(near) + 1 if kind == ["integer"] else near
        near = np.clip(near, float(lo), float(hi))
        columns[v].append(near)
    size = sum(len(c) for c in columns[variables[0]])
    lines = []
    for name in variables:
        along = axes[name]
        if len(along) > LINE_POINTS:
            along = along[:: max(1, len(along) // LINE_POINTS)]
        for _ in range(BASES):
            base = int(rng.integers(0, COMBINATIONS))
            for v in variables:
                column = along if v == name else np.full(len(along), columns[v][0][base])
                columns[v].append(column)
            lines.append((name, np.arange(size, size + len(along))))
            size += len(along)
    return {v: np.concatenate(c) for v, c in columns.items()}, lines


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


def near(points, domain=None) -> np.ndarray:
    """``points`` and their neighbours at every offset of :data:`OFFSETS`, inside ``domain``.

    >>> [float(v) for v in sorted(near([1.0]))[:3]]
    [0.9, 0.9, 0.99]
    """
    p = np.asarray(points, float)
    p = p[np.isfinite(p)]
    out = [p]
    for d in OFFSETS:
        step = d * np.maximum(1.0, np.abs(p))
        out += [p - step, p + step, p * (1 - d), p * (1 + d)]
    low, high, *kind = domain or (-math.inf, math.inf)
    values = np.concatenate(out)
    values = np.round(values) if kind == ["integer"] else values
    return np.sort(values[(values >= float(low)) & (values <= float(high))])


def crossings(g, columns: dict, lines, *, iterations: int = 64, on_line=None) -> list:
    """Along each line, the points where ``g`` changes sign, bisected to the float.

    Returns ``(name, base_index, root)`` triples: the varying variable, one point of the
    line (for the other coordinates) and the root. ``on_line()`` is called before each line
    (a caller's deadline check).

    >>> x = sp.Symbol("x", real=True)
    >>> cols = {"x": np.array([-1.0, 0.1234, 2.0])}
    >>> [round(r, 12) for _, _, r in crossings(x - 0.123456, cols, [("x", np.arange(3))])]
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
        s = np.sign(vals)
        change = np.nonzero(np.isfinite(vals[:-1]) & np.isfinite(vals[1:]) & (s[:-1] * s[1:] < 0))[
            0
        ]
        if change.size == 0:
            continue
        lo, hi = pts[name][change].copy(), pts[name][change + 1].copy()
        s_lo = s[change]
        fixed = {v: c[change] for v, c in pts.items() if v != name}
        for _ in range(iterations):
            mid = lo + (hi - lo) / 2
            here = np.sign(evaluate(g, {**fixed, name: mid})[0])
            left = here == s_lo
            lo, hi = np.where(left, mid, lo), np.where(left, hi, mid)
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
