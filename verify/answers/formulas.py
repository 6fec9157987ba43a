"""A typed integer formula with floors and ceilings (an output size), checked exactly.

The shared expression parser has no ``floor``; a claim whose answer is a formula in integer
variables with floors (``⌊(n + 2p − k)/s⌋ + 1``) registers here with :func:`register`, and
:func:`check_formula` reads the typed answer with Python's own parser (``ast.parse``, which
builds a tree and runs nothing) into a small interpreter of integers and fractions: ``+ − ×
/ //``, powers with small integer exponents, ``floor``, ``ceil``, ``max``, ``min``, ``abs``
and the claim's variables. It is then compared, exactly, with the derived formula at every
point of a grid of small integers.

>>> evaluate(read("⌊(n + 2p − k)/s⌋ + 1", ("n", "k", "p", "s")), {"n": 13, "k": 2, "p": 0, "s": 2})
6
"""

from __future__ import annotations

import ast
import itertools
import math
import re
from fractions import Fraction

from verify.evidence import EQUIVALENT, NOT_EQUIVALENT, Evidence, Witness

#: claim id -> (variables, the grid's ranges per variable, a predicate on a point)
FORMULAS: dict[str, tuple] = {}
MAX_LENGTH = 300
MAX_NODES = 200
_FUNCTIONS = {"floor": math.floor, "ceil": math.ceil, "max": max, "min": min, "abs": abs}
_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: Fraction(a) / b,
    ast.FloorDiv: lambda a, b: a // b,
}


#: Nodes of the tree that need no further look.
_PLAIN = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Load, ast.USub, ast.UAdd, ast.Pow, *_OPS)


def register(claim_id: str, variables, ranges: dict, keep=None) -> None:
    """Declare that ``claim_id`` takes an integer formula in ``variables``, checked on the
    grid ``ranges`` (name -> (low, high), inclusive) at the points ``keep`` accepts.

    >>> register("demo.size", ("n",), {"n": (1, 3)}); FORMULAS["demo.size"][0]
    ('n',)
    """
    FORMULAS[str(claim_id)] = (tuple(variables), dict(ranges), keep or (lambda point: True))


def takes(claim) -> bool:
    """Whether ``claim`` is a formula claim (registered, or read back from its record).

    >>> takes(type("C", (), {"id": "nothing.here"})())
    False
    """
    return getattr(claim, "formula", None) is not None or getattr(claim, "id", None) in FORMULAS


def grid(claim) -> tuple[tuple, list[tuple]]:
    """``(variables, points)``: the claim's variables and every grid point it is checked at
    (a claim read back from its record carries them as ``claim.formula``).

    >>> register("demo.pair", ("a", "b"), {"a": (0, 1), "b": (0, 1)}, lambda q: q["a"] <= q["b"])
    >>> grid(type("C", (), {"id": "demo.pair"})())
    (('a', 'b'), [(0, 0), (0, 1), (1, 1)])
    """
    carried = getattr(claim, "formula", None)
    if carried is not None:
        return tuple(carried["variables"]), [tuple(p) for p in carried["grid"]]
    variables, ranges, keep = FORMULAS[claim.id]
    points = [
        p
        for p in itertools.product(*(range(ranges[v][0], ranges[v][1] + 1) for v in variables))
        if keep(dict(zip(variables, p, strict=True)))
    ]
    return variables, points


def _normalized(text: str, variables=()) -> str:
    for a, b in (
        ("⌊", "floor("),
        ("⌋", ")"),
        ("⌈", "ceil("),
        ("⌉", ")"),
        ("−", "-"),
        ("·", "*"),
        ("×", "*"),
        ("δ", "d"),
        ("^", "**"),
    ):
        text = text.replace(a, b)
    text = re.sub(r"(\d)\s*(?=[A-Za-z(])", r"\1*", text)  # 2p, 2(k - 1)
    text = re.sub(r"\)\s*(?=[A-Za-z0-9(])", ")*", text)  # (k - 1)s, (a)(b)
    for v in variables:  # d(k - 1): a variable is never called
        text = re.sub(rf"\b{re.escape(v)}\s*\(", f"{v}*(", text)
    return text


