"""Activation functions: definitions, derivatives with their steps, exact ranges, kinks.

Everything a page or a claim needs about an activation comes from :func:`get`, which builds
it from the table :data:`TABLE`: the definition is the only thing typed in; the derivative
is derived rule by rule (:mod:`derivations.steps`), the range from limits and critical
points (:mod:`derivations.ranges`), the kink facts from one-sided limits at the break
points (:func:`derivations.steps.break_points`).

One convention at a kink, everywhere: a kinked activation is written with the case ``x ≤ 0``
holding at the kink, the case whose derivative PyTorch's backward uses there (it tests
``x > 0``). So the derivative by cases takes, at the kink, the value autograd returns
(``verify.activations`` checks it at exactly 0), and the table, the figures and the claims
all read that one value from :attr:`Activation.at_kinks`.

>>> relu = get("relu")
>>> relu.output_range
Interval(0, oo)
>>> relu.kinks[0].left, relu.kinks[0].right
(0, 1)
>>> relu.derivative, relu.at_kinks
(Piecewise((0, x <= 0), (1, True)), {0: 0})
>>> get("softplus").derivative
sigmoid(x)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.functions import Phi, sigmoid
from derivations.printing import Equation, Notation, subscript
from derivations.ranges import RangeFacts, output_range
from derivations.render import Reason
from derivations.steps import BreakPoint, break_points, differentiate

x = sp.Symbol("x", real=True)


@dataclass(frozen=True)
class Param:
    """A parameter: default value and the open/closed bounds it must lie in."""

    default: float
    low: float
    high: float
    low_closed: bool = True
    high_closed: bool = False
    meaning: str = ""

    def allowed(self) -> str:
        """The allowed values in interval notation.

        >>> Param(0.01, 0, 1).allowed()
        '[0, 1)'
        """
        lo = "[" if self.low_closed else "("
        hi = "]" if self.high_closed else ")"
        return f"{lo}{self.low}, {self.high}{hi}"

    def accepts(self, v: float) -> bool:
        """Whether ``v`` lies in the allowed interval.

        >>> Param(0.01, 0, 1).accepts(1), Param(0.01, 0, 1).accepts(0)
        (False, True)
        """
        above = v >= self.low if self.low_closed else v > self.low
        below = v <= self.high if self.high_closed else v < self.high
        return above and below


@dataclass(frozen=True)
class Spec:
    """One row of the table: how to write the activation and its derivative's closed form."""

    symbol: str
    definition: Callable[..., sp.Expr]
    closed_form: Callable[..., sp.Expr] | None = None
    closed_form_reason: Reason | str = "simplify"
    params: dict[str, Param] = field(default_factory=dict)
    # Why PyTorch's autograd returns the x ≤ 0 case's derivative at a kink (its backward's test).
    autograd_at_kink: str = ""
    title: str = ""  # the name as a course writes it, for d/dx title(x) and the notes


def _kinked(negative, positive):
    """``negative`` for x ≤ 0, ``positive`` otherwise: the case holding at the kink x = 0 is
    the one whose derivative torch's backward uses there, so the derivative by cases gives
    torch's value at 0 (the function's value at 0 is the same either way)."""
    return sp.Piecewise((negative, x <= 0), (positive, True))


def _leaky(a):
    return _kinked(a * x, x)


_TORCH_TESTS = "its backward tests x > 0, so it uses the x ≤ 0 case there"


