"""The per-student MLP question checked offline, in the standard library only.

The book's in-page form runs this module in the browser under Pyodide, where NumPy is not
available. It recomputes a student's answer key from the id exactly as
:mod:`derivations.mlp.key` does (NumPy's legacy ``RandomState(student_id).rand``, reproduced
bit for bit by :class:`MT19937` / :class:`RandomState`, then one SGD step of the course
network in plain floats) and tells, per typed quantity, right or wrong and roughly how far
off — never the key itself, nor the exact difference (from which the key would follow).

The tolerance is the grader's (:class:`verify.grading.grade.Tolerance`): an entry is right
when ``|a − r| ≤ ATOL + RTOL·|r|``; the predicted class ``y_hat`` is graded exactly. Typed
numbers are read as :func:`verify.grading.reading.parse_cell` reads them (decimal commas,
the Unicode minus, fractions, bracketed matrices). The tests hold these copies to the
originals, so they cannot drift apart.

>>> key = answer_key(0)
>>> list(key)[:6], key["y_hat"]
(['h1_bar', 'h1', 'h2', 'p', 'y_hat', 'loss'], 2)
>>> [r["verdict"] for r in check(0, {"loss": repr(key["loss"]), "dl_db1[1]": "0.5"})]
['right', 'wrong']
>>> check(0, {"loss": "2,35"})[0]["message"]
'wrong: off by about 0.3% of the key’s size (close: 4 significant digits are enough)'
"""

from __future__ import annotations

import difflib
import math
import numbers
import random
import re

# --- the course instance: copies of derivations.mlp.key's constants (tests keep them equal) ----

#: Input, 1-based label, learning rate, LeakyReLU slope, hidden widths, classes.
X = (1.0, -1.0, 1.5)
LABEL = 3
LR = 0.01
SLOPE = 0.01
HIDDEN = (4,)
CLASSES = 3
ACTIVATIONS = ("leaky_relu", "relu")
MAX_HIDDEN_LAYERS = 32
MAX_WIDTH = 1024
MAX_PARAMETERS = 10**6
#: Student ids seed NumPy's legacy generator, which takes 32-bit seeds.
ID_LIMIT = 2**32
#: The options :func:`answer_key` and :func:`check` take (those of the MLP question).
OPTIONS = ("x", "label", "lr", "label_smoothing", "slope", "activation", "hidden")

# --- the grader's rule: copies of verify.grading.grade's (tests keep them equal) ----------------

RTOL = 1e-3
ATOL = 1e-4
EXACT = ("y_hat",)

# --- bounds on the work one call may ask for ----------------------------------------------------

#: Longest typed answer (the grader's ``MAX_CELL``) and label read.
MAX_TEXT = 10_000
MAX_LABEL = 100
#: Most answers one :func:`check` call reads (the course key has under 100 entries).
MAX_ANSWERS = 500
#: Wrong entries of a matrix named one by one in a message; the rest are counted.
MAX_LISTED = 10
#: Longest repr shown in a message.
SHOWN = 60


# --- argument checks (the messages of derivations.arguments, without NumPy) ---------------------


def _shown(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        digits = len(str(abs(value))) if value.bit_length() < 10_000 else None
        article = "a negative" if value < 0 else "an"
        if digits is None:
            return f"{article} integer of {value.bit_length()} bits"
        return f"{article} integer with {digits} digits"
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 2] + "…" + text[-1]


def _refuse(error: type, name: str, wanted: str, value) -> Exception:
    got = _shown(value)
    if error is TypeError:
        got = f"{got} ({type(value).__name__})"
    return error(f"{name}: {wanted} is required, got {got}")


def _bound(n: int) -> str:
    if n >= 2**20 and n & (n - 1) == 0:
        return f"2**{n.bit_length() - 1}"
    if n >= 2**20 and n & (n + 1) == 0:
        return f"2**{n.bit_length()} - 1"
    return str(n)


def _integer(value, name: str, minimum: int, maximum: int) -> int:
    wanted = f"an integer in [{minimum}, {_bound(maximum)}]"
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise _refuse(TypeError, name, wanted, value)
    v = int(value)
    if not minimum <= v <= maximum:
        raise _refuse(ValueError, name, wanted, value)
    return v


def _real(value, name: str, *, unit: bool = False) -> float:
    """A finite float ``>= 0``; with ``unit`` in ``[0, 1)``."""
    wanted = "a real number in [0, 1)" if unit else "a finite real number >= 0"
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise _refuse(TypeError, name, wanted, value)
    try:
        v = float(value)
    except (OverflowError, ValueError, TypeError):
        raise _refuse(ValueError, name, wanted, value) from None
    if not (math.isfinite(v) and v >= 0 and (not unit or v < 1)):
        raise _refuse(ValueError, name, wanted, value)
    return v


