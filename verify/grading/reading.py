"""Reading what students typed into a submissions CSV: cells, column labels, index conventions.

Nothing typed is executed: a cell is read by the small grammar of :func:`parse_cell` (a
number, a fraction, or a bracketed matrix), a column label by :func:`parse_label`. Messy
input is expected and diagnosed:

- spaces anywhere in a number or label (``" 0.25 "``, ``"dl_dW2 [1, 3]"``);
- decimal commas (``"0,25"``) and the Unicode minus (``"−0.5"``);
- labels ``name[i,j]``, ``name[i][j]`` or ``name(i,j)``;
- 0-based labels where the course writes 1-based ones (:func:`index_base`) and a matrix
  labelled by its transpose's shape (:func:`resolve`).

The course writes entries 1-based (``dl_dW2[1,3]`` is row 1, column 3); that is the
convention here, and a file written 0-based is detected and read as such, with a note.

>>> parse_cell(" −0,25 "), parse_cell("1/4"), parse_cell("")
(-0.25, 0.25, None)
>>> parse_label("dl_dW2 [1, 3]")
('dl_dW2', (1, 3))
"""

from __future__ import annotations

import math
import re

import numpy as np

#: Cells that mean "no answer".
MISSING = {"", "-", "—", "–", "?", "na", "n/a", "nan", "none", "null", "missing"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_LABEL = re.compile(
    r"([A-Za-z_][A-Za-z0-9_.]*)((\[\d+(,\d+)?\])|(\[\d+\]\[\d+\])|(\(\d+(,\d+)?\)))?"
)
MAX_CELL = 10_000


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

    >>> parse_number("1,5e-3"), parse_number("-3/4")
    (0.0015, -0.75)
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
            return float(parts[0]) / den
        raise ValueError(f"{text.strip()!r} is not a number")
    if not _NUMBER.fullmatch(t):
        raise ValueError(f"{text.strip()[:40]!r} is not a number")
    value = float(t)
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number")
    return value


def parse_matrix(text: str) -> np.ndarray:
    """A bracketed matrix or vector typed in one cell: ``[[1, 2], [3, 4]]``, ``[1 2; 3 4]``
    or ``[0.5, 0.25]`` (a vector reads as a column). In a matrix the comma separates
    entries, so decimals take a point.

    >>> parse_matrix("[[1, 2], [3, 4]]").tolist(), parse_matrix("[1 2; 3 4]").shape
    ([[1.0, 2.0], [3.0, 4.0]], (2, 2))
    >>> parse_matrix("[0.5, 0.25]").shape
    (2, 1)
    """
    t = str(text).strip().replace("\u2212", "-")
    if len(t) > MAX_CELL:
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
    a = np.array(parsed, dtype=float)
    if len(parsed) == 1 and not nested:
        a = a.reshape(-1, 1)  # a flat list is a column vector, as the course writes them
    return a


def parse_cell(text: str):
    """A cell: None when blank or a "no answer" mark, a float, or an array for a bracketed
    matrix; a ``ValueError`` saying why when it is none of these.

    >>> parse_cell("n/a") is None, parse_cell("[1, 2]").shape
    (True, (2, 1))
    >>> parse_cell("0.5x")
    Traceback (most recent call last):
    ...
    ValueError: '0.5x' is not a number
    """
    t = str(text).strip()
    if _clean(t).lower() in MISSING:
        return None
    if t.startswith("["):
        return parse_matrix(t)
    return parse_number(t)


def parse_label(text: str) -> tuple[str, tuple[int, ...] | None]:
    """A column label as ``(name, indices)``: indices as typed (not yet 0- or 1-based),
    None for a bare name.

    >>> parse_label("W2_new[3][4]"), parse_label(" loss ")
    (('W2_new', (3, 4)), ('loss', None))
    >>> parse_label("dl_dW2[1,")
    Traceback (most recent call last):
    ...
    ValueError: column 'dl_dW2[1,': a name or name[i,j] is required
    """
    t = _clean(text).replace("][", ",")
    m = _LABEL.fullmatch(t)
    if not m:
        raise ValueError(f"column {str(text).strip()[:40]!r}: a name or name[i,j] is required")
    name, rest = m.group(1), m.group(2)
    if not rest:
        return name, None
    return name, tuple(int(i) for i in rest[1:-1].split(","))


def index_base(labels, shapes: dict, chosen: str = "auto") -> tuple[int, str | None]:
    """The index base of a file's labels (``(base, note)``): 1 (the course's) unless
    ``chosen`` says 0, or ``"auto"`` finds a 0 index and no index as large as its
    dimension, which only a 0-based file writes.

    >>> index_base([("W", (0, 0)), ("W", (1, 2))], {"W": (2, 3)})
    (0, 'column labels are 0-based (W[0,0] is there, no index reaches its dimension): read as 0-based; the course writes them 1-based')
    >>> index_base([("W", (1, 1)), ("W", (2, 3))], {"W": (2, 3)})
    (1, None)
    """
    if chosen in ("0", "1", 0, 1):
        return int(chosen), None
    zero, top = None, False
    for name, idx in labels:
        if idx is None or name not in shapes:
            continue
        dims = _dims(shapes[name], idx)
        if 0 in idx and zero is None:
            zero = f"{name}[{','.join(map(str, idx))}]"
        if dims and any(i == d for i, d in zip(idx, dims, strict=False)):
            top = True
    if zero and not top:
        return 0, (
            f"column labels are 0-based ({zero} is there, no index reaches its dimension): read "
            "as 0-based; the course writes them 1-based"
        )
    if zero:
        return 1, f"column labels are 1-based, yet {zero} is there: that column is out of range"
    return 1, None


def _dims(shape, idx):
    """The dimensions an index of ``len(idx)`` runs over (a column vector takes [i] or [i,1])."""
    if len(shape) == 2 and shape[1] == 1 and len(idx) == 1:
        return (shape[0],)
    return shape if len(idx) == len(shape) else None


def resolve(name: str, idx, shape, base: int, transposed: bool = False):
    """The 0-based position in a quantity of ``shape`` that a label names, or None when it
    is outside (or the label has the wrong number of indices).

    >>> resolve("b", (2,), (3, 1), 1), resolve("b", (2, 1), (3, 1), 1), resolve("W", (3, 1), (2, 3), 1)
    ((1, 0), (1, 0), None)
    >>> resolve("W", (3, 1), (2, 3), 1, transposed=True)
    (0, 2)
    """
    if idx is None:
        return () if len(shape) == 0 else None
    pos = tuple(i - base for i in idx)
    if len(shape) == 2 and shape[1] == 1 and len(pos) == 1:
        pos = (pos[0], 0)
    if len(pos) != len(shape):
        return None
    if transposed:
        pos = pos[::-1]
    if all(0 <= p < s for p, s in zip(pos, shape, strict=True)):
        return pos
    return None
