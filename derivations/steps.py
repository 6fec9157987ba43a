"""Differentiate a scalar expression one rule at a time, as a student would.

:func:`differentiate` starts from the unevaluated ``d/dx f(x)`` and repeatedly rewrites the
first pending ``Derivative`` node (outermost, then leftmost) with one rule from a table keyed
by the node's type. Every intermediate expression is a true equality, so the resulting
:class:`~derivations.core.Derivation` can be checked step by step. Piecewise functions are
differentiated by cases, and :func:`break_points` says what happens where the cases meet.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> from derivations.functions import sigmoid
>>> from derivations.core import reason_text
>>> d = differentiate(sp.log(1 + sp.exp(x)), x, name="softplus", closed_form=sigmoid(x),
...                   closed_form_reason="divide by exp(x)")
>>> for step in d.steps:
...     print(f"{sp.sstr(step.expr):<42} [{reason_text(step.reason)}]")
Derivative(log(exp(x) + 1), x)             [definition]
Derivative(exp(x) + 1, x)/(exp(x) + 1)     [chain rule + log rule: d/du log u = 1/u]
Derivative(exp(x), x)/(exp(x) + 1)         [sum rule; d/dx 1 = 0]
exp(x)/(exp(x) + 1)                        [exp rule: d/dx e^(x) = e^(x)]
sigmoid(x)                                 [divide by exp(x)]
>>> [s.rule for s in d.steps]
['definition', 'log', 'sum', 'exp', 'closed-form']
>>> d.check().counts()
{'proved': 4, 'numeric-only': 0, 'failed': 0}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp

from .core import Derivation, Step
from .functions import Phi, sigmoid

#: Every rule key a :class:`~derivations.core.Step` of :func:`differentiate` can carry.
#: Steps that apply no rule use ``definition``, ``closed-form`` or ``simplify``.
RULES: dict[str, str] = {
    "constant": "d/dx c = 0 for c free of x",
    "identity": "d/dx x = 1",
    "sum": "(u + v)' = u' + v'",
    "constant-multiple": "(c u)' = c u' for c free of x",
    "product": "(u v)' = u' v + u v', and likewise for more factors",
    "quotient": "(n/d)' = (n' d - n d')/d^2",
    "power": "(u^n)' = n u^(n-1) u' for n free of x",
    "exponential": "(a^u)' = a^u log(a) u' for a free of x",
    "general-power": "(f^g)' = f^g (g log f)', since f^g = exp(g log f)",
    "exp": "(exp u)' = exp(u) u'",
    "log": "(log u)' = u'/u",
    "hyperbolic": "tanh' = 1 - tanh^2, sinh' = cosh, cosh' = sinh (times u')",
    "trig": "sin' = cos, cos' = -sin (times u')",
    "erf": "(erf u)' = 2/sqrt(pi) exp(-u^2) u'",
    "sigmoid": "(sigmoid u)' = sigmoid(u) (1 - sigmoid(u)) u'",
    "Phi": "(Phi u)' = phi(u) u', phi the standard normal density",
    "abs": "|u|' = sign(u) u' where u != 0",
    "piecewise": "differentiate each case; check the one-sided derivatives at the break points",
}

#: Without a closed form, the result is passed to ``sp.simplify`` only when it has at most
#: this many operations: beyond that simplify takes seconds and tends to return forms no
#: student would write (e.g. a sum of logs folded into the log of a power).
SIMPLIFY_MAX_OPS = 20

# One-argument functions: (rule key, derivative in terms of the argument, the formula a
# student would quote, in LaTeX with "@" standing for the argument). Applied to x itself the
# formula reads "d/dx log x = 1/x"; applied to an inner expression, as a chain rule in u.
_UNARY: dict[type, tuple[str, Callable, str]] = {
    sp.exp: ("exp", sp.exp, r"\frac{d}{d@} e^{@} = e^{@}"),
    sp.log: ("log", lambda u: 1 / u, r"\frac{d}{d@} \log @ = \frac{1}{@}"),
    sp.tanh: ("hyperbolic", lambda u: 1 - sp.tanh(u) ** 2, r"\frac{d}{d@} \tanh @ = 1 - \tanh^2 @"),
    sp.sinh: ("hyperbolic", sp.cosh, r"\frac{d}{d@} \sinh @ = \cosh @"),
    sp.cosh: ("hyperbolic", sp.sinh, r"\frac{d}{d@} \cosh @ = \sinh @"),
    sp.sin: ("trig", sp.cos, r"\frac{d}{d@} \sin @ = \cos @"),
    sp.cos: ("trig", lambda u: -sp.sin(u), r"\frac{d}{d@} \cos @ = -\sin @"),
    sp.erf: ("erf", lambda u: 2 / sp.sqrt(sp.pi) * sp.exp(-(u**2)),
             r"\frac{d}{d@} \operatorname{erf} @ = \frac{2}{\sqrt{\pi}} e^{-@^2}"),
    sigmoid: ("sigmoid", lambda u: sigmoid(u) * (1 - sigmoid(u)),
              r"\frac{d}{d@} \sigma(@) = \sigma(@)\,(1 - \sigma(@))"),
    Phi: ("Phi", lambda u: sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi),
          r"\frac{d}{d@} \Phi(@) = \frac{e^{-@^2/2}}{\sqrt{2\pi}}"),
}  # fmt: skip


class _Diff:
    """Builds pending ``d/dx v`` nodes, folding the trivial ones on the spot.

    Writing ``d/dx 1`` and ``d/dx x`` out as steps of their own would double the length of
    every derivation without teaching anything, so they are evaluated immediately and the
    step's reason mentions them instead.
    """

    def __init__(self, x, name):
        self.x, self.name = x, name
        self.folded: list[str] = []
        self.notes: list[str] = []  # sentences for Derivation.notes (break points)

    def __call__(self, v):
        if v == self.x:
            return self._fold(f"$\\frac{{d}}{{d{self.x}}} {self.x} = 1$", sp.S.One)
        if not v.has(self.x):
            return self._fold(f"$\\frac{{d}}{{d{self.x}}} {sp.latex(v)} = 0$", sp.S.Zero)
        return sp.Derivative(v, self.x)

    def chain(self, inner):
        """The inner derivative u' of a chain rule; silent when u is x (no chain to show)."""
        return sp.S.One if inner == self.x else self(inner)

    def _fold(self, text, value):
        if text not in self.folded:
            self.folded.append(text)
        return value


