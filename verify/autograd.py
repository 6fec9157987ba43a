"""SymPy expressions against torch autograd on torch's own functions.

:func:`to_torch` turns a SymPy expression into a function of float64 tensors by walking the
expression tree with a table of torch operations (SymPy's own printers are not involved, and
``Piecewise`` becomes ``torch.where``). :func:`autograd_derivative` differentiates a torch
function with autograd; :func:`compare` measures the gap between two arrays of values.

>>> import sympy as sp, torch
>>> x = sp.Symbol("x", real=True)
>>> f = to_torch(sp.tanh(x) ** 2, [x])
>>> float(f(torch.tensor(0.5, dtype=torch.float64)))  # doctest: +ELLIPSIS
0.2135...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch

from derivations.functions import Phi, sigmoid

DTYPE = torch.float64


def _const(value, like):
    return torch.as_tensor(float(value), dtype=DTYPE, device=like.device)


# Function class -> torch op; a table, so adding a function is one line.
_FUNCTIONS: dict[type, Callable] = {
    sp.exp: torch.exp,
    sp.log: torch.log,
    sp.tanh: torch.tanh,
    sp.sinh: torch.sinh,
    sp.cosh: torch.cosh,
    sp.erf: torch.special.erf,
    sp.Abs: torch.abs,
    sigmoid: torch.sigmoid,
    Phi: torch.special.ndtr,
    sp.sign: torch.sign,
    # SymPy's H(0) is 1/2 unless a second argument says otherwise
    sp.Heaviside: lambda t, at_zero=None: torch.heaviside(
        t, torch.full_like(t, 0.5) if at_zero is None else at_zero.expand(t.shape)
    ),
    sp.sech: lambda t: 1 / torch.cosh(t),
}

_RELATIONS: dict[type, Callable] = {
    sp.StrictLessThan: torch.lt,
    sp.LessThan: torch.le,
    sp.StrictGreaterThan: torch.gt,
    sp.GreaterThan: torch.ge,
    sp.Equality: torch.eq,
    sp.Unequality: torch.ne,
}


def _walk(expr, env: dict, like: torch.Tensor):
    if expr in env:
        return env[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return _const(expr, like)
    if expr is sp.true:
        return torch.ones_like(like, dtype=torch.bool)
    if expr is sp.false:
        return torch.zeros_like(like, dtype=torch.bool)
    args = [_walk(a, env, like) for a in expr.args] if not expr.is_Piecewise else None
    if expr.is_Add:
        return _reduce(torch.add, args)
    if expr.is_Mul:
        return _reduce(torch.mul, args)
    if expr.is_Pow:
        base, exponent = args
        if expr.exp == sp.Rational(1, 2):
            return torch.sqrt(base)
        return torch.pow(base, exponent)
    if expr.is_Piecewise:
        return _piecewise(expr, env, like)
    if isinstance(expr, sp.Max | sp.Min):
        op = torch.maximum if isinstance(expr, sp.Max) else torch.minimum
        return _reduce(op, [a.expand(like.shape) if a.dim() == 0 else a for a in args])
    if isinstance(expr, sp.And | sp.Or):
        return _reduce(torch.logical_and if isinstance(expr, sp.And) else torch.logical_or, args)
    if isinstance(expr, sp.Not):
        return torch.logical_not(args[0])
    for kind, op in _RELATIONS.items():
        if type(expr) is kind:
            return op(*args)
    op = _FUNCTIONS.get(expr.func)
    if op is None:
        raise ValueError(
            f"expr: no torch translation for {expr.func.__name__}; "
            f"supported functions: {', '.join(f.__name__ for f in _FUNCTIONS)}"
        )
    return op(*args)


def _reduce(op, values):
    out = values[0]
    for v in values[1:]:
        out = op(out, v)
    return out


def _piecewise(expr, env, like):
    # Built from the last branch backwards so that earlier conditions take precedence.
    out = None
    for value, cond in reversed(expr.args):
        v = _walk(value, env, like)
        v = v.expand(like.shape) if v.dim() == 0 else v
        if out is None:
            out = v
            continue
        out = torch.where(_walk(cond, env, like), v, out)
    return out


def to_torch(expr, symbols: Sequence[sp.Symbol]) -> Callable[..., torch.Tensor]:
    """A function of float64 tensors (one per symbol) evaluating ``expr`` elementwise.

    >>> import sympy as sp, torch
    >>> x = sp.Symbol("x", real=True)
    >>> relu = to_torch(sp.Piecewise((0, x < 0), (x, True)), [x])
    >>> relu(torch.tensor([-1.0, 2.0], dtype=torch.float64)).tolist()
    [0.0, 2.0]
    """
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr: a SymPy expression is required, got {type(expr).__name__}")
    symbols = list(symbols)
    extra = expr.free_symbols - set(symbols)
    if extra:
        raise ValueError(
            f"expr: free symbols {sorted(map(str, extra))} are not among "
            f"{[str(s) for s in symbols]}"
        )
    expr = expr.doit()

    def fn(*tensors):
        if len(tensors) != len(symbols):
            raise ValueError(f"expected {len(symbols)} tensors, got {len(tensors)}")
        like = torch.as_tensor(tensors[0], dtype=DTYPE)
        env = {s: torch.as_tensor(t, dtype=DTYPE) for s, t in zip(symbols, tensors, strict=True)}
        out = _walk(expr, env, like)
        return out.expand(like.shape) if out.dim() == 0 and like.dim() else out

    return fn


def autograd_derivative(fn: Callable[[torch.Tensor], torch.Tensor], points) -> np.ndarray:
    """d fn/dx at each point by torch autograd (float64, elementwise functions).

    >>> import torch
    >>> autograd_derivative(torch.nn.functional.relu, [-1.0, 0.0, 2.0]).tolist()
    [0.0, 0.0, 1.0]
    """
    t = torch.as_tensor(np.asarray(points, dtype=np.float64)).clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(t).sum(), t)
    return grad.detach().numpy()


def torch_values(fn: Callable[[torch.Tensor], torch.Tensor], points) -> np.ndarray:
    """Evaluate a torch function at float64 points, as a NumPy array.

    >>> torch_values(torch.tanh, [0.0]).tolist()
    [0.0]
    """
    with torch.no_grad():
        return fn(torch.as_tensor(np.asarray(points, dtype=np.float64))).numpy()


@dataclass
class Gap:
    """Where two arrays of values differ most, in units of the allowed tolerance.

    ``tolerance`` is absolute-plus-relative: ``|a - b| <= atol + rtol * |b|``.
    """

    max_error: float
    worst_index: int
    worst_ratio: float
    passed: bool


def compare(candidate: np.ndarray, reference: np.ndarray, *, atol: float, rtol: float) -> Gap:
    """Compare two arrays; non-finite values count as failures.

    >>> compare(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-15]), atol=1e-13, rtol=0).passed
    True
    >>> g = compare(np.array([1.0, 2.5]), np.array([1.0, 2.0]), atol=1e-13, rtol=0)
    >>> g.passed, g.worst_index
    (False, 1)
    """
    a = np.asarray(candidate, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"candidate: shape {a.shape} differs from reference shape {b.shape}")
    err = np.abs(a - b)
    err = np.where(np.isfinite(err), err, np.inf)
    ratio = err / (atol + rtol * np.abs(b))
    i = int(np.argmax(ratio))
    return Gap(float(np.max(err)), i, float(ratio[i]), bool(ratio[i] <= 1.0))
