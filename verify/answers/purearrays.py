"""The NumPy operations the answer checker uses, on plain Python lists of floats.

Where NumPy cannot be imported (the book's checker runs under Pyodide, with SymPy and mpmath
only) :mod:`verify.answers.arrays` hands out this module in NumPy's place. It is no general
array library: one-dimensional :class:`Vec` values, and each function with NumPy's float64
semantics on the values the checker meets. Above all IEEE 754's: where Python's ``math``
raises (``exp(1000)``, ``log(0)``, ``0.0/0.0``, ``sin(inf)``), NumPy gives ``inf`` or
``nan`` silently, and so does every function here.

>>> v = array([0.0, -1.0, 1000.0])
>>> log(v).tolist(), exp(v).tolist()
([-inf, nan, 6.907755278982137], [1.0, 0.36787944117144233, inf])
>>> (1 / v).tolist()
[inf, -1.0, 0.001]
"""

from __future__ import annotations

import builtins
import contextlib
import math
from itertools import repeat

nan, inf = math.nan, math.inf
float64, bool_ = float, bool


class Vec:
    """A one-dimensional array: a list of floats, bools or ints, NumPy's operators on it."""

    __slots__ = ("v",)
    __hash__ = None

    def __init__(self, values):
        self.v = values if isinstance(values, list) else list(values)

    # --- container --------------------------------------------------------------------------
    def __len__(self):
        return len(self.v)

    def __iter__(self):
        return iter(self.v)

    def __repr__(self):
        return f"Vec({self.v!r})"

    @property
    def size(self):
        return len(self.v)

    @property
    def shape(self):
        return (len(self.v),)

    def copy(self):
        return Vec(self.v[:])

    def tolist(self):
        return self.v[:]

    def astype(self, kind):
        if kind is int:
            return Vec([int(x) for x in self.v])
        if kind is bool:
            return Vec([bool(x) for x in self.v])
        return Vec([float(x) for x in self.v])

    def sum(self):
        return sum(self.v)

    def any(self):
        return any(self.v)

    def all(self):
        return all(self.v)

    def min(self):
        return min(self.v)

    def max(self):
        return max(self.v)

    def __bool__(self):
        if len(self.v) != 1:
            raise ValueError("the truth value of an array with more than one element is ambiguous")
        return bool(self.v[0])

    def __float__(self):
        (x,) = self.v
        return float(x)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return Vec(self.v[key])
        if isinstance(key, Vec):
            key = key.v
        if isinstance(key, list):
            v = self.v
            if key and type(key[0]) is bool:
                if len(key) != len(v):
                    raise IndexError("a mask of another length")
                return Vec([x for x, keep in zip(v, key, strict=False) if keep])
            return Vec([v[i] for i in key])
        return self.v[key]

    # --- arithmetic -------------------------------------------------------------------------
    def __add__(self, other):
        return _add(self, other)

    def __radd__(self, other):
        return _add(other, self)

    def __sub__(self, other):
        return _sub(self, other)

    def __rsub__(self, other):
        return _sub(other, self)

    def __mul__(self, other):
        return _mul(self, other)

    def __rmul__(self, other):
        return _mul(other, self)

    def __truediv__(self, other):
        return _truediv(self, other)

    def __rtruediv__(self, other):
        return _truediv(other, self)

    def __pow__(self, other):
        if not isinstance(other, Vec) and other == 0.5:  # NumPy's ``**`` takes sqrt here
            return _map(math.sqrt, _trig_special, self)
        return power(self, other)

    def __rpow__(self, other):
        return power(other, self)

    def __neg__(self):
        return Vec([-x for x in self.v])

    def __abs__(self):
        return Vec([builtins.abs(x) for x in self.v])

    # --- comparisons and logic --------------------------------------------------------------
    def __lt__(self, other):
        return _lt(self, other)

    def __le__(self, other):
        return _le(self, other)

    def __gt__(self, other):
        return _gt(self, other)

    def __ge__(self, other):
        return _ge(self, other)

    def __eq__(self, other):
        return _eq(self, other)

    def __ne__(self, other):
        return _ne(self, other)

    def __and__(self, other):
        return _and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _or(self, other)

    __ror__ = __or__

    def __invert__(self):
        return Vec([not x for x in self.v])


