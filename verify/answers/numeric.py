"""Evaluating an expression with a bound on its rounding error: float64 or mpmath.

float64 runs over arrays of points with :mod:`verify.answers.arrays` (NumPy, or plain
Python where NumPy is absent: the same values either way).

Both sides of an answer check are evaluated here, node by node, by one small interpreter
over the SymPy nodes the parser can build (and the few more a derived result uses), so every
function the parser accepts can be evaluated for every claim. Alongside each value it
carries a first-order bound ``k`` on the absolute rounding error, in units of the unit
roundoff ``u`` (Higham, *Accuracy and Stability of Numerical Algorithms*, ch. 3):

- inputs are exact (the points are floats); a constant is exact or off by ``|v|``;
- ``a + b``: ``k_a + k_b + |v|``; ``a·b``: ``k_a|b| + k_b|a| + |v|`` (``-a``: ``k_a``);
- ``f(a)`` for a library function: ``|f'(a)|·k_a + 2|v|`` (the libraries are within an ulp
  or two; the second ``|v|`` pays for it);
- ``max``/``min``/``abs`` pass the largest ``k`` on (they are 1-Lipschitz, so a near tie
  costs nothing); a comparison, ``sign``, ``Heaviside`` and ``where`` add no error but are
  *uncertain* where the compared values lie within their bounds of each other: there
  float64 cannot tell the branch, and mpmath decides; ``floor`` and ``ceiling`` likewise are
  exact but uncertain where their argument lies within its bound of an integer.

Two values of mathematically equal expressions then differ by at most ``u·(k_1 + k_2)``
(first order); :data:`SAFETY` covers the neglected second-order terms.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> value, bound, unsure = evaluate(1 - sp.tanh(x) ** 2, {"x": xp.asarray([0.0, 20.0])})
>>> float(value[0]), bool(bound[1] > 1)
(1.0, True)
"""

from __future__ import annotations

import functools
import math

import mpmath
import sympy as sp

from derivations.functions import Phi, sigmoid
from verify.answers import arrays
from verify.answers.arrays import xp

#: float64 unit roundoff; mpmath runs at MP_BITS bits, unit roundoff 2**-MP_BITS.
U64 = 2.0**-53
MP_BITS = 200
#: Factor over the first-order bound, for the second-order terms it neglects.
SAFETY = 16.0
#: Past this |argument| a bounded function is its limit to far below 2**-MP_BITS, and
#: mpmath's own series code may overflow: the limit is returned directly.
_MP_HUGE = 2.0**20
#: Past this |argument| exp overflows even mpmath's exponent range: inf (or 0).
_MP_EXP_LIMIT = mpmath.mpf(2) ** 1030


class Unsupported(ValueError):
    """The expression holds a node this evaluator does not know."""


class _Float64:
    """float64 over arrays of points (:mod:`.arrays`: NumPy or plain Python); undefined
    values are nan."""

    u = U64

    def const(self, node, shape):
        try:
            v = float(node)
        except (TypeError, OverflowError):
            v = math.inf if node.is_positive else -math.inf
        exact = node.is_Rational and sp.Rational(v) == node if math.isfinite(v) else True
        bound = 0.0 if exact else abs(v)
        if arrays.PURE:  # every value an array: Python's own float operators would raise
            return xp.full(shape, v), xp.full(shape, bound)
        return xp.float64(v), xp.float64(bound)  # NumPy broadcasts them

    abs = staticmethod(xp.abs)
    floor = staticmethod(xp.floor)
    ceil = staticmethod(xp.ceil)
    nearest = staticmethod(xp.rint)
    exp = staticmethod(xp.exp)
    log = staticmethod(xp.log)
    tanh = staticmethod(xp.tanh)
    sin = staticmethod(xp.sin)
    cos = staticmethod(xp.cos)
    sinh = staticmethod(xp.sinh)
    cosh = staticmethod(xp.cosh)
    erf = staticmethod(arrays.erf)

    @staticmethod
    def sigmoid(a):
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def Phi(a):  # noqa: N802 - the function's name
        return 0.5 * arrays.erfc(-a / math.sqrt(2))

    @staticmethod
    def where(cond, a, b):
        return xp.where(cond, a, b)

    @staticmethod
    def power(b, e):
        return xp.power(b, e)

    def finite(self, v):
        return xp.isfinite(v)