def _choice(value, name: str, options: tuple):
    wanted = "one of " + ", ".join(map(repr, options))
    same_kind = not isinstance(value, bool) and any(isinstance(value, type(o)) for o in options)
    if same_kind and any(value == o for o in options):
        return value
    raise _refuse(ValueError if same_kind else TypeError, name, wanted, value)


def _student_id(value, name: str = "student_id") -> int:
    """A student id: an integer (not a bool, not a float) in ``[0, 2**32 - 1]``."""
    return _integer(value, name, 0, ID_LIMIT - 1)


def parse_student_id(text) -> int:
    """A student id as typed in a form: digits, spaces around them allowed.

    >>> parse_student_id(" 80 ")
    80
    >>> parse_student_id("8O")
    Traceback (most recent call last):
    ...
    ValueError: student id: a whole number in [0, 2**32 - 1] is required, got '8O'
    """
    if not isinstance(text, str):
        raise _refuse(TypeError, "student id", "typed text", text)
    t = text.strip()
    if not (t.isascii() and t.isdigit() and len(t) <= 10) or int(t) >= ID_LIMIT:
        raise ValueError(
            f"student id: a whole number in [0, 2**32 - 1] is required, got {_shown(t)}"
        )
    return int(t)


# --- NumPy's legacy generator -------------------------------------------------------------------

_N, _M = 624, 397
_MATRIX_A, _UPPER, _LOWER, _MASK = 0x9908B0DF, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF


def init_genrand(seed) -> list[int]:
    """The 624-word state MT19937 starts from for a 32-bit ``seed`` (Matsumoto and Nishimura's
    ``init_genrand``, Knuth's multiplier 1812433253), as ``numpy.random.RandomState(seed)``
    sets it.

    >>> init_genrand(5)[:3]
    [5, 472231674, 2253902500]
    """
    mt = [_student_id(seed, "seed")]
    for i in range(1, _N):
        prev = mt[-1]
        mt.append((1812433253 * (prev ^ (prev >> 30)) + i) & _MASK)
    return mt


class MT19937:
    """The Mersenne Twister written out: ``genrand_int32`` and ``random_sample``, the
    reference the fast :class:`RandomState` is tested against.

    >>> g = MT19937(0)
    >>> g.genrand_int32(), round(MT19937(0).random_sample(), 6)
    (2357136044, 0.548814)
    """

    def __init__(self, seed):
        self.mt = init_genrand(seed)
        self.index = _N

    def _twist(self) -> None:
        mt = self.mt
        for i in range(_N):
            y = (mt[i] & _UPPER) | (mt[(i + 1) % _N] & _LOWER)
            mt[i] = mt[(i + _M) % _N] ^ (y >> 1) ^ (_MATRIX_A if y & 1 else 0)
        self.index = 0

    def genrand_int32(self) -> int:
        """The next 32-bit output, tempered."""
        if self.index >= _N:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)

    def random_sample(self) -> float:
        """A float in ``[0, 1)`` from two draws: 27 + 26 bits, as NumPy's ``random_sample``."""
        a, b = self.genrand_int32() >> 5, self.genrand_int32() >> 6
        return (a * 67108864.0 + b) / 9007199254740992.0


class RandomState:
    """``numpy.random.RandomState(seed)``'s ``rand`` without NumPy: Python's own
    ``random.Random`` (an MT19937 in C whose ``random()`` is the same 53-bit formula) started
    from :func:`init_genrand`'s state.

    >>> RandomState(0).rand(2, 2)
    [[0.5488135039273248, 0.7151893663724195], [0.6027633760716439, 0.5448831829968969]]
    """

    def __init__(self, seed):
        self._random = random.Random()
        self._random.setstate((3, (*init_genrand(seed), _N), None))

    def random_sample(self) -> float:
        """The next float in ``[0, 1)``."""
        return self._random.random()

    def rand(self, *shape):
        """A float (no ``shape``), a list of ``n`` or ``rows`` lists of ``cols`` floats, filled
        row by row as NumPy fills an array.

        >>> len(RandomState(1).rand(3)), RandomState(1).rand(0, 2)
        (3, [])
        """
        if len(shape) > 2:
            raise ValueError(f"shape: at most 2 dimensions are required, got {shape}")
        dims = [_integer(n, f"shape[{i}]", 0, MAX_PARAMETERS) for i, n in enumerate(shape)]
        if math.prod(dims) > MAX_PARAMETERS:
            raise ValueError(f"shape: at most {MAX_PARAMETERS:,} draws are required, got {shape}")
        draw = self._random.random
        if not dims:
            return draw()
        if len(dims) == 1:
            return [draw() for _ in range(dims[0])]
        return [[draw() for _ in range(dims[1])] for _ in range(dims[0])]