def _zipped(a, b):
    if len(a.v) != len(b.v):
        raise ValueError(f"arrays of lengths {len(a.v)} and {len(b.v)}")
    return zip(a.v, b.v, strict=False)


def _pairs(a, b):
    if isinstance(a, Vec):
        return _zipped(a, b) if isinstance(b, Vec) else zip(a.v, repeat(b))
    return zip(repeat(a), b.v)


def _binary(f, a, b):
    if not isinstance(a, Vec) and not isinstance(b, Vec):
        return f(a, b)
    return Vec([f(x, y) for x, y in _pairs(a, b)])


# --- the operators, one comprehension each (a call per element would cost twice the time)
def _add(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x + y for x, y in _zipped(a, b)])
        return Vec([x + b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a + y for y in b.v])
    return a + b


def _sub(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x - y for x, y in _zipped(a, b)])
        return Vec([x - b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a - y for y in b.v])
    return a - b


def _mul(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x * y for x, y in _zipped(a, b)])
        return Vec([x * b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a * y for y in b.v])
    return a * b


def _lt(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x < y for x, y in _zipped(a, b)])
        return Vec([x < b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a < y for y in b.v])
    return a < b


def _le(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x <= y for x, y in _zipped(a, b)])
        return Vec([x <= b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a <= y for y in b.v])
    return a <= b


def _gt(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x > y for x, y in _zipped(a, b)])
        return Vec([x > b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a > y for y in b.v])
    return a > b


def _ge(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x >= y for x, y in _zipped(a, b)])
        return Vec([x >= b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a >= y for y in b.v])
    return a >= b


def _eq(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x == y for x, y in _zipped(a, b)])
        return Vec([x == b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a == y for y in b.v])
    return a == b


def _ne(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x != y for x, y in _zipped(a, b)])
        return Vec([x != b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a != y for y in b.v])
    return a != b


def _and(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x & y for x, y in _zipped(a, b)])
        return Vec([x & b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a & y for y in b.v])
    return a & b


def _or(a, b):
    if isinstance(a, Vec):
        if isinstance(b, Vec):
            return Vec([x | y for x, y in _zipped(a, b)])
        return Vec([x | b for x in a.v])
    if isinstance(b, Vec):
        return Vec([a | y for y in b.v])
    return a | b


def _truediv(a, b):
    try:
        if isinstance(a, Vec):
            if isinstance(b, Vec):
                return Vec([x / y for x, y in _zipped(a, b)])
            return Vec([x / b for x in a.v])
        if isinstance(b, Vec):
            return Vec([a / y for y in b.v])
        return a / b
    except ZeroDivisionError:
        return _binary(_div, a, b)


def _div(x, y):
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0:
            return nan
        return math.copysign(inf, x) * math.copysign(1.0, y)


def _odd_integer(e) -> bool:
    return math.isfinite(e) and e == math.floor(e) and math.fmod(e, 2.0) != 0


def _pow(b, e):
    try:
        return math.pow(b, e)
    except OverflowError:
        return -inf if b < 0 and _odd_integer(e) else inf
    except ValueError:
        if b == 0:  # zero to a negative power
            return math.copysign(inf, b) if _odd_integer(e) else inf
        return nan  # a negative base to a fractional power


def _map(f, careful, a):
    """``f`` at every value of ``a``; ``careful`` (IEEE results) where ``f`` raises."""
    if not isinstance(a, Vec):
        try:
            return f(a)
        except (OverflowError, ValueError):
            return careful(a)
    try:
        return Vec([f(x) for x in a.v])
    except (OverflowError, ValueError):
        return Vec([_guarded(f, careful, x) for x in a.v])


def _guarded(f, careful, x):
    try:
        return f(x)
    except (OverflowError, ValueError):
        return careful(x)


def _exp_limit(x):
    return nan if x != x else (inf if x > 0 else 0.0)


def _log_special(x):
    return -inf if x == 0 else nan


def _trig_special(x):
    return nan


def _sinh_limit(x):
    return math.copysign(inf, x)


def _cosh_limit(x):
    return inf


def _floor(x):
    if not math.isfinite(x) or x == 0 or abs(x) >= 2.0**52:
        return x
    return float(math.floor(x))