class _Mp:
    """mpmath at MP_BITS bits, one point at a time; undefined values are nan.

    ``overflowed`` records that a value left even mpmath's range (exp of an exp): a nan
    that follows says nothing about the answer then, only about the arithmetic.
    """

    u = 2.0**-MP_BITS

    def __init__(self):
        self.overflowed = False

    def const(self, node, shape):
        if node in (sp.oo, -sp.oo):
            return mpmath.inf if node is sp.oo else -mpmath.inf, mpmath.mpf(0)
        v = mpmath.mpf(sp.Float(node, 70)) if not node.is_Rational else None
        if node.is_Rational:
            v = mpmath.mpf(int(node.p)) / int(node.q)
            q = int(node.q)
            exact = q & (q - 1) == 0 and abs(int(node.p)).bit_length() <= MP_BITS
            return v, (mpmath.mpf(0) if exact else abs(v))
        # a 30-digit float (an exact power too large to form) is off by 1e-30 relative
        rel = 2.0**-node._prec if isinstance(node, sp.Float) else self.u
        return v, abs(v) * max(1.0, rel / self.u)

    abs = staticmethod(abs)
    floor = staticmethod(mpmath.floor)
    ceil = staticmethod(mpmath.ceil)
    nearest = staticmethod(mpmath.nint)

    def exp(self, a):
        if abs(a) > _MP_EXP_LIMIT:
            self.overflowed = True
            return mpmath.inf if a > 0 else mpmath.mpf(0)
        return mpmath.exp(a)

    @staticmethod
    def log(a):
        if a < 0:
            return mpmath.nan
        return mpmath.log(a) if a > 0 else -mpmath.inf

    @staticmethod
    def tanh(a):
        return mpmath.sign(a) if abs(a) > _MP_HUGE else mpmath.tanh(a)

    @staticmethod
    def sin(a):
        return mpmath.sin(a) if mpmath.isfinite(a) else mpmath.nan

    @staticmethod
    def cos(a):
        return mpmath.cos(a) if mpmath.isfinite(a) else mpmath.nan

    def sinh(self, a):
        if abs(a) > _MP_EXP_LIMIT:
            self.overflowed = True
            return mpmath.sign(a) * mpmath.inf
        return mpmath.sinh(a)

    def cosh(self, a):
        if abs(a) > _MP_EXP_LIMIT:
            self.overflowed = True
            return mpmath.inf
        return mpmath.cosh(a)

    @staticmethod
    def erf(a):
        return mpmath.sign(a) if abs(a) > _MP_HUGE else mpmath.erf(a)

    def Phi(self, a):  # noqa: N802
        if abs(a) > _MP_HUGE:
            return mpmath.mpf(1) if a > 0 else mpmath.mpf(0)
        return mpmath.erfc(-a / mpmath.sqrt(2)) / 2

    def sigmoid(self, a):
        if abs(a) > _MP_HUGE:
            return mpmath.mpf(1) if a > 0 else mpmath.mpf(0)
        return 1 / (1 + mpmath.exp(-a))

    @staticmethod
    def where(cond, a, b):
        return a if cond else b

    def power(self, b, e):
        if b < 0 and e != int(e):
            return mpmath.nan
        if b == 0 and e < 0:
            return mpmath.inf
        if b and mpmath.isfinite(b) and mpmath.isfinite(e):
            # |b^e| = exp(e·ln|b|): past the range of exp, inf or 0 as exp gives them (and
            # mpmath's exact integer power of a huge exponent would take seconds)
            size = e * mpmath.log(abs(b))
            if abs(size) > _MP_EXP_LIMIT:
                self.overflowed = True
                if size < 0:
                    return mpmath.mpf(0)
                return -mpmath.inf if b < 0 and e % 2 == 1 else mpmath.inf
        return mpmath.power(b, e)

    def finite(self, v):
        return mpmath.isfinite(v)


