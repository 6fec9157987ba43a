"""The closed set of answer kinds a claim takes, and how a candidate is coerced to its kind.

>>> "distribution" in ANSWER_KINDS, "implementation" in TYPED_KINDS
(True, False)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

#: The kinds of answer a claim takes (the closed set):
#:
#: - ``expression``: a SymPy expression in the claim's ``variables``;
#: - ``matrix``: a SymPy matrix of such expressions;
#: - ``number``: a real constant;
#: - ``interval``: a SymPy ``Interval``;
#: - ``sequence``: one real number per item (per layer, per step), in order;
#: - ``distribution``: a mapping outcome -> probability;
#: - ``function``: a SymPy expression in the named arguments ``variables`` (``fan_in``, …);
#: - ``implementation``: Python code standing in for the derived one (a backward pass, an
#:   optimizer step); it cannot be typed as text.
ANSWER_KINDS = (
    "expression",
    "matrix",
    "number",
    "interval",
    "sequence",
    "distribution",
    "function",
    "implementation",
)
#: The kinds that a person can type as text.
TYPED_KINDS = ANSWER_KINDS[:-1]


def _numeric_names(vectorized: bool) -> dict:
    """How the project's own SymPy functions evaluate: stable forms, scalar or on arrays."""
    if vectorized:
        import numpy as np
        from scipy import special

        return {
            "sigmoid": lambda v: 0.5 * (1 + np.tanh(np.multiply(v, 0.5))),
            "Phi": lambda v: special.ndtr(v),
        }
    return {
        "sigmoid": lambda v: 0.5 * (1 + math.tanh(v / 2)),
        "Phi": lambda v: 0.5 * math.erfc(-v / math.sqrt(2)),
    }


def as_function(expr, names: tuple[str, ...], *, vectorized: bool = False) -> Callable:
    """A SymPy expression in the named arguments ``names`` as a Python function of them.

    Symbols are matched by name, whatever their assumptions; a symbol not among ``names`` is a
    ``ValueError``. Every function the answer parser accepts evaluates, ``sigmoid`` and
    ``Phi`` included. This is how a typed answer meets a check that calls it: a float
    function of floats, or with ``vectorized`` a NumPy function of arrays.

    >>> import sympy as sp
    >>> from derivations.functions import sigmoid
    >>> f = as_function(sp.sqrt(6 / (sp.Symbol("fan_in") + sp.Symbol("fan_out"))),
    ...                 ("fan_in", "fan_out"))
    >>> round(f(1, 2), 12)
    1.414213562373
    >>> x = sp.Symbol("x")
    >>> as_function(2 * sigmoid(x), ("x",))(0.0), as_function(x, ("y",))
    Traceback (most recent call last):
    ...
    ValueError: candidate: unknown names ['x']; allowed: y
    >>> as_function(2 * sigmoid(x), ("x",), vectorized=True)([0.0, 1e3]).tolist()
    [1.0, 2.0]
    """
    import sympy as sp

    if not isinstance(expr, sp.Expr):
        raise TypeError(f"expr: a SymPy expression is required, got {type(expr).__name__}")
    unknown = sorted({s.name for s in expr.free_symbols} - set(names))
    if unknown:
        raise ValueError(f"candidate: unknown names {unknown}; allowed: {', '.join(names)}")
    plain = [sp.Symbol(n) for n in names]
    expr = expr.xreplace({s: sp.Symbol(s.name) for s in expr.free_symbols})
    if vectorized:
        return sp.lambdify(plain, expr, [_numeric_names(True), "scipy", "numpy"])
    fn = sp.lambdify(plain, expr, [_numeric_names(False), "math"])
    return lambda *args: float(fn(*args))


def coerce(kind: str, candidate, claim_id: str, variables: tuple[str, ...] = ()):
    """The candidate in the form every check of ``kind`` receives; a clear error otherwise.

    >>> coerce("sequence", [1, 2], "demo.x")
    (1, 2)
    >>> coerce("number", True, "demo.x")
    Traceback (most recent call last):
    ...
    TypeError: candidate: demo.x takes a real number, got bool 'True'
    """
    import sympy as sp

    def refuse(wanted):
        raise TypeError(
            f"candidate: {claim_id} takes {wanted}, got {type(candidate).__name__} "
            f"{str(candidate)[:60]!r}"
        )

    if kind in ("expression", "function"):
        if isinstance(candidate, sp.MatrixBase) or not (
            isinstance(candidate, sp.Expr | int | float) or callable(candidate)
        ):
            refuse("a SymPy expression (or a function of NumPy arrays)")
        if isinstance(candidate, bool):
            refuse("a SymPy expression")
        if isinstance(candidate, int | float):
            candidate = sp.sympify(candidate)
        if kind == "function" and isinstance(candidate, sp.Expr):
            return as_function(candidate, variables)
        return candidate
    if kind == "matrix":
        if not isinstance(candidate, sp.MatrixBase):
            refuse("a SymPy matrix")
        return candidate
    if kind == "interval":
        if not isinstance(candidate, sp.Interval):
            refuse("a SymPy Interval")
        return candidate
    if kind == "number":
        if isinstance(candidate, bool) or not isinstance(candidate, int | float | sp.Expr):
            refuse("a real number")
        if isinstance(candidate, sp.Expr) and not candidate.is_number:
            refuse("a constant, not an expression in variables")
        return candidate
    if kind == "sequence":
        if isinstance(candidate, str | bytes | Mapping) or not isinstance(candidate, Iterable):
            refuse("a sequence of numbers")
        items = tuple(candidate)
        if any(isinstance(v, bool) for v in items):
            refuse("a sequence of numbers")
        return items
    if kind == "distribution":
        if not isinstance(candidate, Mapping):
            refuse("a mapping outcome -> probability")
        probabilities = list(candidate.values())
        if any(isinstance(p, bool) for p in probabilities):
            refuse("a mapping outcome -> probability")
        try:
            values = [float(p) for p in probabilities]
        except (TypeError, ValueError):
            refuse("a mapping outcome -> probability")
        if any(not math.isfinite(v) or v < 0 for v in values):
            raise ValueError(f"candidate: {claim_id}: probabilities must be finite and >= 0")
        return dict(candidate)
    if kind == "implementation":
        if not callable(candidate):
            refuse("a function or class")
        return candidate
    raise AssertionError(kind)
