"""The one place public functions check their arguments.

Every check returns the value in the form the caller computes with (``int``, ``float``, a
float64 array) or raises, and the same mistake gets the same error everywhere:

- ``TypeError`` when the value has the wrong type (a string, a bool, a complex number, an
  object array where a real is due);
- ``ValueError`` when the type is right but the value is not allowed (out of range, NaN or
  inf, an integer too large to be used as a float, an array of the wrong shape);
- the message reads ``"<name>: <what is required> is required, got <what was given>"``.

Integers too large for a float (``10**400``) are refused by name here, so that no
``OverflowError`` without a name surfaces from deep inside a computation.

>>> count(3, "width")
3
>>> count(0, "width")
Traceback (most recent call last):
...
ValueError: width: a positive integer is required, got 0
>>> real(float("nan"), "lr", low=0)
Traceback (most recent call last):
...
ValueError: lr: a finite real number >= 0 is required, got nan
>>> array([[1, 2, 3]], "x", shape=(None, 3))
array([[1., 2., 3.]])
"""

from __future__ import annotations

import json
import math
import numbers

try:
    import numpy as np
except ImportError:  # the book's in-page answer checker (Pyodide): scalars only, no arrays
    np = None

#: What counts as an array, and as a bool, here (no NumPy: no arrays, Python's bool).
_ARRAY = np.ndarray if np is not None else ()
_BOOL = (bool, np.bool_) if np is not None else bool

#: Counts stay below 2**63: NumPy's int64 holds them, and a float holds them to 1 part in 2**53.
COUNT_LIMIT = 2**63
#: Seeds are 63-bit: they index NumPy and torch generators without overflow anywhere.
SEED_LIMIT = 2**63
#: Longest repr shown in a message; a longer one is cut (a message is one readable line).
SHOWN = 60


def shown(value) -> str:
    """``value`` as a message shows it: its repr, cut to :data:`SHOWN` characters; an array
    by its shape and dtype; an integer too long to read by its number of digits.

    >>> shown(10**400)
    'an integer with 401 digits'
    >>> shown(np.zeros((2, 3)))
    'an array of shape (2, 3) and dtype float64'
    >>> shown("x" * 100)[-4:]
    "xx…'"
    """
    if isinstance(value, _ARRAY):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        # repr of an int past 4300 digits raises in Python ≥ 3.11; bit_length never does
        digits = len(str(abs(value))) if value.bit_length() < 10_000 else None
        article = "a negative" if value < 0 else "an"
        if digits is None:
            return f"{article} integer of {value.bit_length()} bits"
        return f"{article} integer with {digits} digits"
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 2] + "…" + text[-1]


def _refuse(error: type, name: str, wanted: str, value) -> Exception:
    got = shown(value)
    if error is TypeError and not isinstance(value, _ARRAY):
        got = f"{got} ({type(value).__name__})"
    return error(f"{name}: {wanted} is required, got {got}")


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, _BOOL)


# --- integers ----------------------------------------------------------------------------------
def _bound(n: int) -> str:
    """A bound as a person reads it: a large power of two as ``2**k``."""
    if n >= 2**20 and n & (n - 1) == 0:
        return f"2**{n.bit_length() - 1}"
    if n >= 2**20 and n & (n + 1) == 0:
        return f"2**{n.bit_length()} - 1"
    return str(n)


def _integer_wanted(minimum: int | None, maximum: int | None) -> str:
    if maximum is not None and minimum is not None:
        return f"an integer in [{minimum}, {_bound(maximum)}]"
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    if minimum is not None:
        return f"an integer >= {minimum}"
    return "an integer" if maximum is None else f"an integer <= {_bound(maximum)}"