FLOAT64, MP = _Float64(), _Mp()  # MP stands for the kind: each evaluation gets its own


def _derivative_bound(name, B, a, v):
    """|f'(a)| for each library function, from its value ``v`` where that is cheaper."""
    if name == "exp":
        return B.abs(v)
    if name == "log":
        return 1 / B.abs(a)
    if name == "tanh":
        return 1 - v * v
    if name in ("sin", "cos"):
        return 1.0  # |sin'|, |cos'| <= 1
    if name == "sinh":
        return B.cosh(a)
    if name == "cosh":
        return B.abs(B.sinh(a))
    if name == "sigmoid":
        return v * (1 - v)
    if name == "erf":
        return 2 / math.sqrt(math.pi) * B.exp(-a * a)
    if name == "Phi":
        return B.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    raise AssertionError(name)


_UNARY = {
    sp.exp: "exp",
    sp.log: "log",
    sp.tanh: "tanh",
    sp.sin: "sin",
    sp.cos: "cos",
    sp.sinh: "sinh",
    sp.cosh: "cosh",
    sigmoid: "sigmoid",
    sp.erf: "erf",
    Phi: "Phi",
}
_RELATIONS = {
    sp.StrictLessThan: lambda d: d < 0,
    sp.LessThan: lambda d: d <= 0,
    sp.StrictGreaterThan: lambda d: d > 0,
    sp.GreaterThan: lambda d: d >= 0,
    sp.Equality: lambda d: d == 0,
    sp.Unequality: lambda d: d != 0,
}