def _sum(u, d):
    return sp.Add(*[d(t) for t in u.args]), "sum", "sum rule"


def _mul(u, d):
    # The order matters for readability: pull constants out first, then prefer the
    # quotient rule when there is a real denominator, else the product rule.
    const, rest = u.as_independent(d.x, as_Add=False)
    if const != 1:
        return (
            const * d(rest),
            "constant-multiple",
            f"constant multiple rule (factor ${sp.latex(const)}$)",
        )
    num, den = sp.fraction(u, exact=True)  # exact: keep exp(-x) upstairs, as it is written
    if den != 1:
        return (d(num) * den - num * d(den)) / den**2, "quotient", "quotient rule"
    factors = u.args
    terms = [sp.Mul(*factors[:i], d(f), *factors[i + 1 :]) for i, f in enumerate(factors)]
    n = len(factors)
    return sp.Add(*terms), "product", "product rule" + (f" for {n} factors" if n > 2 else "")


def _chain(inner, x, label, formula):
    """The plain rule when the argument is x itself, else 'chain rule with' that rule."""
    if inner == x:
        return f"{label}: ${formula.replace('@', str(x))}$"
    return f"chain rule + {label}: ${formula.replace('@', 'u')}$"


def _power(u, d):
    base, expo = u.base, u.exp
    if not expo.has(d.x):
        reason = _chain(base, d.x, "power rule", r"\frac{d}{d@} @^n = n\,@^{n-1}")
        return expo * base ** (expo - 1) * d.chain(base), "power", reason
    if not base.has(d.x):
        reason = _chain(expo, d.x, "exponential rule", r"\frac{d}{d@} a^{@} = a^{@} \log a")
        return u * sp.log(base) * d.chain(expo), "exponential", reason
    # f^g with x in both: no table rule fits, so go through exp(g log f) (needs f > 0).
    reason = r"general power: $f^g = e^{g \log f}$, so $(f^g)' = f^g\,(g \log f)'$"
    return u * d(expo * sp.log(base)), "general-power", reason