TABLE: dict[str, Spec] = {
    "leaky_relu": Spec(
        r"\mathrm{LeakyReLU}_a",
        _leaky,
        lambda a: _kinked(a, 1),
        "collect the cases",
        {"a": Param(0.01, 0, 1, meaning="slope for x < 0")},
        _TORCH_TESTS,
        title="LeakyReLU",
    ),
    "softplus": Spec(
        r"\mathrm{Softplus}",
        lambda: sp.log(1 + sp.exp(x)),
        lambda: sigmoid(x),
        Reason(
            "divide by {}: {}",
            (sp.exp(x), Equation(sp.exp(x) / (1 + sp.exp(x)), 1 / (1 + sp.exp(-x)), sigmoid(x))),
        ),
        title="Softplus",
    ),
    "sigmoid": Spec(
        r"\sigma",
        lambda: 1 / (1 + sp.exp(-x)),
        lambda: sigmoid(x) * (1 - sigmoid(x)),
        Reason(
            "{}", (Equation(sp.exp(-x) / (1 + sp.exp(-x)) ** 2, sigmoid(x) * (1 - sigmoid(x))),)
        ),
    ),
    "tanh": Spec(r"\tanh", lambda: sp.tanh(x), lambda: 1 - sp.tanh(x) ** 2, "simplify"),
    "relu": Spec(
        r"\mathrm{ReLU}",
        lambda: _kinked(0, x),
        lambda: _kinked(0, 1),
        "collect the cases",
        autograd_at_kink=_TORCH_TESTS,
        title="ReLU",
    ),
    "elu": Spec(
        r"\mathrm{ELU}_\alpha",
        lambda alpha: _kinked(alpha * (sp.exp(x) - 1), x),
        lambda alpha: _kinked(alpha * sp.exp(x), 1),
        "collect the cases",
        {"alpha": Param(1.0, 0, math.inf, low_closed=False, meaning="saturation for x < 0")},
        _TORCH_TESTS,
        title="ELU",
    ),
    "gelu": Spec(
        r"\mathrm{GELU}",
        lambda: x * Phi(x),
        lambda: Phi(x) + x * sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi),
        Reason(
            "{}",
            (
                Equation(
                    sp.Derivative(Phi(x), x),
                    sp.Function("varphi")(x),
                    sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi),
                ),
            ),
        ),
        title="GELU",
    ),
    "silu": Spec(
        r"\mathrm{SiLU}",
        lambda: x * sigmoid(x),
        lambda: sigmoid(x) * (1 + x * (1 - sigmoid(x))),
        Reason("factor out {}", (sigmoid(x),)),
        title="SiLU",
    ),
}

#: Every activation name, scalar ones first, then the vector-valued softmax.
NAMES: tuple[str, ...] = (*TABLE, "softmax")


@dataclass
class Activation:
    """A scalar activation with everything derived about it."""

    name: str
    symbol: str
    params: dict
    expr: sp.Expr
    derivative: sp.Expr
    derivation: Derivation
    kinks: list[BreakPoint]
    autograd_at_kink: str = ""

    @cached_property
    def range_facts(self) -> RangeFacts:
        """How the range follows from limits and critical points (built when first read:
        it is the slow part, and checking a typed derivative never needs it).

        >>> get("tanh").range_facts.interval
        Interval.open(-1, 1)
        """
        return output_range(self.expr, x)

    @property
    def output_range(self) -> sp.Interval:
        """The exact range, a SymPy ``Interval``.

        >>> get("relu").output_range
        Interval(0, oo)
        """
        return self.range_facts.interval

    @property
    def at_kinks(self) -> dict:
        """The derivative's value at each kink: what autograd returns there (the convention).

        >>> get("leaky_relu").at_kinks, get("tanh").at_kinks
        ({0: 1/100}, {})
        """
        return {k.point: k.by_cases for k in self.kinks}

    @property
    def variable(self) -> sp.Symbol:
        """The real symbol ``x`` every scalar activation is written in.

        >>> get("relu").variable.is_real
        True
        """
        return x


def _check_params(name: str, spec: Spec, given: dict) -> dict:
    unknown = set(given) - set(spec.params)
    if unknown:
        allowed = ", ".join(spec.params) or "none"
        raise ValueError(f"params: {name} takes no parameter {sorted(unknown)}; allowed: {allowed}")
    out = {}
    for key, param in spec.params.items():
        value = given.get(key, param.default)
        high = None if math.isinf(param.high) else param.high
        arg.real(
            value,
            key,
            low=param.low,
            high=high,
            open_low=not param.low_closed,
            open_high=not param.high_closed,
        )
        # an int stays an int, so that the expression holds an exact Integer
        out[key] = int(value) if isinstance(value, numbers.Integral) else float(value)
    return out


def _exact(value):
    """Parameters enter the SymPy expressions as exact rationals (0.01 -> 1/100)."""
    return sp.nsimplify(value, rational=True) if isinstance(value, float) else sp.Integer(value)