class _Evaluation:
    def __init__(self, backend, point: dict, shape):
        self.B, self.point, self.shape = backend, point, shape
        self.mp = isinstance(backend, _Mp)
        self.unsure = False if self.mp else xp.zeros(shape, bool)
        # values of repeated subexpressions only: keeping every node's arrays would cost
        # hundreds of MB for a long answer at tens of thousands of points
        self.memo: dict = {}
        self.repeated: set = set()

    def flag(self, where):
        self.unsure = self.unsure | where

    def run(self, node):
        if node in self.memo:
            return self.memo[node]
        out = self.node(node)
        if node in self.repeated:
            self.memo[node] = out
        return out

    def node(self, node):
        B = self.B
        if isinstance(node, sp.Symbol):
            if node.name not in self.point:
                raise Unsupported(f"no value for the variable {node.name}")
            v = self.point[node.name]
            return v, v * 0
        if node.is_number and not node.has(sp.I) and not isinstance(node, sp.Piecewise):
            if node.is_Rational or node in (sp.oo, -sp.oo) or node.is_Float:
                return B.const(node, self.shape)
            if node.is_NumberSymbol:
                return B.const(sp.Float(node, 70), self.shape)
        if isinstance(node, sp.Add):
            vals = [self.run(a) for a in node.args]
            v = sum(val for val, _ in vals)
            return v, sum(k for _, k in vals) + B.abs(v)
        if isinstance(node, sp.Mul) and node.args[0] == -1:
            # negation is exact: -ceiling(-T) at an integer T stays an exact integer
            v, k = self.run(sp.Mul(*node.args[1:], evaluate=False))
            return -v, k
        if isinstance(node, sp.Mul):
            vals = [self.run(a) for a in node.args]
            v, k = vals[0]
            for val, kk in vals[1:]:
                v, k = (
                    v * val,
                    self.scale(k, B.abs(val), kk) + self.scale(kk, B.abs(v), k) + B.abs(v * val),
                )
            return v, k
        if isinstance(node, sp.Pow):
            return self.pow(node)
        f = type(node)
        if f in _UNARY:
            a, ka = self.run(node.args[0])
            name = _UNARY[f]
            v = getattr(B, name)(a)
            dk = _derivative_bound(name, B, a, v) * ka
            return v, self.zero_if_exact(dk, ka) + 2 * B.abs(v)
        if f is sp.sech:
            a, ka = self.run(node.args[0])
            c = B.cosh(a)
            v = 1 / c
            return v, self.zero_if_exact(B.abs(v * B.tanh(a)) * ka, ka) + 3 * B.abs(v)
        if f is sp.Abs:
            a, ka = self.run(node.args[0])
            return B.abs(a), ka
        if f in (sp.sign, sp.Heaviside):
            a, ka = self.run(node.args[0])
            self.flag(self.close(a, ka))
            at_zero = 0 if f is sp.sign else 0.5
            if f is sp.Heaviside and len(node.args) > 1:
                at_zero = self.run(node.args[1])[0]
            v = B.where(a > 0, 1.0, B.where(a < 0, -1.0 if f is sp.sign else 0.0, at_zero))
            return v * 1.0, ka * 0
        if f in (sp.floor, sp.ceiling):
            a, ka = self.run(node.args[0])
            # a step: exact where the argument is known to lie strictly between integers
            with xp.errstate(invalid="ignore"):
                self.flag(self.close(a - B.nearest(a), ka))
            v = B.floor(a) if f is sp.floor else B.ceil(a)
            return v * 1.0, ka * 0
        if f in (sp.Max, sp.Min):
            vals = [self.run(a) for a in node.args]
            v, k = vals[0]
            for val, kk in vals[1:]:
                # max and min are 1-Lipschitz in each argument: a near tie picks either
                # argument at no more than the larger error, so no branch is uncertain
                take = val > v if f is sp.Max else val < v
                v, k = B.where(take, val, v), B.where(take, kk, k)
            return v, k
        if isinstance(node, sp.Piecewise):
            return self.piecewise(node)
        if node.is_number:
            # a constant of the derived result this interpreter has no rule for (a LambertW
            # value, say): SymPy's own evaluation to 70 digits, rounded like any constant
            value = node.evalf(70)
            if value.is_real and value.is_finite:
                return B.const(sp.Float(value, 70), self.shape)
        raise Unsupported(f"cannot evaluate {type(node).__name__} numerically")

    def scale(self, k, m, k_m):
        """``k·m`` for the bound ``k`` of one factor and the size ``m`` of the other, whose
        own bound is ``k_m``: an exact zero factor makes any bound 0 (0·inf is not nan), and
        an inexact zero times an unbounded error is unbounded."""
        if not self.mp:
            return arrays.scaled(k, m, k_m)
        if m == 0 and mpmath.isinf(k):
            return mpmath.mpf(0) if k_m == 0 else mpmath.inf
        return k * m

    def zero_if_exact(self, dk, ka):
        """``dk`` where the argument carries an error, 0 where it is exact (no 0·inf)."""
        if not self.mp:
            return xp.where(ka == 0, 0.0, dk)
        return 0 if ka == 0 else dk

    def close(self, d, k):
        """Where ``d`` lies within its rounding bound of 0: the sign is not known."""
        return self.B.abs(d) < SAFETY * self.B.u * k

    def pow(self, node):
        B = self.B
        b, kb = self.run(node.base)
        if node.exp.is_number and not node.exp.has(sp.I):
            e = node.exp
            ev = float(e) if not self.mp else B.const(e, self.shape)[0]
            if not self.mp:
                with xp.errstate(all="ignore"):
                    v = xp.power(b, ev) if e.is_Integer else xp.where(b < 0, math.nan, b) ** ev
            else:
                v = B.power(b, ev)
            dk = abs(ev) * B.abs(B.power(b, ev - 1) if self.mp else b ** (ev - 1)) * kb
            return v, self.zero_if_exact(dk, kb) + 2 * B.abs(v)
        e, ke = self.run(node.exp)
        v = B.power(b, e)
        spread = B.abs(v) * (B.abs(B.log(B.abs(b))) * ke + B.abs(e / b) * kb)
        return v, spread + 2 * B.abs(v)

    def condition(self, cond):
        """(truth, unsure) of a condition at every point."""
        if cond is sp.true or cond is sp.false:
            truth = bool(cond)
            return (xp.full(self.shape, truth) if not self.mp else truth), False
        if type(cond) in _RELATIONS:
            lhs, kl = self.run(cond.lhs)
            rhs, kr = self.run(cond.rhs)
            d = lhs - rhs
            return _RELATIONS[type(cond)](d), self.close(d, kl + kr)
        if isinstance(cond, sp.And | sp.Or):
            parts = [self.condition(c) for c in cond.args]
            truth, unsure = parts[0]
            for t, s in parts[1:]:
                truth = (
                    (truth & t if isinstance(cond, sp.And) else truth | t)
                    if not self.mp
                    else ((truth and t) if isinstance(cond, sp.And) else (truth or t))
                )
                unsure = unsure | s
            return truth, unsure
        if isinstance(cond, sp.Not):
            truth, unsure = self.condition(cond.args[0])
            return (~truth if not self.mp else not truth), unsure
        raise Unsupported(f"cannot evaluate the condition {type(cond).__name__}")

    def piecewise(self, node):
        if self.mp:
            for expr, cond in node.args:
                truth, unsure = self.condition(cond)
                self.flag(unsure)
                if truth:
                    return self.run(expr)
            return mpmath.nan, mpmath.mpf(0)
        value = xp.full(self.shape, math.nan)
        bound = xp.zeros(self.shape)
        open_ = xp.ones(self.shape, bool)  # no earlier branch has been taken
        for expr, cond in node.args:
            truth, unsure = self.condition(cond)
            self.flag(open_ & unsure)
            take = open_ & truth
            if take.any():
                v, k = self.run(expr)
                value, bound = xp.where(take, v, value), xp.where(take, k, bound)
            open_ &= ~truth
        return value, bound