def _unary(u, d):
    key, derivative, formula = next(v for t, v in _UNARY.items() if isinstance(u, t))
    (arg,) = u.args
    reason = _chain(arg, d.x, f"{type(u).__name__} rule", formula)
    return derivative(arg) * d.chain(arg), key, reason


def _abs(u, d):
    (arg,) = u.args
    if not arg.is_extended_real:
        raise ValueError(f"expr: |{arg}| is differentiable only for a real argument")
    reason = _chain(arg, d.x, "abs rule", r"\frac{d}{d@} |@| = \operatorname{sign}(@)")
    reason += " (undefined where the argument is 0)"
    return sp.sign(arg) * d.chain(arg), "abs", reason


def _piecewise(u, d):
    cases = sp.Piecewise(*[(d(e), c) for e, c in u.args])
    try:
        points = break_points(u, d.x)
    except ValueError as err:  # the cases are still right; only the commentary is missing
        d.notes.append(f"the break points of {sp.sstr(u)} could not be analysed: {err}")
        points = []
    d.notes.extend(bp.describe(d.name) for bp in points)
    summary = "; ".join(bp.summary() for bp in points)
    reason = "by cases" + (f" ({summary})" if summary else ": differentiate each case")
    return cases, "piecewise", reason


# Dispatch by node type; a class not listed (nor a subclass of one listed) is unsupported.
_BY_TYPE: dict[type, Callable] = {
    sp.Add: _sum,
    sp.Mul: _mul,
    sp.Pow: _power,
    sp.Abs: _abs,
    sp.Piecewise: _piecewise,
    **{t: _unary for t in _UNARY},
}


def _apply_rule(u, x, name):
    """One rule applied to ``d/dx u``: returns (replacement, key, reason, notes)."""
    if u == x:
        return sp.S.One, "identity", f"$\\frac{{d}}{{d{x}}} {x} = 1$", []
    if not u.has(x):
        return sp.S.Zero, "constant", f"constant rule: ${sp.latex(u)}$ does not depend on ${x}$", []
    rule = next((r for t, r in _BY_TYPE.items() if isinstance(u, t)), None)
    if rule is None:
        raise ValueError(
            f"expr: no differentiation rule for {type(u).__name__} (in {sp.sstr(u)}); "
            f"supported: +, *, /, powers, {', '.join(t.__name__ for t in _UNARY)}, "
            "Abs, Piecewise, Max, Min"
        )
    d = _Diff(x, name)
    new, key, reason = rule(u, d)
    return new, key, "; ".join([reason, *d.folded]), d.notes


def _pending(expr):
    """The first unevaluated derivative, outermost then leftmost (SymPy's argument order)."""
    return next((n for n in sp.preorder_traversal(expr) if isinstance(n, sp.Derivative)), None)


