"""Claims, their evidence, and the registry that runs them.

A :class:`Claim` has a stable dotted id, a topic, a one-line statement and a check. Calling
``claim.check()`` confronts the derived result with independent numbers; calling
``claim.check(candidate)`` confronts a supplied candidate instead (a mutation test or a
student's answer) with the very same numbers. Topic modules register their claims on import;
:func:`all` imports every topic listed in :data:`TOPICS`.

>>> c = get("activations.relu.derivative")
>>> c.topic
'activations'
>>> c.check().passed
True
"""

from __future__ import annotations

import difflib
import importlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

#: Topic modules under ``verify/`` whose claims the registry holds, in book order.
TOPICS: tuple[str, ...] = ("activations", "mlp", "layers", "optimizers", "initialization", "ridge")

METHODS = (
    "autograd",
    "finite-difference",
    "monte-carlo",
    "enumeration",
    "torch-reference",
    "exact",
)


@dataclass
class Evidence:
    """What one check found. ``passed`` is the verdict; the rest says why.

    >>> e = Evidence("t.x", "exact", True, expected=1, measured=1, message="equal")
    >>> e.summary()
    'PASS t.x [exact] equal'
    """

    claim_id: str
    method: str
    passed: bool
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

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method: {self.method!r} is not one of {', '.join(METHODS)}")
        self.passed = bool(self.passed)

    def summary(self) -> str:
        """One line: verdict, id, method, message (see the class example)."""
        return f"{'PASS' if self.passed else 'FAIL'} {self.claim_id} [{self.method}] {self.message}"

    def to_dict(self) -> dict:
        """A JSON-ready dict (numbers as floats, everything else as text).

        >>> Evidence("t.x", "exact", True, error=0.0).to_dict()["error"]
        0.0
        """
        return {k: _jsonable(v) for k, v in asdict(self).items()}


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
    except (TypeError, ValueError):
        return str(value)


#: A check takes (candidate, seed) and returns Evidence without timing or seed filled in.
CheckFn = Callable[[Any, int], Evidence]


@dataclass
class Claim:
    """One checkable statement.

    ``answer`` names what a candidate for :meth:`check` is: ``"expression"`` (a SymPy
    expression in the claim's ``variables``), ``"interval"`` (a SymPy ``Interval``),
    ``"number"``, ``"matrix"`` or ``"function"``.

    >>> c = Claim("demo.one", "demo", "one is one", "exact",
    ...           lambda cand, seed: Evidence("demo.one", "exact", (cand or 1) == 1))
    >>> c.check().passed, c.check(2).passed
    (True, False)
    """

    id: str
    topic: str
    statement: str
    method: str
    fn: CheckFn
    answer: str = "expression"
    variables: tuple[str, ...] = ("x",)

    def check(self, candidate=None, *, seed: int = 0) -> Evidence:
        """Check the derived result, or ``candidate`` in its place; timed and seeded.

        >>> get("activations.relu.kink").check(1).passed
        False
        """
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed: a non-negative integer is required, got {seed!r}")
        start = time.perf_counter()
        evidence = self.fn(candidate, seed)
        evidence.seconds = time.perf_counter() - start
        evidence.seed = seed
        return evidence


_REGISTRY: dict[str, Claim] = {}
_loaded = False


def register(claim: Claim) -> Claim:
    """Add a claim; ids are unique.

    >>> register(get("activations.relu.derivative"))
    Traceback (most recent call last):
    ...
    ValueError: claim id 'activations.relu.derivative' is registered twice
    """
    if claim.id in _REGISTRY:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    if claim.method not in METHODS:
        raise ValueError(f"method: {claim.method!r} is not one of {', '.join(METHODS)}")
    _REGISTRY[claim.id] = claim
    return claim


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for topic in TOPICS:
            importlib.import_module(f"verify.{topic}")


def all() -> list[Claim]:  # noqa: A001 - the public API name is `all`
    """Every registered claim, in registration order.

    >>> len(all()) > 0
    True
    """
    _load()
    return list(_REGISTRY.values())


def get(claim_id: str) -> Claim:
    """The claim with this id; a ``ValueError`` lists close ids when there is none.

    >>> get("activations.softplus.derivativ")
    Traceback (most recent call last):
    ...
    ValueError: claim_id: unknown claim 'activations.softplus.derivativ'; did you mean activations.softplus.derivative, ...? known ids: ...
    """
    _load()
    if not isinstance(claim_id, str):
        raise ValueError(f"claim_id: a string is required, got {type(claim_id).__name__}")
    if claim_id in _REGISTRY:
        return _REGISTRY[claim_id]
    close = difflib.get_close_matches(claim_id, list(_REGISTRY), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise ValueError(
        f"claim_id: unknown claim {claim_id!r}; {hint}known ids: {', '.join(_REGISTRY)}"
    )


def select(prefix: str = "") -> list[Claim]:
    """Claims whose id starts with ``prefix``; an unmatched prefix is a ``ValueError``.

    >>> [c.id for c in select("activations.relu.range")]
    ['activations.relu.range']
    """
    if not isinstance(prefix, str):
        raise ValueError(f"prefix: a string is required, got {type(prefix).__name__}")
    chosen = [c for c in all() if c.id.startswith(prefix)]
    if not chosen:
        topics = sorted({c.topic for c in all()})
        raise ValueError(f"prefix: no claim id starts with {prefix!r}; topics: {', '.join(topics)}")
    return chosen


def run(
    prefix: str = "",
    *,
    seed: int = 0,
    progress: bool = False,
    claims: Iterable[Claim] | None = None,
) -> list[Evidence]:
    """Check every claim whose id starts with ``prefix``; returns their evidence.

    A check that raises is recorded as a failed claim with the exception as its message,
    so one broken claim never hides the others.

    >>> ev = run("activations.relu.range")
    >>> [e.passed for e in ev]
    [True]
    """
    chosen = list(claims) if claims is not None else select(prefix)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(chosen), unit="claim", leave=False)
    out = []
    for claim in chosen:
        if bar is not None:
            bar.set_description(claim.id[-40:])
        try:
            evidence = claim.check(seed=seed)
        except Exception as exc:  # noqa: BLE001 - reported as a failed claim, not swallowed
            evidence = Evidence(
                claim.id,
                claim.method,
                False,
                seed=seed,
                message=f"check raised {type(exc).__name__}: {exc}",
            )
        out.append(evidence)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return out


def table(evidence: Iterable[Evidence], *, markdown: bool = False) -> str:
    """A summary table: claim, method, verdict, error/tolerance, points, message.

    >>> print(table([Evidence("t.x", "exact", True, error=0.0, tolerance=0.0, n=1,
    ...                       message="equal")]))
    claim  method  result  error    tolerance  n  message
    t.x    exact   PASS    0        0          1  equal
    """
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


class ClaimFailure(AssertionError):
    """Raised by :func:`publish` when a claim fails: a page must not build on false evidence."""


def publish(prefix: str = "", *, seed: int = 0) -> str:
    """Run the claims under ``prefix`` and return their Markdown evidence table.

    Raises :class:`ClaimFailure` if any of them fails, so a book page that calls it cannot
    build on false evidence.

    >>> print(publish("activations.relu.range").splitlines()[0])
    | claim | method | result | error | tolerance | n | message |
    """
    evidence = run(prefix, seed=seed)
    failed = [e for e in evidence if not e.passed]
    if failed:
        raise ClaimFailure("\n".join(e.summary() for e in failed))
    return table(evidence, markdown=True)