def _ceil(x):
    if not math.isfinite(x) or abs(x) >= 2.0**52:
        return x
    r = float(math.ceil(x))
    return math.copysign(r, x) if r == 0 else r  # NumPy's ceil(-0.5) is -0.0


def _rint(x):
    if not math.isfinite(x) or abs(x) >= 2.0**52:
        return x
    r = float(builtins.round(x))  # half to even, as NumPy
    return math.copysign(r, x) if r == 0 else r


def _sign(x):
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return 0.0 if x == 0 else x  # nan stays nan


def _unary(f):
    def apply(a):
        return Vec([f(x) for x in a.v]) if isinstance(a, Vec) else f(a)

    return apply


def exp(a):
    return _map(math.exp, _exp_limit, a)


def log(a):
    return _map(math.log, _log_special, a)


def sin(a):
    return _map(math.sin, _trig_special, a)


def cos(a):
    return _map(math.cos, _trig_special, a)


def sinh(a):
    return _map(math.sinh, _sinh_limit, a)


def cosh(a):
    return _map(math.cosh, _cosh_limit, a)


tanh = _unary(math.tanh)
erf = _unary(math.erf)
erfc = _unary(math.erfc)
abs = _unary(builtins.abs)  # noqa: A001 - NumPy's name
floor = _unary(_floor)
ceil = _unary(_ceil)
rint = _unary(_rint)
round = rint  # noqa: A001 - NumPy's name (no decimals here)
sign = _unary(_sign)
isfinite = _unary(math.isfinite)
isnan = _unary(math.isnan)
isinf = _unary(math.isinf)


def power(b, e):
    if not isinstance(b, Vec) and not isinstance(e, Vec):
        return _pow(b, e)
    try:
        return Vec([math.pow(x, y) for x, y in _pairs(b, e)])
    except (OverflowError, ValueError):
        return Vec([_pow(x, y) for x, y in _pairs(b, e)])


def maximum(a, b):
    return _binary(lambda x, y: x if (x > y or x != x) else y, a, b)


def where(cond, a, b):
    if not isinstance(cond, Vec):
        return a if cond else b
    n = len(cond.v)
    xs = a.v if isinstance(a, Vec) else repeat(a, n)
    ys = b.v if isinstance(b, Vec) else repeat(b, n)
    return Vec([x if c else y for c, x, y in zip(cond.v, xs, ys, strict=False)])


# --- building arrays ---------------------------------------------------------------------------
def _length(shape) -> int:
    if isinstance(shape, int):
        return shape
    return shape[0] if shape else 1


def full(shape, value):
    return Vec([value] * _length(shape))


def zeros(shape, dtype=float):
    return full(shape, False if dtype is bool else 0.0)


def ones(shape, dtype=float):
    return full(shape, True if dtype is bool else 1.0)


def asarray(values, dtype=None):
    if isinstance(values, Vec):
        return values if dtype is None else values.astype(dtype)
    if hasattr(values, "tolist"):  # another library's array
        values = values.tolist()
    if isinstance(values, list | tuple | range):
        return Vec(list(values)) if dtype is None else Vec(list(values)).astype(dtype)
    return Vec([values if dtype is None else dtype(values)])


array = asarray


def broadcast(value, shape):
    """``value`` (a scalar or a Vec) as a new Vec of ``shape``."""
    if isinstance(value, Vec):
        return value.copy()
    return full(shape, float(value))


def concatenate(parts):
    out = []
    for p in parts:
        out.extend(p.v if isinstance(p, Vec) else p)
    return Vec(out)


def nonzero(mask):
    return (Vec([i for i, m in enumerate(mask.v) if m]),)


def arange(start, stop=None, dtype=int):
    if stop is None:
        start, stop = 0, start
    return Vec([dtype(i) for i in range(int(start), int(stop))])


def linspace(start, stop, num):
    """NumPy's linspace exactly: ``i·step + start``, the last point ``stop``."""
    if num == 1:
        return Vec([float(start)])
    step = (stop - start) / (num - 1)
    out = [i * step + start for i in range(num)]
    out[-1] = float(stop)
    return Vec(out)


def sort(values):
    return Vec(sorted(values.v if isinstance(values, Vec) else values))


def shape(value):
    return value.shape if isinstance(value, Vec) else ()


def errstate(**_):
    return contextlib.nullcontext()
