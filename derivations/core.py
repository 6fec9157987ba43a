"""Machine-checked chains of equalities.

A :class:`Derivation` is an ordered list of :class:`Step` objects. Every step states an
expression and the reason it equals the previous one. :meth:`Derivation.check` proves each
consecutive equality symbolically and, independently, compares both sides numerically at
random points of a declared domain. A step that SymPy cannot prove but that agrees
numerically is reported as ``numeric-only`` — never as proved. Writing a derivation out
(LaTeX, Markdown, terminal text) is :mod:`derivations.render`.

Expressions may hold unevaluated ``Derivative`` nodes (a rule applied, its inner
derivatives still pending); they are evaluated before comparison. Matrix steps are compared
entry by entry.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> d = Derivation("square of a sum", [x], [
...     Step((x + 1) ** 2, "definition"),
...     Step(x**2 + 2 * x + 1, "expand"),
... ])
>>> d.check().ok
True
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mpmath
import sympy as sp

from derivations import cache

# Rendering is its own module; these names are re-exported so that imports from
# derivations.core keep working.
from derivations.render import (  # noqa: F401
    Reason,
    as_reason,
    check_summary,
    derivation_latex,
    derivation_markdown,
    derivation_myst,
    derivation_text,
    reason_latex,
    reason_text,
)

PROVED = "proved"
NUMERIC_ONLY = "numeric-only"
FAILED = "failed"

#: Working precision (decimal digits) of the numeric spot checks.
DPS = 40
#: Two sides agree numerically when |a - b| <= REL_TOL * max(1, |a|, |b|): far above the
#: rounding of DPS-digit arithmetic, far below any real discrepancy.
REL_TOL = 1e-25


@dataclass(frozen=True)
class Step:
    """One link of a chain: an expression and why it equals the previous one.

    The reason is a :class:`~derivations.render.Reason` (words and the expressions they
    quote); words alone may be given as a string. ``rule`` names the rule applied, if any.

    >>> import sympy as sp
    >>> Step(sp.Integer(2), "arithmetic").reason
    Reason(rule='arithmetic', exprs=())
    >>> Step(sp.Integer(2), "$1 + 1$")
    Traceback (most recent call last):
    ...
    ValueError: rule: '$1 + 1$' holds LaTeX; put the math in exprs, through {} slots
    """

    expr: sp.Basic
    reason: Reason
    rule: str = ""

    def __post_init__(self):
        if not isinstance(self.expr, sp.Basic | sp.MatrixBase):
            object.__setattr__(self, "expr", sp.sympify(self.expr))
        if isinstance(self.reason, str) and not self.reason.strip():
            raise ValueError("reason: a non-empty string or a Reason is required")
        object.__setattr__(self, "reason", as_reason(self.reason))
        if not isinstance(self.rule, str):
            raise TypeError(f"rule: a string is required, got {type(self.rule).__name__}")


@dataclass
class StepCheck:
    """The verdict on one equality ``steps[index - 1] == steps[index]``.

    ``point``, ``lhs_value`` and ``rhs_value`` hold a witness when the step failed.

    >>> StepCheck(1, PROVED, "x", "x").ok
    True
    """

    index: int
    status: str
    lhs: str
    rhs: str
    point: dict | None = None
    lhs_value: str | None = None
    rhs_value: str | None = None
    points_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.status != FAILED

    def describe(self) -> str:
        """One line for a person.

        >>> StepCheck(2, FAILED, "a", "b", {"x": 0.5}, "1", "2").describe()
        'step 2: failed: a = b is false at x=0.5 (left 1, right 2)'
        """
        if self.status == FAILED:
            where = ", ".join(f"{k}={v}" for k, v in (self.point or {}).items())
            return (
                f"step {self.index}: failed: {self.lhs} = {self.rhs} is false at {where} "
                f"(left {self.lhs_value}, right {self.rhs_value})"
            )
        return f"step {self.index}: {self.status}"


@dataclass
class CheckReport:
    """All step verdicts of one derivation.

    >>> CheckReport("t", []).ok
    True
    """

    title: str
    steps: list[StepCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    @property
    def first_failure(self) -> StepCheck | None:
        return next((s for s in self.steps if not s.ok), None)

    def counts(self) -> dict[str, int]:
        """How many steps ended in each status.

        >>> CheckReport("t", [StepCheck(1, PROVED, "a", "a")]).counts()
        {'proved': 1, 'numeric-only': 0, 'failed': 0}
        """
        return {s: sum(c.status == s for c in self.steps) for s in (PROVED, NUMERIC_ONLY, FAILED)}

    def __str__(self) -> str:
        c = self.counts()
        head = (
            f"{self.title}: {c[PROVED]} proved, {c[NUMERIC_ONLY]} numeric-only, {c[FAILED]} failed"
        )
        bad = [s.describe() for s in self.steps if s.status != PROVED]
        return "\n".join([head, *("  " + b for b in bad)])


class DerivationError(AssertionError):
    """Raised by :meth:`Derivation.assert_valid` when a step is false."""


def _evaluate(expr):
    """Carry out pending derivatives, integrals and limits."""
    return expr.doit() if hasattr(expr, "doit") else expr


def _is_matrix(expr) -> bool:
    return isinstance(expr, sp.MatrixBase)


def _entries(expr) -> list:
    return list(expr) if _is_matrix(expr) else [expr]


_SIMPLIFIERS: tuple[Callable, ...] = (
    lambda e: e,
    sp.expand,
    lambda e: sp.cancel(sp.together(e)),
    sp.simplify,
    lambda e: sp.simplify(e.rewrite(sp.exp)),
    lambda e: sp.simplify(sp.piecewise_fold(e)),
)


def _symbolic_zero(diff) -> bool:
    """True when SymPy proves ``diff == 0``; False when it cannot (not a disproof)."""
    for simplify in _SIMPLIFIERS:
        try:
            if simplify(diff) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError, AttributeError):
            continue
    return False


def _numeric(expr, subs: Mapping) -> mpmath.mpc:
    # xreplace is a plain tree substitution, tens of times faster than subs on expressions
    # in many symbols (a network's loss); subs is kept where the point must enter properly
    # (a derivative or an integral in the variable itself).
    plain = not expr.has(sp.Derivative, sp.Integral, sp.Subs, sp.Limit, sp.Sum, sp.Product)
    value = sp.N(expr.xreplace(dict(subs)) if plain else expr.subs(subs), DPS)
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or not value.is_number:
        raise ValueError(f"not a finite number: {value}")
    return mpmath.mpc(complex(value)) if value.is_real is False else mpmath.mpf(str(value))


def _short(value) -> str:
    return mpmath.nstr(value, 12)


@dataclass
class Derivation:
    """A titled chain of equal expressions with a domain for numeric spot checks.

    ``domain`` maps each symbol to a ``(low, high)`` range from which random points are drawn;
    symbols not listed use ``(-3, 3)``, or ``(0.1, 3)`` when declared positive.
    ``lhs`` is what the chain computes (shown before the first ``=``).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> d = Derivation("a wrong step", [x], [Step(x * (x + 1), "definition"),
    ...                                      Step(x**2 + 2 * x, "expand")])
    >>> r = d.check()
    >>> r.ok, r.first_failure.index
    (False, 1)
    """

    title: str
    symbols: Sequence[sp.Symbol]
    steps: Sequence[Step]
    domain: Mapping = field(default_factory=dict)
    lhs: sp.Basic | None = None
    notes: Sequence[str] = ()
    points: int = 12
    #: Substitutions applied only when rendering (e.g. a long sum shown as ``S``).
    display: Mapping = field(default_factory=dict)

    def __post_init__(self):
        if not self.steps:
            raise ValueError("steps: a derivation needs at least one step")
        self.steps = list(self.steps)
        self.symbols = list(self.symbols)

    @property
    def result(self):
        """The last expression of the chain.

        >>> import sympy as sp
        >>> Derivation("t", [], [Step(sp.Integer(1), "given")]).result
        1
        """
        return self.steps[-1].expr

    def _sample(self, rng: random.Random) -> dict:
        point = {}
        for s in self.symbols:
            low, high = self.domain.get(s, (0.1, 3) if s.is_positive else (-3, 3))
            point[s] = sp.Float(rng.uniform(float(low), float(high)), DPS)
        return point

    def check_step(self, index: int, *, seed: int = 0) -> StepCheck:
        """Check ``steps[index - 1] == steps[index]`` (``index`` >= 1).

        >>> import sympy as sp
        >>> x = sp.Symbol("x", real=True)
        >>> d = Derivation("t", [x], [Step(sp.exp(2 * x), "given"), Step(sp.exp(x) ** 2, "split")])
        >>> d.check_step(1).status
        'proved'
        """
        a, b = self.steps[index - 1].expr, self.steps[index].expr
        ea, eb = _evaluate(a), _evaluate(b)
        shown = dict(lhs=_plain(a), rhs=_plain(b))
        if _is_matrix(ea) != _is_matrix(eb) or (_is_matrix(ea) and ea.shape != eb.shape):
            return StepCheck(index, FAILED, **shown, point={}, lhs_value="shape", rhs_value="shape")
        rng = random.Random(f"{self.title}|{index}|{seed}")
        checked = 0
        with mpmath.workdps(DPS):
            for _ in range(self.points * 3):
                if checked >= self.points:
                    break
                point = self._sample(rng)
                try:
                    pairs = [
                        (_numeric(u, point), _numeric(v, point))
                        for u, v in zip(_entries(ea), _entries(eb), strict=True)
                    ]
                except (ValueError, TypeError, ZeroDivisionError):
                    continue  # a singular point of the domain: draw another
                checked += 1
                for va, vb in pairs:
                    if abs(va - vb) > REL_TOL * max(1, abs(va), abs(vb)):
                        where = {str(k): float(v) for k, v in point.items()}
                        return StepCheck(
                            index,
                            FAILED,
                            **shown,
                            point=where,
                            lhs_value=_short(va),
                            rhs_value=_short(vb),
                            points_checked=checked,
                        )
        if checked == 0:
            return StepCheck(
                index,
                FAILED,
                **shown,
                point={},
                lhs_value="no finite point",
                rhs_value="no finite point",
            )
        proved = all(_symbolic_zero(u - v) for u, v in zip(_entries(ea), _entries(eb), strict=True))
        return StepCheck(index, PROVED if proved else NUMERIC_ONLY, **shown, points_checked=checked)

    def check(self, *, seed: int = 0) -> CheckReport:
        """Check every consecutive equality; see :class:`CheckReport`.

        With ``DV_CACHE_DIR`` set, the report is looked up there first and kept there after
        (see :func:`check_key` for what decides it); unset, every call checks afresh.

        >>> import sympy as sp
        >>> x = sp.Symbol("x", real=True)
        >>> print(Derivation("t", [x], [Step(x + x, "given"), Step(3 * x, "slip")]).check())
        t: 0 proved, 0 numeric-only, 1 failed
          step 1: failed: 2*x = 3*x is false at x=... (left ..., right ...)
        """
        digest = check_key(self, seed) if cache.directory() is not None else None
        if digest is not None:
            found = cache.lookup("derivation", digest, CheckReport)
            if found is not None:
                return found
        report = CheckReport(
            self.title, [self.check_step(i, seed=seed) for i in range(1, len(self.steps))]
        )
        # Kept only if no file of the key changed while the check ran.
        if digest is not None and check_key(self, seed) == digest:
            cache.store("derivation", digest, report)
        return report

    def assert_valid(self, *, seed: int = 0) -> CheckReport:
        """Check, and raise :class:`DerivationError` at the first false step.

        >>> import sympy as sp
        >>> x = sp.Symbol("x")
        >>> Derivation("ok", [x], [Step(2 * x, "given"), Step(x + x, "sum")]).assert_valid().ok
        True
        """
        report = self.check(seed=seed)
        if not report.ok:
            raise DerivationError(f"{self.title}: {report.first_failure.describe()}")
        return report

    # --- rendering lives in derivations.render; these are its entry points ---------------
    def latex(self) -> str:
        r"""An ``aligned`` block, one step a line (see :func:`~derivations.render.derivation_latex`).

        >>> import sympy as sp
        >>> x = sp.Symbol("x")
        >>> print(Derivation("t", [x], [Step(x, "given")]).latex())
        \begin{aligned}
        &x && {\small \text{given}}
        \end{aligned}
        """
        return derivation_latex(self)

    def myst(self, label: str | None = None, *, entry=None) -> str:
        """MyST for a book page, one step a block (see :func:`~derivations.render.derivation_myst`).

        >>> import sympy as sp
        >>> print(Derivation("t", [], [Step(sp.Integer(2), "given")]).myst().splitlines()[3])
        2
        """
        return derivation_myst(self, label, entry=entry)

    def markdown(self) -> str:
        """A numbered list with inline math (see :func:`~derivations.render.derivation_markdown`).

        >>> import sympy as sp
        >>> print(Derivation("t", [], [Step(sp.Integer(2), "given")]).markdown().splitlines()[-1])
        0. $2$ — given
        """
        return derivation_markdown(self)

    def text(self) -> str:
        """Unicode text for the terminal (see :func:`~derivations.render.derivation_text`).

        >>> import sympy as sp
        >>> x = sp.Symbol("x")
        >>> print(Derivation("t", [x], [Step(x * (x + 1), "given"),
        ...                             Step(x**2 + x, "expand")]).text())
        t
          x·(x + 1)                                [given]
          = x² + x                                 [expand]
        """
        return derivation_text(self)


def _plain(expr) -> str:
    return sp.sstr(expr)


#: The modules whose code decides a verdict besides the expressions' own classes: this one
#: (the simplifiers, the numeric comparison, the sampling) and the cache's key.
_CHECKER_FILES = (Path(__file__), Path(cache.__file__))


def _exprs_of(derivation: Derivation):
    for step in derivation.steps:
        yield step.expr
        yield from step.reason.exprs


class _Describer:
    """Writes an expression tree as text that determines it, noting every node's class.

    Atoms are written by ``srepr`` (a symbol with its assumptions, a number exactly), other
    nodes as their class's full name and their arguments in stored order (which SymPy keeps
    canonical, so the text is the same in every process). A subtree shared by identity is
    written once: far faster than ``srepr`` of the whole, which re-sorts every sum.
    """

    def __init__(self):
        self.classes: set[type] = set()
        self._seen: dict = {}

    @staticmethod
    def _name(cls) -> str:
        if cls.__module__ is None:  # Function("f", real=True): its assumptions are the class's
            assumptions = sorted(getattr(cls, "_kwargs", {}).items())
            return f"Function({cls.__name__!r},{assumptions!r},{getattr(cls, '_nargs', None)!r})"
        return f"{cls.__module__}.{cls.__qualname__}"

    def __call__(self, expr) -> str:
        if isinstance(expr, sp.MatrixBase):
            self.classes.add(type(expr))
            entries = ",".join(self(e) for e in expr)
            return f"{type(expr).__name__}{expr.shape}[{entries}]"
        if not isinstance(expr, sp.Basic):
            self.classes.add(type(expr))
            return f"{type(expr).__qualname__}:{expr!r}"
        # By identity, not equality: equal nodes may differ (a Float's precision).
        seen = self._seen.get(id(expr))
        if seen is not None:
            return seen[1]
        cls = type(expr)
        self.classes.add(cls)
        if expr.args:
            inner = ",".join(self(a) for a in expr.args)
            done = f"{self._name(cls)}({inner})"
        else:
            done = f"{cls.__module__}.{sp.srepr(expr)}"
        self._seen[id(expr)] = (expr, done)  # the node is kept, so its id is not reused
        return done


def check_key(derivation: Derivation, seed: int = 0) -> str | None:
    """The cache key of ``derivation.check(seed=seed)``, or None when it cannot be made.

    It holds all that the verdict depends on: the title and the seed (they seed the random
    points), the number of points, the symbols with their assumptions (they pick the default
    ranges), the domain, every step's expression, reason and rule; the source of this module
    and of every project module that defines a class found in the expressions or the
    derivation's own class (``derivations/functions.py`` for ``sigmoid``, ``Phi`` and
    ``GaussianMean``; ``derivations/printing.py`` for ``Notation`` and ``Equation``), with
    the project modules those import; and the versions of SymPy, mpmath and Python. A class
    that is neither the project's nor SymPy's (one defined in a notebook cell) gives None: its
    code could change unseen. The rest of a topic's module is not part of it, so editing the
    module elsewhere keeps the report.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> d = Derivation("t", [x], [Step(x + x, "given"), Step(2 * x, "sum")])
    >>> check_key(d) == check_key(d), check_key(d) == check_key(d, seed=1)
    (True, False)
    >>> check_key("t")
    Traceback (most recent call last):
    ...
    TypeError: derivation: a Derivation is required, got str
    """
    if not isinstance(derivation, Derivation):
        raise TypeError(f"derivation: a Derivation is required, got {type(derivation).__name__}")
    try:
        described = _Describer()
        domain = sorted(
            [described(s), repr(float(low)), repr(float(high))]
            for s, (low, high) in derivation.domain.items()
        )
        steps = [
            [described(s.expr), s.reason.rule, [described(e) for e in s.reason.exprs], s.rule]
            for s in derivation.steps
        ]
        symbols = [described(s) for s in derivation.symbols]
        classes = {type(derivation), *(type(s) for s in derivation.steps), *described.classes}
        files = cache.class_files(classes)
        if files is None:
            return None
        return cache.key(
            [
                "derivation-check",
                derivation.title,
                seed,
                derivation.points,
                symbols,
                domain,
                steps,
                cache.file_digests([*_CHECKER_FILES, *files]),
                cache.versions(["sympy", "mpmath"]),
            ]
        )
    except Exception:  # noqa: BLE001 - what the key cannot describe is checked afresh
        return None