# --- the network --------------------------------------------------------------------------------


def hidden_widths(hidden, name: str = "hidden") -> tuple[int, ...]:
    """``hidden`` as a tuple of widths, one positive integer per hidden layer.

    >>> hidden_widths([4, 3])
    (4, 3)
    >>> hidden_widths([4, 0])
    Traceback (most recent call last):
    ...
    ValueError: hidden[1]: an integer in [1, 1024] is required, got 0
    """
    if not isinstance(hidden, tuple | list):
        raise TypeError(
            f"{name}: a list of widths (one per hidden layer) is required, got "
            f"{_shown(hidden)} ({type(hidden).__name__})"
        )
    if not 1 <= len(hidden) <= MAX_HIDDEN_LAYERS:
        raise ValueError(
            f"{name}: 1 to {MAX_HIDDEN_LAYERS} widths (one per hidden layer) are required, "
            f"got {_shown(tuple(hidden))}"
        )
    return tuple(_integer(w, f"{name}[{i}]", 1, MAX_WIDTH) for i, w in enumerate(hidden))


def parameter_shapes(hidden=HIDDEN) -> dict[str, tuple[int, int]]:
    """Name -> shape of every parameter, in the order the course draws them.

    >>> parameter_shapes((4, 3))
    {'W1': (4, 3), 'b1': (4, 1), 'W2': (3, 4), 'b2': (3, 1), 'W3': (3, 3), 'b3': (3, 1)}
    """
    widths = (len(X), *hidden_widths(hidden), CLASSES)
    shapes = {}
    for k, (n_in, n_out) in enumerate(zip(widths, widths[1:], strict=False), 1):
        shapes[f"W{k}"], shapes[f"b{k}"] = (n_out, n_in), (n_out, 1)
    total = sum(r * c for r, c in shapes.values())
    if total > MAX_PARAMETERS:
        raise ValueError(
            f"hidden: a network of at most {MAX_PARAMETERS:,} parameters is required, got "
            f"{total:,} for widths {widths}"
        )
    return shapes


def student_parameters(student_id, hidden=HIDDEN) -> dict[str, list[list[float]]]:
    """The course's weights for one student, as nested lists (rows of a matrix; a bias is a
    column, a list of one-element rows): the draws of
    :func:`derivations.mlp.key.student_parameters`, in its order.

    >>> p = student_parameters(0)
    >>> list(p), round(p["W1"][0][0], 6), p["b1"][0]
    (['W1', 'b1', 'W2', 'b2'], 0.548814, [0.5680445610939323])
    >>> student_parameters(1.0)
    Traceback (most recent call last):
    ...
    TypeError: student_id: an integer in [0, 2**32 - 1] is required, got 1.0 (float)
    >>> student_parameters(2**32)
    Traceback (most recent call last):
    ...
    ValueError: student_id: an integer in [0, 2**32 - 1] is required, got 4294967296
    """
    sid = _student_id(student_id)
    shapes = parameter_shapes(hidden)
    rng = RandomState(sid)
    return {name: rng.rand(*shape) for name, shape in shapes.items()}


def _nested_shape(value, name: str) -> tuple[int, ...]:
    """The shape of a number, list of numbers or list of equal lists (``x``)."""
    if isinstance(value, numbers.Real):
        return ()
    if all(isinstance(v, numbers.Real) for v in value):
        return (len(value),)
    if all(isinstance(v, list | tuple) for v in value) and len({len(v) for v in value}) <= 1:
        return (len(value), len(value[0]) if value else 0)
    raise _refuse(TypeError, name, "a real array", value)  # ragged, as NumPy refuses it


def _column(value, name: str, rows: int) -> list[list[float]]:
    """``value`` (numbers, flat or as one-element rows) as a column of ``rows`` floats, refused
    with :func:`derivations.mlp.key._matrix`'s messages."""
    stack = [(value, name, 0)]
    while stack:  # the same walk as derivations.arguments.numbers_only: the same entry named
        v, where, level = stack.pop()
        if isinstance(v, list | tuple):
            if level >= 2:
                raise ValueError(
                    f"{name}: numbers nested at most 2 levels deep are required, got deeper nesting"
                )
            stack.extend((item, f"{where}[{i}]", level + 1) for i, item in enumerate(v))
        elif not isinstance(v, numbers.Real) or isinstance(v, bool):
            raise _refuse(TypeError, where, "a real number (not a bool or a string)", v)
    shape = _nested_shape(value, name)
    flat = [value] if shape == () else list(value) if len(shape) == 1 else [*map(list, value)]
    try:
        if len(shape) == 2:
            floats = [[float(v) for v in row] for row in flat]
        else:
            floats = [float(v) for v in flat]
    except OverflowError:
        raise ValueError(
            f"{name}: a real array is required, got an entry too large for a float"
        ) from None
    cells = [(i, j) for i in range(shape[0]) for j in range(shape[1])] if len(shape) == 2 else None
    for n, v in enumerate(floats if cells is None else [floats[i][j] for i, j in cells]):
        if not math.isfinite(v):
            where = () if shape == () else (n,) if cells is None else cells[n]
            raise ValueError(f"{name}: finite entries are required, got {v!r} at index {where}")
    if len(shape) == 1:
        floats, shape = [[v] for v in floats], (shape[0], 1)
    if shape != (rows, 1):
        raise ValueError(
            f"{name}: a real array of shape ({rows}, 1) is required, got shape {shape}"
        )
    return floats