def integer(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an ``int``: an integer (not a bool; NumPy integers too) in
    ``[minimum, maximum]``, and always of magnitude below :data:`COUNT_LIMIT`.

    >>> integer(-3, "shift")
    -3
    >>> integer(7, "digits", minimum=1, maximum=6)
    Traceback (most recent call last):
    ...
    ValueError: digits: an integer in [1, 6] is required, got 7
    >>> integer(2.0, "digits")
    Traceback (most recent call last):
    ...
    TypeError: digits: an integer is required, got 2.0 (float)
    """
    wanted = _integer_wanted(minimum, maximum)
    if not _is_integer(value):
        raise _refuse(TypeError, name, wanted, value)
    v = int(value)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise _refuse(ValueError, name, wanted, value)
    if abs(v) >= COUNT_LIMIT:
        raise _refuse(ValueError, name, f"{wanted} of magnitude below 2**63", value)
    return v


def count(value, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) of at least ``minimum`` (and
    at most ``maximum``; below :data:`COUNT_LIMIT` in any case).

    >>> count(True, "seeds")
    Traceback (most recent call last):
    ...
    TypeError: seeds: a positive integer is required, got True (bool)
    >>> count(1, "n", minimum=2)
    Traceback (most recent call last):
    ...
    ValueError: n: an integer >= 2 is required, got 1
    >>> count(10**400, "width")
    Traceback (most recent call last):
    ...
    ValueError: width: a positive integer of magnitude below 2**63 is required, got an integer with 401 digits
    """
    return integer(value, name, minimum=minimum, maximum=maximum)


def non_negative_int(value, name: str, *, maximum: int | None = None) -> int:
    """``value`` as an ``int >= 0`` (a count that may be zero, such as a padding).

    >>> non_negative_int(0, "pad")
    0
    >>> non_negative_int(-1, "pad")
    Traceback (most recent call last):
    ...
    ValueError: pad: a non-negative integer is required, got -1
    """
    return integer(value, name, minimum=0, maximum=maximum)


def seed(value, name: str = "seed") -> int:
    """``value`` as a seed: an integer (not a bool) with ``0 <= value < 2**63``.

    >>> seed(7)
    7
    >>> seed(2**64)
    Traceback (most recent call last):
    ...
    ValueError: seed: an integer with 0 <= seed < 2**63 is required, got 18446744073709551616
    >>> seed("7")
    Traceback (most recent call last):
    ...
    TypeError: seed: an integer with 0 <= seed < 2**63 is required, got '7' (str)
    """
    wanted = f"an integer with 0 <= {name} < 2**63"
    if not _is_integer(value):
        raise _refuse(TypeError, name, wanted, value)
    if not 0 <= value < SEED_LIMIT:
        raise _refuse(ValueError, name, wanted, value)
    return int(value)


# --- reals -------------------------------------------------------------------------------------
def _real_wanted(low, high, open_low: bool, open_high: bool) -> str:
    if low is None and high is None:
        return "a finite real number"
    if high is None:
        return f"a finite real number {'>' if open_low else '>='} {low:g}"
    if low is None:
        return f"a finite real number {'<' if open_high else '<='} {high:g}"
    left, right = "(" if open_low else "[", ")" if open_high else "]"
    return f"a real number in {left}{low:g}, {high:g}{right}"


def real(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high`` (closed ends
    unless ``open_low`` / ``open_high``; ``None`` is no bound).

    Accepted: ``int``, ``float``, NumPy and other real numbers (``Fraction``, SymPy's). Refused
    with a ``TypeError``: bools, complex numbers, strings, arrays; with a ``ValueError``: NaN,
    ±inf, an integer too large for a float, a value outside the interval.

    >>> real(3, "mu", low=0)
    3.0
    >>> real(True, "mu")
    Traceback (most recent call last):
    ...
    TypeError: mu: a finite real number is required, got True (bool)
    >>> real(1 + 0j, "mu")
    Traceback (most recent call last):
    ...
    TypeError: mu: a finite real number is required, got (1+0j) (complex)
    >>> real(10**400, "mu")
    Traceback (most recent call last):
    ...
    ValueError: mu: a finite real number is required, got an integer with 401 digits
    >>> real(1.0, "beta1", low=0, high=1, open_high=True)
    Traceback (most recent call last):
    ...
    ValueError: beta1: a real number in [0, 1) is required, got 1.0
    """
    wanted = _real_wanted(low, high, open_low, open_high)
    if not isinstance(value, numbers.Real) or isinstance(value, _BOOL):
        raise _refuse(TypeError, name, wanted, value)
    try:
        v = float(value)
    except (OverflowError, ValueError, TypeError):
        raise _refuse(ValueError, name, wanted, value) from None
    inside = math.isfinite(v)
    if inside and low is not None:
        inside = v > low if open_low else v >= low
    if inside and high is not None:
        inside = v < high if open_high else v <= high
    if not inside:
        raise _refuse(ValueError, name, wanted, value)
    return v


def positive(value, name: str) -> float:
    """``value`` as a finite ``float > 0``.

    >>> positive(0.0, "eps")
    Traceback (most recent call last):
    ...
    ValueError: eps: a finite real number > 0 is required, got 0.0
    """
    return real(value, name, low=0, open_low=True)


def non_negative(value, name: str) -> float:
    """``value`` as a finite ``float >= 0``.

    >>> non_negative(float("inf"), "reg")
    Traceback (most recent call last):
    ...
    ValueError: reg: a finite real number >= 0 is required, got inf
    """
    return real(value, name, low=0)


def probability(value, name: str, *, open_low: bool = False, open_high: bool = False) -> float:
    """``value`` as a ``float`` in ``[0, 1]`` (either end open on request).

    >>> probability(0.5, "p", open_high=True)
    0.5
    >>> probability(1, "p", open_high=True)
    Traceback (most recent call last):
    ...
    ValueError: p: a real number in [0, 1) is required, got 1
    """
    return real(value, name, low=0, high=1, open_low=open_low, open_high=open_high)


# --- choices -----------------------------------------------------------------------------------
def choice(value, name: str, options):
    """``value`` if it is one of ``options`` (any iterable; shown in its order).

    A value of another type than every option (a number where names are due) is a
    ``TypeError``; an unknown value of the right type a ``ValueError``.

    >>> choice("float32", "dtype", ("float16", "float32"))
    'float32'
    >>> choice("int8", "dtype", ("float16", "float32"))
    Traceback (most recent call last):
    ...
    ValueError: dtype: one of 'float16', 'float32' is required, got 'int8'
    >>> choice(32, "dtype", ("float16", "float32"))
    Traceback (most recent call last):
    ...
    TypeError: dtype: one of 'float16', 'float32' is required, got 32 (int)
    """
    options = tuple(options)
    wanted = "one of " + ", ".join(map(repr, options))
    # 3.0 is not the option 3, nor True the option 1: the type must match as well
    same_kind = not isinstance(value, bool) and any(isinstance(value, type(o)) for o in options)
    if same_kind and any(value == o for o in options):
        return value
    raise _refuse(ValueError if same_kind else TypeError, name, wanted, value)


# --- arrays ------------------------------------------------------------------------------------
def _shape_text(shape) -> str:
    inner = ", ".join("any" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _array_wanted(kind: str, shape, ndim, min_ndim) -> str:
    if shape is not None:
        return f"{kind} array of shape {_shape_text(shape)}"
    if ndim is not None:
        return f"{kind} {ndim}-d array"
    if min_ndim:
        return f"{kind} array with at least {min_ndim} dimensions"
    return f"{kind} array"


_KINDS = (
    {float: ("a real", "iuf", np.float64), int: ("an integer", "iu", np.int64)}
    if np is not None
    else {}
)


def array(
    value,
    name: str,
    *,
    shape: tuple | None = None,
    ndim: int | None = None,
    min_ndim: int = 0,
    dtype: type = float,
    finite: bool = True,
) -> np.ndarray:
    """``value`` (an array, a nested list or a number) as a NumPy array of ``dtype``
    (``float`` gives float64, ``int`` gives int64).

    ``shape`` is a tuple whose ``None`` entries take any length; ``ndim`` and ``min_ndim``
    constrain the number of dimensions only. Refused with a ``TypeError``: bool, complex,
    string and object arrays (or a float array where ``dtype=int``); with a ``ValueError``:
    the wrong shape, and NaN or ±inf entries when ``finite``.

    >>> array(2, "x")
    array(2.)
    >>> array(np.ones((2, 5)), "x", shape=(None, 3))
    Traceback (most recent call last):
    ...
    ValueError: x: a real array of shape (any, 3) is required, got shape (2, 5)
    >>> array([1 + 2j], "x")
    Traceback (most recent call last):
    ...
    TypeError: x: a real array is required, got an array of shape (1,) and dtype complex128
    >>> array([1.0, float("nan")], "x")
    Traceback (most recent call last):
    ...
    ValueError: x: finite entries are required, got nan at index (1,)
    >>> array([0.5], "y", dtype=int)
    Traceback (most recent call last):
    ...
    TypeError: y: an integer array is required, got an array of shape (1,) and dtype float64
    """
    if dtype not in _KINDS:
        raise ValueError(f"dtype: one of float, int is required, got {dtype!r}")
    kind, codes, target = _KINDS[dtype]
    wanted = _array_wanted(kind, shape, ndim, min_ndim)
    a = _as_array(value, name, wanted, codes)
    if a.dtype.kind not in codes:
        raise _refuse(TypeError, name, wanted, a)
    a = a.astype(target, copy=False)
    fits = a.ndim >= min_ndim and (ndim is None or a.ndim == ndim)
    if shape is not None:
        fits = fits and a.ndim == len(shape)
        fits = fits and all(s is None or s == n for s, n in zip(shape, a.shape, strict=False))
    if not fits:
        raise ValueError(f"{name}: {wanted} is required, got shape {a.shape}")
    if finite and dtype is float and not np.all(np.isfinite(a)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(
            f"{name}: finite entries are required, got {float(a[where])!r} at index {where}"
        )
    return a


def _as_array(value, name: str, wanted: str, codes: str) -> np.ndarray:
    if isinstance(value, _ARRAY):
        a = value
    elif isinstance(value, list | tuple | numbers.Number):
        try:
            a = np.asarray(value)
        except (ValueError, OverflowError):  # ragged nesting
            raise _refuse(TypeError, name, wanted, value) from None
    else:
        raise _refuse(TypeError, name, wanted, value)
    if a.dtype.kind != "O":
        return a
    # Python ints past 64 bits land in an object array; so does a mix of numbers and others.
    items = a.ravel().tolist()
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in items):
        raise _refuse(TypeError, name, wanted, a)
    if "f" not in codes:  # integers past int64, or floats among them
        if all(_is_integer(v) for v in items):
            raise ValueError(f"{name}: {wanted} is required, got an entry of 2**63 or more")
        raise _refuse(TypeError, name, wanted, a)
    try:
        return np.array(items, dtype=np.float64).reshape(a.shape)
    except OverflowError:
        raise ValueError(
            f"{name}: {wanted} is required, got an entry too large for a float"
        ) from None


def same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Refuse two arrays whose shapes differ, naming both.

    >>> same_shape("dout", np.ones(3), "x", np.ones(4))
    Traceback (most recent call last):
    ...
    ValueError: dout of shape (3,) and x of shape (4,): the shapes must be equal
    """
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{name_a} of shape {np.shape(a)} and {name_b} of shape {np.shape(b)}: "
            "the shapes must be equal"
        )


def options(value, name: str, keys=None, *, required=()) -> dict:
    """``value`` as a dict of settings (``None`` is empty) with only ``keys`` (if given) and
    every key of ``required``.

    >>> options(None, "config")
    {}
    >>> options({"lr": 1}, "config", ("learning_rate",))
    Traceback (most recent call last):
    ...
    ValueError: config: keys among 'learning_rate' are required, got unknown key 'lr'
    >>> options([("p", 0.5)], "dropout_param")
    Traceback (most recent call last):
    ...
    TypeError: dropout_param: a dict is required, got [('p', 0.5)] (list)
    """
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise _refuse(TypeError, name, "a dict", value)
    if keys is not None:
        unknown = [k for k in value if k not in keys]
        if unknown:
            allowed = ", ".join(map(repr, keys))
            raise ValueError(
                f"{name}: keys among {allowed} are required, got unknown key {unknown[0]!r}"
            )
    missing = [k for k in required if k not in value]
    if missing:
        raise ValueError(
            f"{name}: a dict with key {missing[0]!r} is required, got keys {sorted(map(str, value))}"
        )
    return value


# --- JSON files --------------------------------------------------------------------------------
#: Largest JSON file read (weights read off a diagram are a few kilobytes).
JSON_BYTES = 2**20
#: Deepest nesting of a JSON value accepted: an object of matrices is three levels deep.
JSON_DEPTH = 8


def numbers_only(value, name: str, *, depth: int = JSON_DEPTH):
    """``value`` if it is a number or (nested) lists and tuples of numbers: real numbers that
    are not bools, nested at most ``depth`` levels. A bool, a string (``"1"``), ``None``, a
    complex number or a dict inside is refused by its position, never read as a number.

    >>> numbers_only([[0.5, 2], [3, -1]], "W1")
    [[0.5, 2], [3, -1]]
    >>> numbers_only([[0.5, True]], "W1")
    Traceback (most recent call last):
    ...
    TypeError: W1[0][1]: a real number (not a bool or a string) is required, got True (bool)
    >>> numbers_only([["1"]], "W1")
    Traceback (most recent call last):
    ...
    TypeError: W1[0][0]: a real number (not a bool or a string) is required, got '1' (str)
    """
    stack = [(value, name, 0)]
    while stack:  # iterative: a deeply nested value cannot exhaust Python's stack
        v, where, level = stack.pop()
        if isinstance(v, list | tuple):
            if level >= depth:
                raise ValueError(
                    f"{name}: numbers nested at most {depth} levels deep are required, got "
                    "deeper nesting"
                )
            stack.extend((item, f"{where}[{i}]", level + 1) for i, item in enumerate(v))
        elif isinstance(v, _ARRAY):
            if v.dtype.kind not in "iuf":
                raise _refuse(TypeError, where, "a real array", v)
        elif not isinstance(v, numbers.Real) or isinstance(v, _BOOL):
            raise _refuse(TypeError, where, "a real number (not a bool or a string)", v)
    return value


def _json_int(text: str) -> int:
    v = int(text)
    if abs(v) >= 2**1024:  # no float holds it: it would become inf, or an OverflowError
        raise ValueError(f"a number that fits a float is required, got {shown(v)}")
    return v


def _json_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):  # 1e400 parses as inf
        raise ValueError(f"a finite number is required, got {text[:SHOWN]}")
    return v


def _json_constant(text: str):
    raise ValueError(f"a finite number is required, got {text}")


def _json_object(pairs):
    keys = [k for k, _ in pairs]
    for k in keys:
        if keys.count(k) > 1:
            raise ValueError(f"each key once is required, got {k!r} twice")
    return dict(pairs)


def json_file(path, name: str, *, max_bytes: int = JSON_BYTES, max_depth: int = JSON_DEPTH):
    """The JSON value in the file ``path``, read strictly; every refusal names ``name``.

    Refused with a ``ValueError``: an unreadable file; one larger than ``max_bytes`` (read
    with that limit, so ``/dev/zero`` or a huge file ends at once); invalid UTF-8 or JSON;
    ``NaN``, ``Infinity`` and numbers no float holds (``1e400``, a 400-digit integer); a key
    given twice; nesting deeper than ``max_depth``.

    >>> json_file("/dev/zero", "params")
    Traceback (most recent call last):
    ...
    ValueError: params: a JSON file of at most 1048576 bytes is required, got /dev/zero, which is longer
    >>> json_file("/nonexistent.json", "params")
    Traceback (most recent call last):
    ...
    ValueError: params: a readable JSON file is required, got /nonexistent.json: ...
    """
    max_bytes = count(max_bytes, "max_bytes")
    max_depth = count(max_depth, "max_depth")
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise ValueError(
            f"{name}: a readable JSON file is required, got {path}: {exc.strerror or exc}"
        ) from None
    if len(raw) > max_bytes:
        raise ValueError(
            f"{name}: a JSON file of at most {max_bytes} bytes is required, got {path}, "
            "which is longer"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: a UTF-8 JSON file is required, got {path}: {exc}") from None
    try:
        value = json.loads(
            text,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=_json_constant,
            object_pairs_hook=_json_object,
        )
    except RecursionError:
        raise ValueError(
            f"{name}: JSON nested at most {max_depth} levels deep is required, got {path}, "
            "nested too deep to parse"
        ) from None
    except ValueError as exc:  # JSONDecodeError, and the refusals of the hooks above
        raise ValueError(f"{name}: valid JSON is required, got {path}: {exc}") from None
    stack = [(value, 1)]
    while stack:
        v, level = stack.pop()
        if level > max_depth:
            raise ValueError(
                f"{name}: JSON nested at most {max_depth} levels deep is required, got {path}"
            )
        items = v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()
        stack.extend((item, level + 1) for item in items)
    return value