def get(name: str, **params):
    """The activation ``name`` with parameters (see :data:`NAMES`, :data:`TABLE`).

    >>> get("leaky_relu", a=0.1).expr
    Piecewise((x/10, x <= 0), (x, True))
    >>> get("swish")
    Traceback (most recent call last):
    ...
    ValueError: name: unknown activation 'swish'; allowed: leaky_relu, softplus, sigmoid, tanh, relu, elu, gelu, silu, softmax
    >>> get("leaky_relu", a=-1)
    Traceback (most recent call last):
    ...
    ValueError: a: a real number in [0, 1) is required, got -1
    """
    if not isinstance(name, str):
        arg.choice(name, "name", NAMES)  # the TypeError for a non-name
    if name not in NAMES:
        raise ValueError(f"name: unknown activation {name!r}; allowed: {', '.join(NAMES)}")
    if name == "softmax":
        n = params.pop("n", 3)
        if params:
            raise ValueError(f"params: softmax takes only n, got {sorted(params)}")
        return softmax(n)
    checked = _check_params(name, TABLE[name], params)
    return _build(name, tuple(sorted(checked.items())))


@lru_cache(maxsize=64)
def _build(name: str, params: tuple) -> Activation:
    spec = TABLE[name]
    values = {k: _exact(v) for k, v in params}
    expr = spec.definition(**values)
    closed = spec.closed_form(**values) if spec.closed_form else None
    derivation = differentiate(
        expr,
        x,
        title=f"Derivative of {name}",
        name=spec.title or name,
        closed_form=closed,
        closed_form_reason=spec.closed_form_reason,
    )
    kinks = break_points(expr, x) if isinstance(expr, sp.Piecewise) else []
    title = spec.title or name
    # The value at each kink, stated beside the derivative: the convention the cases encode.
    derivation.notes = [
        *derivation.notes,
        *(
            f"at x = {k.point} this derivative takes the value {title}'({k.point}) = {k.by_cases}: "
            f"the one PyTorch's autograd returns there ({spec.autograd_at_kink})"
            for k in kinks
        ),
    ]
    return Activation(
        name,
        spec.symbol,
        dict(params),
        expr,
        derivation.result,
        derivation,
        kinks,
        spec.autograd_at_kink,
    )


# --- softmax -----------------------------------------------------------------------------------
@dataclass
class Softmax:
    """Softmax of ``n`` logits: ``expr`` is the vector ``p``, ``derivative`` its Jacobian."""

    name: str
    symbol: str
    n: int
    logits: list[sp.Symbol]
    expr: sp.Matrix
    derivative: sp.Matrix
    derivation: Derivation
    output_range: sp.Interval


#: Most logits of a symbolic softmax: the Jacobian has n² entries, each proved by SymPy.
SOFTMAX_MAX = 6


def softmax(n: int = 3) -> Softmax:
    """Softmax of ``n`` logits (2 to :data:`SOFTMAX_MAX`) and its Jacobian ``diag(p) - p pᵀ``,
    derived entry by entry.

    >>> s = softmax(2)
    >>> s.derivation.check().ok
    True
    >>> s.output_range
    Interval.open(0, 1)
    >>> softmax(1)
    Traceback (most recent call last):
    ...
    ValueError: n: an integer in [2, 6] is required, got 1
    """
    return _softmax(arg.count(n, "n", minimum=2, maximum=SOFTMAX_MAX))