def _affine(w, h, b):
    """``W h + b`` for a column ``h``: each row summed left to right (as on every Python)."""
    out = []
    for row, (bias,) in zip(w, b, strict=True):
        s = 0.0
        for wij, (hj,) in zip(row, h, strict=True):
            s += wij * hj
        out.append([s + bias])
    return out


def _transposed_times(w, delta):
    """``Wᵀ δ`` for a column ``δ``."""
    out = []
    for j in range(len(w[0])):
        s = 0.0
        for i, (d,) in enumerate(delta):
            s += w[i][j] * d
        out.append([s])
    return out


def _leaky_relu(u: float, slope: float) -> float:
    return u if u > 0 else slope * u


def _relu(u: float, slope: float) -> float:
    return u if u > 0 else 0.0


def _prime(u: float, slope: float) -> float:
    """ReLU′ (slope 0) or LeakyReLU′; at the kink 0 the value torch's autograd gives."""
    return 1.0 if u > 0 else slope


def _flat(value) -> list[float]:
    if isinstance(value, list):
        return [v for row in value for v in row]
    return [value]


def _finite(key: dict, stage: str) -> None:
    for k, v in key.items():
        for e in _flat(v):
            if not math.isfinite(e):
                raise ValueError(
                    f"params, x: values for which {stage} stays finite in float64 are required, "
                    f"got {k} = {e}"
                )


def keys(depth: int = 2) -> tuple[str, ...]:
    """The keys of the answer key of a network of ``depth`` affine layers, in its order.

    >>> keys(2)[:6]
    ('h1_bar', 'h1', 'h2', 'p', 'y_hat', 'loss')
    """
    depth = _integer(depth, "depth", 2, MAX_HIDDEN_LAYERS + 1)
    forward = [f"h{k}{s}" for k in range(1, depth) for s in ("_bar", "")]
    backward = [f"dl_dh{depth}"]
    for k in range(depth, 0, -1):
        backward += [f"dl_dW{k}", f"dl_db{k}"]
        if k > 1:
            backward += [f"dl_dh{k - 1}", f"dl_dh{k - 1}_bar"]
    updates = [f"{n}{k}_new" for k in range(depth, 0, -1) for n in ("W", "b")]
    return (*forward, f"h{depth}", "p", "y_hat", "loss", *backward, *updates)