def differentiate(
    expr,
    x,
    *,
    title=None,
    closed_form=None,
    closed_form_reason=None,
    domain=None,
    name="f",
) -> Derivation:
    """Differentiate ``expr`` with respect to ``x`` one rule per step.

    Each step's ``rule`` is a key of :data:`RULES` (or ``definition``, ``closed-form``,
    ``simplify``). Piecewise cases add one sentence per break point to ``notes``. Without
    ``closed_form``, a final ``simplify`` step is added when ``sp.simplify`` strictly shortens
    a result of at most :data:`SIMPLIFY_MAX_OPS` operations.
    ``Max``/``Min`` are written by cases before differentiating (SymPy's own derivative of
    ``Max`` is a Heaviside step, which cannot be proved equal to the by-cases form).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> d = differentiate(sp.Piecewise((0, x < 0), (x, True)), x, name="relu")
    >>> [s.rule for s in d.steps], d.result
    (['definition', 'piecewise'], Piecewise((0, x < 0), (1, True)))
    >>> print(d.notes[0])
    at x = 0: the one-sided derivatives are 0 (left) and 1 (right); they differ, so relu has
    a kink there and relu'(0) is undefined; the generalized gradient is [0, 1] (the by-cases
    formula gives 1 there, a convention)
    >>> differentiate(x, "x")
    Traceback (most recent call last):
    TypeError: x: a sympy Symbol is required, got str
    """
    if not isinstance(x, sp.Symbol):
        raise TypeError(f"x: a sympy Symbol is required, got {type(x).__name__}")
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"expr: a sympy expression is required, got {type(expr).__name__}")
    if expr.has(sp.Derivative):
        raise ValueError("expr: must not hold an unevaluated Derivative")
    if not isinstance(name, str) or not name:
        raise ValueError("name: a non-empty string is required")
    if closed_form is not None and not isinstance(closed_form, sp.Expr):
        raise TypeError(f"closed_form: a sympy expression is required, got {closed_form!r}")
    if domain is not None and not isinstance(domain, Mapping):
        raise TypeError("domain: a mapping symbol -> (low, high) is required")

    reason = "definition"
    if expr.has(sp.Max, sp.Min):
        expr = expr.replace(
            lambda e: isinstance(e, sp.Max | sp.Min), lambda e: e.rewrite(sp.Piecewise)
        )
        reason = "definition, with max/min written by cases"
    current = sp.Derivative(expr, x)
    steps = [Step(current, reason, "definition")]
    notes = []
    while (node := _pending(current)) is not None:
        if len(steps) > 1000:  # every rule shrinks its argument; this is only a safety net
            raise RuntimeError(f"differentiate: no end in sight for {sp.sstr(expr)}")
        new, key, reason, more_notes = _apply_rule(node.expr, x, name)
        notes.extend(more_notes)
        current = current.xreplace({node: new})
        steps.append(Step(current, reason, key))

    if closed_form is not None:
        if closed_form != current:
            steps.append(Step(closed_form, closed_form_reason or "simplify", "closed-form"))
    elif sp.count_ops(current) <= SIMPLIFY_MAX_OPS:
        simpler = sp.simplify(current)
        if sp.count_ops(simpler) < sp.count_ops(current):  # strictly shorter, else keep it
            steps.append(Step(simpler, "simplify", "simplify"))

    symbols = sorted(expr.free_symbols | {x}, key=lambda s: (s != x, s.name))
    return Derivation(
        title or f"derivative of {name}",
        symbols,
        steps,
        domain=dict(domain or {}),
        lhs=sp.Derivative(sp.Function(name)(x), x),
        notes=notes,
    )


@dataclass(frozen=True)
class BreakPoint:
    """What a piecewise function does where two cases meet.

    ``left``/``right`` are the one-sided derivatives (limits of the neighbouring cases'
    derivatives, which equal the one-sided derivatives when the function is continuous).
    ``continuous`` and ``differentiable`` are None when they depend on parameters.
    ``by_cases`` is what the by-cases formula (and SymPy) says the derivative is there.
    """

    variable: sp.Symbol
    point: sp.Expr
    left: sp.Expr
    right: sp.Expr
    continuous: bool | None
    differentiable: bool | None
    by_cases: sp.Expr

    @property
    def generalized_gradient(self):
        """The convex hull of the one-sided derivatives, or None if their order is unknown.

        >>> import sympy as sp
        >>> x = sp.Symbol("x", real=True)
        >>> break_points(sp.Piecewise((-x, x < 0), (x, True)), x)[0].generalized_gradient
        Interval(-1, 1)
        """
        lo, hi = sp.Min(self.left, self.right), sp.Max(self.left, self.right)
        return sp.Interval(lo, hi) if not lo.has(sp.Min, sp.Max) else None

    def summary(self) -> str:
        """A few words for a step's reason.

        >>> import sympy as sp
        >>> x = sp.Symbol("x", real=True)
        >>> break_points(sp.Piecewise((0, x < 0), (x, True)), x)[0].summary()
        'at x = 0: left 0, right 1, kink'
        """
        verdict = {True: "differentiable", False: "kink", None: "kink unless they agree"}
        if self.continuous is False:
            return f"at {self.variable} = {self.point}: jump"
        return (
            f"at {self.variable} = {self.point}: left {self.left}, right {self.right}, "
            f"{verdict[self.differentiable]}"
        )

    def describe(self, name: str = "f") -> str:
        """One sentence for a person.

        >>> import sympy as sp
        >>> x = sp.Symbol("x", real=True)
        >>> elu = sp.Piecewise((sp.exp(x) - 1, x < 0), (x, True))
        >>> print(break_points(elu, x)[0].describe("elu"))
        at x = 0: the one-sided derivatives are 1 (left) and 1 (right); they agree, so elu
        is differentiable there, elu'(0) = 1
        """
        at, p = f"at {self.variable} = {self.point}", self.point
        if self.continuous is False:
            return f"{at}: {name} jumps, so it is not differentiable there"
        head = f"{at}: the one-sided derivatives are {self.left} (left) and {self.right} (right)"
        if self.differentiable:
            return (
                f"{head}; they agree, so {name} is differentiable there, {name}'({p}) = {self.left}"
            )
        convention = f"(the by-cases formula gives {self.by_cases} there, a convention)"
        if self.differentiable is None:
            return (
                f"{head}; they agree only if {self.left} = {self.right}; otherwise {name} has "
                f"a kink there and {name}'({p}) is undefined {convention}"
            )
        hull = self.generalized_gradient
        hull = "" if hull is None else f"; the generalized gradient is [{hull.start}, {hull.end}]"
        return (
            f"{head}; they differ, so {name} has a kink there and {name}'({p}) is "
            f"undefined{hull} {convention}"
        )