@lru_cache(maxsize=8)
def _softmax(n: int) -> Softmax:
    z = list(sp.symbols(f"z1:{n + 1}", real=True))
    total = sp.Add(*[sp.exp(zi) for zi in z])
    p = sp.Matrix([sp.exp(zi) / total for zi in z])
    pending = sp.Matrix(n, n, lambda i, j: sp.Derivative(p[i], z[j]))
    quotient = sp.Matrix(
        n,
        n,
        lambda i, j: (
            (sp.KroneckerDelta(i, j) * sp.exp(z[i]) * total - sp.exp(z[i]) * sp.exp(z[j]))
            / total**2
        ),
    )
    # Unevaluated products keep each p_i whole, so that it is shown as p_i (``display``).
    entries = sp.Matrix(
        n,
        n,
        lambda i, j: sp.Add(
            p[i] * sp.KroneckerDelta(i, j), sp.Mul(-1, p[i], p[j], evaluate=False), evaluate=False
        ),
    )
    jacobian = sp.diag(*p) - p * p.T
    column = sp.ImmutableMatrix(p)
    matrix_form = sp.MatAdd(
        sp.ImmutableMatrix(sp.diag(*p)),
        sp.MatMul(-1, column, column.T, evaluate=False),
        evaluate=False,
    )
    S = sp.Symbol("S", positive=True)  # shown in place of the sum of exponentials
    shown = {total: S, **{pi: sp.Symbol(f"p_{i + 1}") for i, pi in enumerate(p)}}
    # The pending ∂p_i/∂z_j as one symbol each: shown as a derivative of the symbol p_i,
    # SymPy would write d/dz_j, as if p_i depended on z_j alone.
    shown |= {
        pending[i, j]: Notation(
            f"∂p{subscript(i + 1)}/∂z{subscript(j + 1)}",
            rf"\frac{{\partial p_{{{i + 1}}}}}{{\partial z_{{{j + 1}}}}}",
        )
        for i in range(n)
        for j in range(n)
    }
    # The matrix form is shown as what it is, diag(p) - p pᵀ, in that order (SymPy's LaTeX
    # printer would sort the terms of the explicit matrices to -p pᵀ + diag(p)); its check
    # still compares the explicit matrices with the entries of the step before.
    shown[matrix_form] = Notation("diag(p) - p·pᵀ", r"\operatorname{diag}(p) - p\,p^{\top}")
    k = sp.Symbol("k", integer=True, positive=True)
    p_i = sp.Symbol("p_i")
    p_vector = sp.Matrix([sp.Symbol(f"p_{m + 1}") for m in range(n)])
    derivation = Derivation(
        f"Jacobian of softmax ({n} logits)",
        z,
        [
            Step(
                pending,
                Reason(
                    "definition: {} with {}, {}",
                    (
                        Equation(
                            sp.Symbol("J_ij"),
                            Notation("∂pᵢ/∂zⱼ", r"\frac{\partial p_i}{\partial z_j}"),
                        ),
                        Equation(p_i, sp.exp(sp.Symbol("z_i")) / S),
                        Equation(S, sp.Sum(sp.exp(sp.Symbol("z_k")), (k, 1, n))),
                    ),
                ),
            ),
            Step(
                quotient,
                Reason(
                    "quotient rule; {}",
                    (
                        Equation(
                            Notation("∂S/∂zⱼ", r"\frac{\partial S}{\partial z_j}"),
                            sp.exp(sp.Symbol("z_j")),
                        ),
                    ),
                ),
                "quotient",
            ),
            Step(
                entries,
                Reason(
                    "split the fraction: {}",
                    (
                        Equation(
                            sp.Symbol("J_ij"),
                            Notation("pᵢδᵢⱼ - pᵢpⱼ", r"p_{i} \delta_{i j} - p_{i} p_{j}"),
                        ),
                    ),
                ),
            ),
            Step(
                matrix_form,
                Reason(
                    "matrix form, with {}: {} and {}",
                    (
                        Equation(sp.Symbol("p"), p_vector),
                        Equation(
                            Notation("diag(p)ᵢⱼ", r"\operatorname{diag}(p)_{ij}"),
                            Notation("pᵢδᵢⱼ", r"p_{i} \delta_{i j}"),
                        ),
                        Equation(
                            Notation("(p·pᵀ)ᵢⱼ", r"(p\,p^{\top})_{ij}"),
                            Notation("pᵢpⱼ", r"p_{i} p_{j}"),
                        ),
                    ),
                ),
            ),
        ],
        lhs=sp.Symbol("J"),
        display=shown,
        points=6,
    )
    return Softmax(
        "softmax", r"\mathrm{softmax}", n, z, p, jacobian, derivation, sp.Interval.open(0, 1)
    )


@dataclass(frozen=True)
class RangeView:
    """How the range of an activation follows, as ``python -m derivations show`` renders it.

    >>> print(RangeView("relu").render("text").splitlines()[0])
    Range of relu: [0, oo)
    """

    name: str

    def render(self, fmt: str) -> str:
        """The range and the facts it follows from, as ``text``, ``markdown`` or ``latex``."""
        a = get(self.name)
        if fmt == "text":
            r = a.output_range
            ends = f"{'(' if r.left_open else '['}{r.inf}, {r.sup}{')' if r.right_open else ']'}"
            head = f"Range of {self.name}: {ends}"
            return "\n".join([head, *(f"  {line}" for line in a.range_facts.lines())])
        facts = [f"- {line}" for line in a.range_facts.lines(latex=True)]
        interval = sp.latex(a.output_range)
        return "\n".join([f"**Range of {self.name}:** ${interval}$, from:", "", *facts])


#: Every derivation of the topic: id -> zero-argument builder (a range renders its facts).
DERIVATIONS = {
    **{
        key: builder
        for name in TABLE
        for key, builder in (
            (f"activations.{name}", lambda n=name: get(n).derivation),
            (f"activations.{name}.range", lambda n=name: RangeView(n)),
        )
    },
    "activations.softmax": lambda: get("softmax").derivation,
}