@functools.lru_cache(maxsize=256)
def _repeated(expr) -> frozenset:
    """The subexpressions that occur more than once in ``expr``."""
    seen, twice = set(), set()
    for node in sp.preorder_traversal(expr):
        (twice if node in seen else seen).add(node)
    return frozenset(twice)


def evaluate(expr, point: dict, backend=FLOAT64):
    """``(value, bound, unsure)`` of ``expr`` at ``point`` (name -> float64 array, or a float
    with ``backend=MP``); ``bound`` is in units of the backend's unit roundoff.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> v, k, unsure = evaluate(sp.exp(x) / (1 + sp.exp(x)), {"x": 1000.0}, MP)
    >>> float(v), unsure
    (1.0, False)
    """
    if isinstance(backend, _Mp):
        with mpmath.workprec(MP_BITS):
            ev = _Evaluation(_Mp(), {n: mpmath.mpf(v) for n, v in point.items()}, ())
            ev.repeated = _repeated(expr)
            try:
                v, k = ev.run(expr)
                if isinstance(v, mpmath.mpc):
                    v = mpmath.nan if v.imag else v.real
            except (ZeroDivisionError, OverflowError, ValueError) as exc:
                if isinstance(exc, Unsupported):
                    raise
                v, k = mpmath.nan, mpmath.mpf(0)
            if ev.B.overflowed and not mpmath.isfinite(v):
                v = mpmath.nan
            return v, k, bool(ev.unsure) or ev.B.overflowed
    shape = xp.shape(next(iter(point.values()))) if point else ()
    ev = _Evaluation(FLOAT64, {n: xp.asarray(v, xp.float64) for n, v in point.items()}, shape)
    ev.repeated = _repeated(expr)
    with arrays.charged(), xp.errstate(all="ignore"):
        v, k = ev.run(expr)
        v, k = arrays.broadcast(v, shape), arrays.broadcast(k, shape)
    return v, k, arrays.flags(ev.unsure, shape)


def supported(expr) -> str:
    """An empty string if :func:`evaluate` can evaluate ``expr``, else why not.

    >>> supported(sp.Symbol("x") + 1), supported(sp.gamma(sp.Symbol("x")))
    ('', 'cannot evaluate gamma numerically')
    """
    try:
        evaluate(expr, {s.name: xp.asarray([0.5]) for s in expr.free_symbols})
    except Unsupported as exc:
        return str(exc)
    return ""