def read(text: str, variables) -> ast.AST:
    """The formula's syntax tree, refused unless every node is one the interpreter knows.

    >>> read("import os", ("n",))
    Traceback (most recent call last):
    ...
    ValueError: text: cannot read 'import os' as a formula: invalid syntax (at position 0)
    >>> read("n.real", ("n",))
    Traceback (most recent call last):
    ...
    ValueError: text: 'n.real' at position 0 is not allowed: a formula uses + - * / //, powers, floor, ceil, max, min, abs and n
    """
    if not isinstance(text, str):
        raise TypeError(f"text: a string is required, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"text: at most {MAX_LENGTH} characters are read, got {len(text)}")
    source = _normalized(text, variables)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ValueError(
            f"text: cannot read {text!r} as a formula: {exc.msg} (at position {max((exc.offset or 1) - 1, 0)})"
        ) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ValueError(f"text: the formula is too long ({len(nodes)} nodes, at most {MAX_NODES})")
    allowed = f"+ - * / //, powers, floor, ceil, max, min, abs and {', '.join(variables)}"
    for node in nodes:
        ok = isinstance(node, _PLAIN)
        ok = ok or (
            isinstance(node, ast.Constant) and type(node.value) is int and node.value < 10**9
        )
        ok = ok or (isinstance(node, ast.Name) and (node.id in variables or node.id in _FUNCTIONS))
        ok = ok or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
        )
        if not ok:
            where = getattr(node, "col_offset", 0)
            piece = ast.get_source_segment(source, node) or type(node).__name__
            raise ValueError(
                f"text: {piece!r} at position {where} is not allowed: a formula uses {allowed}"
            )
        if isinstance(node, ast.Name) and node.id in _FUNCTIONS and not _called(tree, node):
            raise ValueError(f"text: {node.id} is a function: write {node.id}(...)")
    return tree


def _called(tree, name_node) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name_node for n in ast.walk(tree))


def evaluate(tree: ast.AST, point: dict):
    """The formula's exact value at ``point`` (an int or a Fraction)."""

    def run(node):
        if isinstance(node, ast.Expression):
            return run(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return point[node.id]
        if isinstance(node, ast.UnaryOp):
            v = run(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Call):
            return _FUNCTIONS[node.func.id](*[run(a) for a in node.args])
        a, b = run(node.left), run(node.right)
        if isinstance(node.op, ast.Pow):
            if not (isinstance(b, int) and 0 <= b <= 8):
                raise ValueError("a power with an integer exponent from 0 to 8 is required")
            return a**b
        return _OPS[type(node.op)](a, b)

    value = run(tree)
    return int(value) if isinstance(value, Fraction) and value.denominator == 1 else value


def check_formula(claim, text: str, *, seed: int = 0, thorough: bool = False) -> Evidence:
    """Compare a typed formula with the claim's derived one at every grid point, exactly;
    ``thorough`` runs the claim's own check (torch) on the formula instead."""
    import sympy as sp

    variables, grid_points = grid(claim)
    tree = read(text, variables)
    base = {"claim_id": claim.id, "seed": seed, "details": {"answer": text[:200]}}

    def mine(*args):
        try:
            return evaluate(tree, dict(zip(variables, args, strict=True)))
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            return f"undefined ({type(exc).__name__})"

    if thorough:
        ev = claim.check(mine, seed=seed)
        ev.verdict = EQUIVALENT if ev.passed else NOT_EQUIVALENT
        ev.message = f"{ev.verdict}: {ev.message}"
        return ev
    reference = sp.lambdify(
        [sp.Symbol(v) for v in variables],
        claim.reference().xreplace({s: sp.Symbol(s.name) for s in claim.reference().free_symbols}),
        [{"floor": math.floor, "ceiling": math.ceil}, "math"],
    )
    for p in grid_points:
        theirs, got = int(reference(*p)), mine(*p)
        if got != theirs:
            point = dict(zip(variables, p, strict=True))
            where = ", ".join(f"{k} = {v}" for k, v in point.items())
            return Evidence(
                method="exact",
                passed=False,
                verdict=NOT_EQUIVALENT,
                n=len(grid_points),
                message=f"not equivalent: at {where} your answer gives {got}, the derived result {theirs}",
                witness=Witness(point, str(got), theirs),
                **base,
            )
    return Evidence(
        method="exact",
        passed=True,
        verdict=EQUIVALENT,
        n=len(grid_points),
        message=f"equivalent: equal exactly at all {len(grid_points)} points of the grid",
        **base,
    )