def _same(a, b) -> bool | None:
    difference = sp.simplify(a - b)
    return True if difference == 0 else (False if difference.is_zero is False else None)


def _case_near(pw, x, p, side):
    """The expression of the case that holds just left (side=-1) or right (+1) of ``p``."""
    where = f"{'left' if side < 0 else 'right'} of {x} = {p}"
    # An infinitesimal decides most conditions exactly; a tiny number is the fallback for
    # conditions SymPy cannot order symbolically (e.g. (1 - eps)**2 < 1).
    for nudge in (sp.Dummy("eps", positive=True), sp.Rational(1, 10**12)):
        for expr, cond in pw.args:
            holds = cond.subs(x, p + side * nudge)
            if holds is sp.true:
                return expr
            if holds is not sp.false:
                break  # undecided: try the next nudge
        else:
            raise ValueError(f"no case holds just {where}: the function is undefined there")
    raise ValueError(f"cannot tell which case holds just {where}")


def break_points(pw, x) -> list[BreakPoint]:
    """Analyse each point where the conditions of a ``Piecewise`` in ``x`` switch.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> a = sp.Symbol("a", positive=True)
    >>> [bp] = break_points(sp.Piecewise((a * x, x < 0), (x, True)), x)
    >>> bp.point, bp.left, bp.right, bp.differentiable
    (0, a, 1, None)
    """
    if not isinstance(pw, sp.Piecewise):
        raise TypeError(f"pw: a sympy Piecewise is required, got {type(pw).__name__}")
    if not isinstance(x, sp.Symbol):
        raise TypeError(f"x: a sympy Symbol is required, got {type(x).__name__}")
    points = set()
    for _, cond in pw.args:
        for rel in cond.atoms(sp.Rel):
            if rel.has(x):
                roots = sp.solveset(rel.lhs - rel.rhs, x, sp.S.Reals)
                if roots is sp.S.EmptySet:
                    continue
                if not isinstance(roots, sp.FiniteSet):
                    raise ValueError(f"the condition {rel} does not switch at isolated points")
                points |= set(roots)
    found = []
    for p in sorted(points, key=lambda p: (0, float(p), "") if p.is_number else (1, 0.0, str(p))):
        lo, hi = _case_near(pw, x, p, -1), _case_near(pw, x, p, +1)
        left = sp.limit(sp.diff(lo, x), x, p, "-")
        right = sp.limit(sp.diff(hi, x), x, p, "+")
        value = pw.subs(x, p)
        joins = [_same(sp.limit(lo, x, p, "-"), value), _same(sp.limit(hi, x, p, "+"), value)]
        continuous = False if False in joins else (None if None in joins else True)
        agree = _same(left, right)
        differentiable = continuous and agree if continuous is not None else None
        by_cases = sp.Piecewise(*[(sp.diff(e, x), c) for e, c in pw.args]).subs(x, p)
        found.append(BreakPoint(x, p, left, right, continuous, differentiable, by_cases))
    return found
