"""What a check found: :class:`Evidence`, its :class:`Witness`, and the evidence table.

>>> e = Evidence("t.x", "exact", True, expected=1, measured=1, message="equal")
>>> e.summary()
'PASS t.x [exact] equal'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

METHODS = (
    "autograd",
    "finite-difference",
    "monte-carlo",
    "enumeration",
    "torch-reference",
    "exact",
)

#: The three verdicts on a person's answer.
EQUIVALENT, NOT_EQUIVALENT, CANNOT_CHECK = "equivalent", "not equivalent", "cannot check"
VERDICTS = (EQUIVALENT, NOT_EQUIVALENT, CANNOT_CHECK)


@dataclass(frozen=True)
class Witness:
    """Where a candidate was compared with the reference: the point and both values.

    ``point`` maps variable names to values (empty for a number); the values are whatever the
    claim compares (floats, tuples, matrices as nested tuples).

    >>> Witness({"x": 0.5}, 0.25, 0.5).point["x"]
    0.5
    """

    point: dict
    candidate: Any
    reference: Any

    def to_dict(self) -> dict:
        """JSON-ready.

        >>> Witness({"x": 1.0}, 2.0, 3.0).to_dict()
        {'point': {'x': 1.0}, 'candidate': 2.0, 'reference': 3.0}
        """
        return {k: _jsonable(v) for k, v in asdict(self).items()}


@dataclass
class Evidence:
    """What one check found. ``passed`` is the verdict; the rest says why.

    A check may leave ``claim_id`` and ``method`` empty: :meth:`verify.claims.Claim.check`
    fills them in from the claim, so they are written once, in the claim's declaration.
    ``witness`` holds the point where values were compared (the worst one, or the first that
    differs) for every check that compares values.

    >>> Evidence("t.x", "exact", True, error=0.0).to_dict()["error"]
    0.0
    """

    claim_id: str = ""
    method: str = ""
    passed: bool = False
    expected: Any = None
    measured: Any = None
    error: float | None = None
    tolerance: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    n: int | None = None
    seed: int | None = None
    seconds: float = 0.0
    message: str = ""
    details: dict = field(default_factory=dict)
    witness: Witness | None = None
    #: For a person's answer: one of :data:`VERDICTS` (empty for a plain claim run).
    verdict: str = ""
    #: When the claim's derived result was checked: that result as LaTeX (empty for code, or
    #: when a candidate was checked), and the claim's statement as MyST with the result
    #: typeset wherever the statement spells it as SymPy text (see :mod:`verify.dashboard`).
    derived: str = ""
    statement: str = ""

    def __post_init__(self):
        if self.method and self.method not in METHODS:
            raise ValueError(f"method: {self.method!r} is not one of {', '.join(METHODS)}")
        self.passed = bool(self.passed)

    def summary(self) -> str:
        """One line: verdict, id, method, message (see the module example)."""
        return f"{'PASS' if self.passed else 'FAIL'} {self.claim_id} [{self.method}] {self.message}"

    def to_dict(self) -> dict:
        """A JSON-ready dict (numbers as floats, non-finite ones and the rest as text)."""
        out = {k: _jsonable(v) for k, v in asdict(self).items() if k != "witness"}
        out["witness"] = None if self.witness is None else self.witness.to_dict()
        return out


def worst_entry(candidate, reference, point: dict | None = None) -> Witness:
    """The entry where two arrays differ most (a shape mismatch or a non-finite value is the
    worst), as a :class:`Witness`: ``point`` plus the entry's index, and both values there.

    >>> w = worst_entry([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.5, 4.0]], {"gradient": "dw"})
    >>> w.point, w.candidate, w.reference
    ({'gradient': 'dw', 'index': (1, 0)}, 3.0, 3.5)
    """
    import numpy as np

    a = np.asarray(candidate, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    point = dict(point or {})
    if a.shape != b.shape:
        return Witness({**point, "shape": a.shape}, f"shape {a.shape}", f"shape {b.shape}")
    if a.size == 0:
        return Witness(point, (), ())
    with np.errstate(invalid="ignore"):
        gap = np.abs(a - b)
    gap = np.where(np.isnan(gap), np.inf, gap)
    index = np.unravel_index(int(np.argmax(gap)), a.shape)
    at = tuple(int(i) for i in index)
    return Witness({**point, "index": at if len(at) != 1 else at[0]}, float(a[at]), float(b[at]))


def _jsonable(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    try:
        return _jsonable(float(value))
    except (TypeError, ValueError, OverflowError):
        return str(value)


#: What a claim id may hold; an id is also the fragment of its rows' links, so no other
#: character (a space, a quote, ``#``) may appear in one.
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def claim_anchor(claim_id: str) -> str:
    """The HTML id of a claim's row: the same on its chapter's page and on the dashboard, so
    a link to ``<page>.html#<anchor>`` finds the claim on either side.

    >>> claim_anchor("mlp.sgd.W1_new")
    'claim-mlp.sgd.W1_new'
    >>> claim_anchor("mlp sgd")
    Traceback (most recent call last):
    ...
    ValueError: claim_id: 'mlp sgd' holds a character other than letters, digits, '_', '.', '-'
    """
    if not isinstance(claim_id, str):
        raise TypeError(f"claim_id: a string is required, got {type(claim_id).__name__}")
    if not claim_id or not set(claim_id) <= _ID_CHARS:
        raise ValueError(
            f"claim_id: {claim_id!r} holds a character other than letters, digits, '_', '.', '-'"
        )
    return f"claim-{claim_id}"


def claim_cell(claim_id: str, href: str) -> str:
    """The claim id as inline HTML for a Markdown table cell: the row's anchor
    (:func:`claim_anchor`) and a link to ``href``, with the id as visible code text.

    >>> claim_cell("t.x", "verification.html#claim-t.x")
    '<a class="dv-claim" id="claim-t.x" href="verification.html#claim-t.x"><code>t.x</code></a>'
    """
    anchor = claim_anchor(claim_id)
    if not isinstance(href, str) or not href or any(c in href for c in '"<> '):
        raise ValueError(
            f"href: a URL without quotes, spaces or angle brackets is required, got {href!r}"
        )
    return f'<a class="dv-claim" id="{anchor}" href="{href}"><code>{claim_id}</code></a>'


def table(evidence: Iterable[Evidence], *, markdown: bool = False, link=None) -> str:
    """A summary table: claim, method, verdict, error/tolerance, points, message.

    With ``markdown`` and ``link`` (a function of a claim id returning a URL), each claim
    cell is its row's anchor and a link there (:func:`claim_cell`): how a chapter's evidence
    table and the dashboard point at each other.

    >>> print(table([Evidence("t.x", "exact", True, error=0.0, tolerance=0.0, n=1,
    ...                       message="equal")]))
    claim  method  result  error    tolerance  n  message
    t.x    exact   PASS    0        0          1  equal
    >>> print(table([Evidence("t.x", "exact", True)], markdown=True,
    ...             link=lambda i: f"verification.html#claim-{i}").splitlines()[-1])
    | <a class="dv-claim" id="claim-t.x" href="verification.html#claim-t.x"><code>t.x</code></a> | exact | PASS |  |  |  |  |
    """
    if link is not None and not callable(link):
        raise TypeError(f"link: a function of a claim id is required, got {type(link).__name__}")
    if link is not None and not markdown:
        raise ValueError("link: rows link to each other only in a Markdown table (markdown=True)")
    evidence = list(evidence)
    rows = [
        (
            e.claim_id,
            e.method,
            "PASS" if e.passed else "FAIL",
            _num(e.error),
            _num(e.tolerance),
            "" if e.n is None else str(e.n),
            e.message,
        )
        for e in evidence
    ]
    head = ("claim", "method", "result", "error", "tolerance", "n", "message")
    if markdown:
        esc = [tuple(c.replace("|", "\\|") for c in r) for r in rows]
        if link is not None:
            esc = [(claim_cell(r[0], link(r[0])), *r[1:]) for r in esc]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in esc]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
    return "\n".join(fmt.format(*r).rstrip() for r in [head, *rows])


def _num(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value == 0:
        return "0"
    return f"{value:.2g}" if isinstance(value, float) else str(value)