def answer_key(
    student_id,
    *,
    x=X,
    label=LABEL,
    lr=LR,
    label_smoothing=0.0,
    slope=None,
    activation="leaky_relu",
    hidden=None,
) -> dict:
    """Every quantity of one SGD step of the course network for one student, as
    :func:`derivations.mlp.key.answer_key` computes it: the same keys in the same order, the
    same options, the same errors. Matrices are lists of rows and column vectors lists of
    one-element rows (NumPy's ``tolist()``); ``loss`` is a float, ``y_hat`` an int.

    >>> key = answer_key(0)
    >>> round(key["loss"], 10), len(key["p"]), key["y_hat"]
    (2.3581419438, 3, 2)
    >>> list(answer_key(0, activation="relu", hidden=(4, 4)))[:5]
    ['h1_bar', 'h1', 'h2_bar', 'h2', 'h3']
    >>> answer_key(0, label=0)
    Traceback (most recent call last):
    ...
    ValueError: label: an integer in [1, 3] is required, got 0
    >>> answer_key(0, activation="relu", slope=0.1)
    Traceback (most recent call last):
    ...
    ValueError: slope: a slope is only allowed with activation 'leaky_relu', got 0.1 with activation 'relu'
    """
    activation = _choice(activation, "activation", ACTIVATIONS)
    if activation == "relu":
        if slope is not None:
            raise ValueError(
                "slope: a slope is only allowed with activation 'leaky_relu', got "
                f"{_shown(slope)} with activation 'relu'"
            )
        slope = 0.0
    else:
        slope = _real(SLOPE if slope is None else slope, "slope", unit=True)
    widths = hidden_widths(HIDDEN if hidden is None else hidden)
    params = student_parameters(student_id, hidden=widths)
    x = _column(x, "x", len(X))
    label = _integer(label, "label", 1, CLASSES)
    lr = _real(lr, "lr")
    alpha = _real(label_smoothing, "label_smoothing", unit=True)
    phi = _relu if activation == "relu" else _leaky_relu
    depth = len(widths) + 1
    weights = [params[f"W{k}"] for k in range(1, depth + 1)]
    biases = [params[f"b{k}"] for k in range(1, depth + 1)]

    h_bar, h = [None], [x]
    for k in range(1, depth + 1):
        h_bar.append(_affine(weights[k - 1], h[k - 1], biases[k - 1]))
        h.append([[phi(u, slope)] for (u,) in h_bar[k]] if k < depth else h_bar[k])
    logits = [u for (u,) in h[depth]]
    top = max(logits)
    shifted = [u - top for u in logits]
    e = [math.exp(s) for s in shifted]
    total = 0.0
    for v in e:
        total += v
    p = [[v / total] for v in e]
    onehot = [1.0 if i == label - 1 else 0.0 for i in range(CLASSES)]
    y_tilde = [(1.0 - alpha) * y + alpha / CLASSES for y in onehot]
    log_total = math.log(total)  # total ≥ e⁰ = 1, or nan (refused below)
    loss = 0.0
    for t, s in zip(y_tilde, shifted, strict=True):
        loss += t * (s - log_total)
    key = {}
    for k in range(1, depth):
        key[f"h{k}_bar"], key[f"h{k}"] = h_bar[k], h[k]
    key[f"h{depth}"], key["p"], key["loss"] = h[depth], p, -loss
    _finite(key, "the forward pass")
    key["y_hat"] = logits.index(top) + 1

    delta = [[pi - t] for (pi,), t in zip(p, y_tilde, strict=True)]  # softmax + CE: p − ỹ
    key[f"dl_dh{depth}"] = delta
    for k in range(depth, 0, -1):
        key[f"dl_dW{k}"] = [[d * v for (v,) in h[k - 1]] for (d,) in delta]  # δᵏ (hᵏ⁻¹)ᵀ
        key[f"dl_db{k}"] = delta
        if k > 1:
            back = _transposed_times(weights[k - 1], delta)  # (Wᵏ)ᵀ δᵏ
            delta = [
                [g * _prime(u, slope)] for (g,), (u,) in zip(back, h_bar[k - 1], strict=True)
            ]  # ⊙ φ′
            key[f"dl_dh{k - 1}"], key[f"dl_dh{k - 1}_bar"] = back, delta
    _finite(key, "backpropagation")
    for k in range(depth, 0, -1):  # θ ← θ − η ∂l/∂θ
        for n, old in (("W", weights[k - 1]), ("b", biases[k - 1])):
            grad = key[f"dl_d{n}{k}"]
            new = [
                [o - lr * g for o, g in zip(ro, rg, strict=True)]
                for ro, rg in zip(old, grad, strict=True)
            ]
            if not all(math.isfinite(v) for v in _flat(new)):
                raise ValueError(
                    f"lr: a learning rate for which {n}{k}_new = {n}{k} − η ∂l/∂{n}{k} is "
                    f"finite is required, got {lr!r}"
                )
            key[f"{n}{k}_new"] = new
    return {k: key[k] for k in keys(depth)}


# --- reading what was typed (verify.grading.reading's grammar, without NumPy) -------------------

#: Texts that mean "no answer".
MISSING = {"", "-", "—", "–", "?", "na", "n/a", "nan", "none", "null", "missing"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_LABEL = re.compile(
    r"([A-Za-z_][A-Za-z0-9_.]*)((\[\d+(,\d+)?\])|(\[\d+\]\[\d+\])|(\(\d+(,\d+)?\)))?"
)


def _clean(text: str) -> str:
    return (
        str(text)
        .replace("\u2212", "-")
        .replace("\u00a0", "")
        .replace("\u202f", "")
        .replace(" ", "")
        .strip()
    )


def parse_number(text: str) -> float:
    """One number: decimal (point or comma), exponent, or a fraction ``a/b``.

    >>> parse_number(" −0,25 "), parse_number("-3/4")
    (-0.25, -0.75)
    >>> parse_number("1.234,5")
    Traceback (most recent call last):
    ...
    ValueError: '1.234,5' is not a number (both a point and a comma)
    """
    t = _clean(text)
    if "," in t:
        if "." in t or t.count(",") > 1:
            raise ValueError(f"{text.strip()!r} is not a number (both a point and a comma)")
        t = t.replace(",", ".")
    if "/" in t:
        parts = t.split("/")
        if len(parts) == 2 and all(_NUMBER.fullmatch(p) for p in parts):
            den = float(parts[1])
            if den == 0:
                raise ValueError(f"{text.strip()!r} divides by zero")
            value = float(parts[0]) / den
            if not math.isfinite(value):
                raise ValueError(f"{text.strip()[:40]!r} is not a finite number")
            return value
        raise ValueError(f"{text.strip()[:40]!r} is not a number")
    if not _NUMBER.fullmatch(t):
        raise ValueError(f"{text.strip()[:40]!r} is not a number")
    value = float(t)
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()[:40]!r} is not a finite number")
    return value


