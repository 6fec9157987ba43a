"""Differentiate a scalar expression one rule at a time, as a student would.

:func:`differentiate` starts from the unevaluated ``d/dx f(x)`` and repeatedly rewrites the
first pending ``Derivative`` node (outermost, then leftmost) with one rule from a table keyed
by the node's type. Every intermediate expression is a true equality, so the resulting
:class:`~derivations.core.Derivation` can be checked step by step. Piecewise functions are
differentiated by cases, and :func:`break_points` says what happens where the cases meet.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> from derivations.functions import sigmoid
>>> d = differentiate(sp.log(1 + sp.exp(x)), x, name="softplus", closed_form=sigmoid(x),
...                   closed_form_reason="divide by exp(x)")
>>> for step in d.steps:
...     print(f"{sp.sstr(step.expr):<42} [{step.reason.text()}]")
Derivative(log(exp(x) + 1), x)             [definition]
Derivative(exp(x) + 1, x)/(exp(x) + 1)     [chain rule + log rule: d/du log(u) = 1/u]
Derivative(exp(x), x)/(exp(x) + 1)         [sum rule; d/dx 1 = 0]
exp(x)/(exp(x) + 1)                        [exp rule: d/dx e^x = e^x]
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
from .printing import Equation
from .render import Reason, as_reason

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

# One-argument functions: (rule key, derivative in terms of the argument). The formula a
# step quotes is built from the same derivative: "d/dx log(x) = 1/x" when applied to x
# itself, and as a chain rule in u when applied to an inner expression.
_UNARY: dict[type, tuple[str, Callable]] = {
    sp.exp: ("exp", sp.exp),
    sp.log: ("log", lambda u: 1 / u),
    sp.tanh: ("hyperbolic", lambda u: 1 - sp.tanh(u) ** 2),
    sp.sinh: ("hyperbolic", sp.cosh),
    sp.cosh: ("hyperbolic", sp.sinh),
    sp.sin: ("trig", sp.cos),
    sp.cos: ("trig", lambda u: -sp.sin(u)),
    sp.erf: ("erf", lambda u: 2 / sp.sqrt(sp.pi) * sp.exp(-(u**2))),
    sigmoid: ("sigmoid", lambda u: sigmoid(u) * (1 - sigmoid(u))),
    Phi: ("Phi", lambda u: sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi)),
}
#: The inner argument of a chain rule, as the rule is quoted.
_U = sp.Symbol("u")


class _Diff:
    """Builds pending ``d/dx v`` nodes, folding the trivial ones on the spot.

    Writing ``d/dx 1`` and ``d/dx x`` out as steps of their own would double the length of
    every derivation without teaching anything, so they are evaluated immediately and the
    step's reason mentions them instead.
    """

    def __init__(self, x, name):
        self.x, self.name = x, name
        self.folded: list[Reason] = []
        self.notes: list[str] = []  # sentences for Derivation.notes (break points)

    def __call__(self, v):
        if v == self.x or not v.has(self.x):
            value = sp.S.One if v == self.x else sp.S.Zero
            return self._fold(Reason("{}", (Equation(sp.Derivative(v, self.x), value),)), value)
        return sp.Derivative(v, self.x)

    def chain(self, inner):
        """The inner derivative u' of a chain rule; silent when u is x (no chain to show)."""
        return sp.S.One if inner == self.x else self(inner)

    def _fold(self, reason, value):
        if reason not in self.folded:
            self.folded.append(reason)
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
            Reason("constant multiple rule (factor {})", (const,)),
        )
    num, den = sp.fraction(u, exact=True)  # exact: keep exp(-x) upstairs, as it is written
    if den != 1:
        return (d(num) * den - num * d(den)) / den**2, "quotient", "quotient rule"
    factors = u.args
    terms = [sp.Mul(*factors[:i], d(f), *factors[i + 1 :]) for i, f in enumerate(factors)]
    n = len(factors)
    return sp.Add(*terms), "product", "product rule" + (f" for {n} factors" if n > 2 else "")


def _chain(inner, x, label, formula):
    """The plain rule when the argument is x itself, else 'chain rule with' that rule in u;
    ``formula(v)`` is the rule's equation in the variable v."""
    if inner == x:
        return Reason(f"{label}: {{}}", (formula(x),))
    return Reason(f"chain rule + {label}: {{}}", (formula(_U),))


def _rule_of(f, derivative):
    """The equation ``d/dv f(v) = derivative(v)`` of a rule."""
    return lambda v: Equation(sp.Derivative(f(v), v), derivative(v))


_N, _A = sp.Symbol("n"), sp.Symbol("a")


def _power(u, d):
    base, expo = u.base, u.exp
    if not expo.has(d.x):
        reason = _chain(
            base, d.x, "power rule", _rule_of(lambda v: v**_N, lambda v: _N * v ** (_N - 1))
        )
        return expo * base ** (expo - 1) * d.chain(base), "power", reason
    if not base.has(d.x):
        reason = _chain(
            expo, d.x, "exponential rule", _rule_of(lambda v: _A**v, lambda v: _A**v * sp.log(_A))
        )
        return u * sp.log(base) * d.chain(expo), "exponential", reason
    # f^g with x in both: no table rule fits, so go through exp(g log f) (needs f > 0).
    f, g = sp.Function("f")(d.x), sp.Function("g")(d.x)
    reason = Reason(
        "general power: {}, so {}",
        (
            Equation(f**g, sp.exp(g * sp.log(f))),
            Equation(sp.Derivative(f**g, d.x), f**g * sp.Derivative(g * sp.log(f), d.x)),
        ),
    )
    return u * d(expo * sp.log(base)), "general-power", reason


def _unary(u, d):
    key, derivative = next(v for t, v in _UNARY.items() if isinstance(u, t))
    (arg,) = u.args
    reason = _chain(arg, d.x, f"{type(u).__name__} rule", _rule_of(u.func, derivative))
    return derivative(arg) * d.chain(arg), key, reason


def _abs(u, d):
    (arg,) = u.args
    if not arg.is_extended_real:
        raise ValueError(f"expr: |{arg}| is differentiable only for a real argument")
    reason = _chain(arg, d.x, "abs rule", _rule_of(sp.Abs, sp.sign))
    reason = Reason.join([reason, "(undefined where the argument is 0)"], " ")
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
    return cases, "piecewise", Reason.words(reason)


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
        return sp.S.One, "identity", Reason("{}", (Equation(sp.Derivative(x, x), 1),)), []
    if not u.has(x):
        return sp.S.Zero, "constant", Reason("constant rule: {} does not depend on {}", (u, x)), []
    rule = next((r for t, r in _BY_TYPE.items() if isinstance(u, t)), None)
    if rule is None:
        raise ValueError(
            f"expr: no differentiation rule for {type(u).__name__} (in {sp.sstr(u)}); "
            f"supported: +, *, /, powers, {', '.join(t.__name__ for t in _UNARY)}, "
            "Abs, Piecewise, Max, Min"
        )
    d = _Diff(x, name)
    new, key, reason = rule(u, d)
    return new, key, Reason.join([reason, *d.folded]), d.notes


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
    ``simplify``); its ``reason`` quotes the rule's formula as SymPy expressions.
    ``closed_form_reason`` is a :class:`~derivations.render.Reason` or plain words. Piecewise cases add one sentence per break point to ``notes``. Without
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
    if closed_form_reason is not None:
        closed_form_reason = as_reason(closed_form_reason)
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