def parse_matrix(text: str) -> list[list[float]]:
    """A bracketed matrix or vector: ``[[1, 2], [3, 4]]``, ``[1 2; 3 4]`` or ``[0.5, 0.25]``
    (a flat list is a column), as a list of rows.

    >>> parse_matrix("[[1, 2], [3, 4]]"), parse_matrix("[0.5, 0.25]")
    ([[1.0, 2.0], [3.0, 4.0]], [[0.5], [0.25]])
    """
    t = str(text).strip().replace("\u2212", "-")
    if len(t) > MAX_TEXT:
        raise ValueError(f"a cell of {len(t):,} characters is too long to be an answer")
    if not (t.startswith("[") and t.endswith("]")):
        raise ValueError(f"{t[:40]!r} is not a bracketed matrix")
    inner = t[1:-1].strip()
    nested = inner.startswith("[")
    rows = re.split(r"\]\s*[,;]?\s*\[", inner) if nested else inner.split(";")
    parsed = []
    for row in rows:
        items = [s for s in re.split(r"[,\s]+", row.strip().strip("[]")) if s]
        if not items:
            raise ValueError(f"{t[:40]!r} has an empty row")
        parsed.append([parse_number(s) for s in items])
    if len({len(r) for r in parsed}) != 1:
        raise ValueError(f"{t[:40]!r} has rows of different lengths")
    if len(parsed) == 1 and not nested:
        return [[v] for v in parsed[0]]  # a flat list is a column vector
    return parsed


def parse_cell(text: str):
    """What was typed: None for nothing (or a "no answer" mark), a float, or a matrix (list of
    rows); a ``ValueError`` saying why when it is none of these.

    >>> parse_cell("n/a") is None, parse_cell("1/4"), parse_cell("[1; 2]")
    (True, 0.25, [[1.0], [2.0]])
    """
    t = str(text).strip()
    if _clean(t).lower() in MISSING:
        return None
    if t.startswith("["):
        return parse_matrix(t)
    return parse_number(t)


def parse_label(text: str) -> tuple[str, tuple[int, ...] | None]:
    """A quantity or one of its entries as ``(name, indices as typed)``.

    >>> parse_label("dl_dW2 [1, 3]"), parse_label("p[2][1]"), parse_label(" loss ")
    (('dl_dW2', (1, 3)), ('p', (2, 1)), ('loss', None))
    """
    t = _clean(text).replace("][", ",")
    m = _LABEL.fullmatch(t)
    if not m:
        raise ValueError(
            f"quantity {str(text).strip()[:40]!r}: a name such as loss or a name with a "
            "1-based entry such as dl_dW2[1,3] is required"
        )
    name, rest = m.group(1), m.group(2)
    if not rest:
        return name, None
    return name, tuple(int(i) for i in rest[1:-1].split(","))


# --- checking -----------------------------------------------------------------------------------


def _shape(value) -> tuple[int, ...]:
    return (len(value), len(value[0])) if isinstance(value, list) else ()


def _entry(name: str, pos: tuple[int, int], shape: tuple[int, int]) -> str:
    """The 1-based label of an entry, as :func:`derivations.variants.labels` writes it."""
    if shape[1] == 1:
        return f"{name}[{pos[0] + 1}]"
    return f"{name}[{pos[0] + 1},{pos[1] + 1}]"


def _resolve(idx, shape):
    """The 0-based position a 1-based label names, or None."""
    if idx is None:
        return () if shape == () else None
    pos = tuple(i - 1 for i in idx)
    if len(shape) == 2 and shape[1] == 1 and len(pos) == 1:
        pos = (pos[0], 0)
    if len(pos) != len(shape) or not all(0 <= p < s for p, s in zip(pos, shape, strict=True)):
        return None
    return pos


def _ok(quantity: str, answer: float, key: float) -> bool:
    """The grader's rule (:meth:`verify.grading.grade.Tolerance.ok`)."""
    if quantity in EXACT:
        return answer == key
    return abs(answer - key) <= ATOL + RTOL * abs(key)


def _rule(quantity: str) -> str:
    if quantity in EXACT:
        return f"{quantity} is graded exactly"
    return f"|answer − key| ≤ {ATOL:g} + {RTOL:g}·|key| per entry"


def _one_figure(x: float) -> str:
    """``x > 0`` rounded to one significant figure, written plainly."""
    s = f"{x:.0e}"  # "2e+01"
    value = float(s)
    return f"{value:.0f}" if value >= 1 else f"{value:.{-int(s.split('e')[1])}f}"


def _size(rel: float) -> str:
    """How far off, relative to the key's size, to one significant figure."""
    if rel >= 1000:
        return "more than 1000 times the key’s size"
    if rel >= 1.5:
        return f"about {_one_figure(rel)} times the key’s size"
    return f"about {_one_figure(rel * 100)}% of the key’s size"


def _how_far(quantity: str, a: float, r: float) -> str:
    """Why ``a`` is wrong for the key ``r``, without ``r`` or ``a − r``."""
    if quantity in EXACT:
        if a != int(a) or not 1 <= a <= CLASSES:
            return f"y_hat is a class, a whole number from 1 to {CLASSES} (counted from 1)"
        return "not the predicted class (y_hat is graded exactly)"
    if a != 0 and r != 0 and (a < 0) != (r < 0):
        if _ok(quantity, -a, r):
            return "the sign is wrong (with the other sign it is right)"
        return f"the sign is wrong, and the size is off by {_size(abs(abs(a) - abs(r)) / abs(r))}"
    rel = abs(a - r) / abs(r) if r else math.inf
    close = " (close: 4 significant digits are enough)" if rel < 0.01 else ""
    return f"off by {_size(rel)}{close}"


def _result(quantity: str, verdict: str, message: str) -> dict:
    return {"quantity": quantity, "verdict": verdict, "message": message}


def _check_matrix(name: str, answer, ref) -> str | None:
    """Why a whole typed matrix is wrong (None: it is right)."""
    shape, given = _shape(ref), _shape(answer)
    if given != shape:
        if given == shape[::-1]:
            back = all(_ok(name, answer[j][i], ref[i][j]) for i, j in _cells(shape))
            return (
                f"entered as {given[0]}×{given[1]}, the transpose of the key’s {shape[0]}×"
                f"{shape[1]} shape" + (" (transposed back, every entry is right)" if back else "")
            )
        return f"shape {given[0]}×{given[1]}, the key’s is {shape[0]}×{shape[1]}"
    wrong = [c for c in _cells(shape) if not _ok(name, answer[c[0]][c[1]], ref[c[0]][c[1]])]
    if not wrong:
        return None
    n = shape[0] * shape[1]
    head = f"{len(wrong)} of {n} entries are wrong"
    if len(wrong) > 1 and all(_ok(name, -answer[i][j], ref[i][j]) for i, j in wrong):
        return f"{head}: every one of them has the wrong sign (with the other sign it is right)"
    if shape[0] == shape[1] > 1 and all(
        _ok(name, answer[i][j], ref[j][i]) for i, j in _cells(shape)
    ):
        return f"{head}: it is the transpose of the key (rows and columns swapped)"
    listed = [
        f"{_entry(name, (i, j), shape)} ({_how_far(name, answer[i][j], ref[i][j])})"
        for i, j in wrong[:MAX_LISTED]
    ]
    more = f"; and {len(wrong) - MAX_LISTED} more" if len(wrong) > MAX_LISTED else ""
    return f"{head}: " + "; ".join(listed) + more


def _cells(shape):
    return [(i, j) for i in range(shape[0]) for j in range(shape[1])]


def _check_one(key: dict, label, text) -> dict:
    shown = label if isinstance(label, str) else _shown(label)
    if not isinstance(label, str):
        return _result(shown, "unreadable", f"quantity: a name is required, got {_shown(label)}")
    if len(label) > MAX_LABEL:
        return _result(
            label[:40] + "…",
            "unreadable",
            f"quantity: a name of at most {MAX_LABEL} characters is required, got {len(label):,}",
        )
    label = label.strip()
    try:
        name, idx = parse_label(label)
    except ValueError as exc:
        return _result(label, "unreadable", str(exc))
    if name not in key:
        folded = {k.casefold(): k for k in key}  # dl_dw2 is dl_dW2 mistyped, not dl_dh2
        close = difflib.get_close_matches(name.casefold(), list(folded), n=1)
        hint = f" (did you mean {folded[close[0]]!r}?)" if close else ""
        return _result(
            label,
            "unreadable",
            f"quantity: one of {', '.join(key)} is required, got {name!r}{hint}",
        )
    ref = key[name]
    shape = _shape(ref)
    pos = _resolve(idx, shape)
    if pos is None and idx is not None:
        return _result(
            label,
            "unreadable",
            f"{label}: no such entry; {name} has shape {shape} (1-based labels)",
        )
    if not isinstance(text, str):
        return _result(label, "unreadable", f"answer: typed text is required, got {_shown(text)}")
    if len(text) > MAX_TEXT:
        return _result(
            label, "unreadable", f"answer: {len(text):,} characters is too long to be an answer"
        )
    try:
        value = parse_cell(text)
    except ValueError as exc:
        return _result(label, "unreadable", f"answer: {exc}")
    if value is None:
        return _result(
            label, "unreadable", "answer: a number (or a bracketed matrix) is required, got nothing"
        )
    if pos is not None:  # one number: a scalar quantity or one entry
        if isinstance(value, list):
            return _result(
                label, "unreadable", f"answer: {label} is one number, got a bracketed matrix"
            )
        r = ref[pos[0]][pos[1]] if pos else ref
        if _ok(name, value, r):
            return _result(label, "right", f"right: within {_rule(name)}")
        return _result(label, "wrong", f"wrong: {_how_far(name, value, r)}")
    if not isinstance(value, list):
        return _result(
            label,
            "unreadable",
            f"answer: {name} is a {shape[0]}×{shape[1]} matrix; type it bracketed "
            f"([[…], […]], a column as [a, b, …]) or give one entry, such as {_entry(name, (0, 0), shape)}",
        )
    why = _check_matrix(name, value, ref)
    if why is None:
        return _result(label, "right", f"right: every entry within {_rule(name)}")
    return _result(label, "wrong", f"wrong: {why}")


def check(student_id, answers: dict, **options) -> list[dict]:
    """Check typed answers to the MLP question of student ``student_id``.

    ``answers`` maps a label — a quantity (``loss``, ``y_hat``, or a whole matrix
    ``dl_db1``), or a 1-based entry (``dl_dW2[1,3]``, ``p[2]``) — to the text typed for it.
    ``options`` are :func:`answer_key`'s (the variant the class was given). Returns, per
    answer in the given order, ``{"quantity": label, "verdict": "right" | "wrong" |
    "unreadable", "message": …}``. A wrong answer says how far off without the key: relative
    to the key's size, to one significant figure; whether the sign is wrong; for a matrix,
    which entries are wrong. A bad id or option is a ``ValueError`` / ``TypeError``.

    >>> [r["message"] for r in check(80, {"dl_dW2[1,3]": "0.1", "y_hat": "x"})]
    ['wrong: off by about 70% of the key’s size', "answer: 'x' is not a number"]
    >>> key = answer_key(80)
    >>> typed = str([[-v for v in row] for row in key["dl_db1"]])
    >>> check(80, {"dl_db1": typed})[0]["message"]
    'wrong: 4 of 4 entries are wrong: every one of them has the wrong sign (with the other sign it is right)'
    >>> check(80, {"nope": "1"})[0]["message"][-23:]
    "is required, got 'nope'"
    >>> check(-1, {})
    Traceback (most recent call last):
    ...
    ValueError: student_id: an integer in [0, 2**32 - 1] is required, got -1
    """
    if not isinstance(answers, dict):
        raise _refuse(TypeError, "answers", "a dict of label -> typed text", answers)
    if len(answers) > MAX_ANSWERS:
        raise ValueError(
            f"answers: at most {MAX_ANSWERS} answers are required, got {len(answers):,}"
        )
    unknown = sorted(str(k) for k in options if k not in OPTIONS)
    if unknown:
        raise ValueError(
            f"options: {', '.join(unknown)} do not apply to the mlp question (it takes "
            f"{', '.join(OPTIONS)})"
        )
    key = answer_key(student_id, **options)
    return [_check_one(key, label, text) for label, text in answers.items()]


def check_json(student_id, answers, options=None) -> dict:
    """What the book's per-student form shows: :func:`check`'s results, or the message for
    a bad id or option (``{"verdict": "error", "message": "error: …"}``), as a plain dict.

    ``student_id`` is the text typed in the form (read by :func:`parse_student_id`) or an int.

    >>> check_json("80", {"y_hat": "1"})["results"][0]["verdict"]
    'wrong'
    >>> check_json("eighty", {"loss": "1"})["message"]
    "error: student id: a whole number in [0, 2**32 - 1] is required, got 'eighty'"
    """
    try:
        sid = parse_student_id(student_id) if isinstance(student_id, str) else student_id
        return {"results": check(sid, answers, **dict(options or {}))}
    except (ValueError, TypeError, OverflowError) as exc:
        return {"verdict": "error", "message": f"error: {exc}"}
