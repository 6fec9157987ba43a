"""Expressions as one line of readable Unicode, for the terminal.

Pages get SymPy's own LaTeX; a terminal gets :func:`text`: ``e^x/(1 + e^x)`` rather than
``exp(x)/(exp(x) + 1)``, ``σ(x)`` rather than ``sigmoid(x)``, subscripts and small powers
as Unicode (``W¹₁₁``, ``x²``), ``Xᵀ``, ``√2``, ``∞`` — and never a backslash. Symbol names
follow SymPy's conventions (``sigma_w^2``, ``x_1``, ``xtilde``), so the same name gives
``\\sigma^{2}_{w}`` in LaTeX and ``σ_w²`` here. A notation SymPy has no name for (``∂L/∂W``,
``𝔼[u²]``) is a :class:`Notation`: a symbol that carries both of its written forms.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> text(sp.exp(x) / (1 + sp.exp(x)))
'e^x/(e^x + 1)'
>>> text(sp.Symbol("sigma_w^2") / sp.Symbol("d") + sp.sqrt(2 * x))
'√2·√x + σ_w²/d'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.conventions import requires_partial, split_super_sub
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

_GREEK = dict(
    zip(
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda lamda mu nu xi pi rho "
        "sigma tau upsilon phi chi psi omega varepsilon varphi vartheta "
        "Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
        "αβγδεζηθικλλμνξπρστυφχψωεφϑΓΔΘΛΞΠΣΦΨΩ",
        strict=True,
    )
)
# Accents SymPy's LaTeX printer recognises as name suffixes (``xtilde`` -> \tilde{x}).
_ACCENTS = {"tilde": "\u0303", "hat": "\u0302", "bar": "\u0305", "dot": "\u0307"}
_SUB = dict(
    zip("0123456789+-=()aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", strict=True)
)
_SUP = dict(zip("0123456789+-=()inT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵀ", strict=True))
# Functions whose terminal name differs from SymPy's: read as a course writes them.
_FUNCTIONS = {"sigmoid": "σ", "Phi": "Φ"}


def _word(name: str) -> str:
    """A name without sub- or superscripts: Greek letters spelled out become letters."""
    if name.endswith("'"):
        return _word(name[:-1]) + "'"
    if name in _GREEK:
        return _GREEK[name]
    for accent, mark in _ACCENTS.items():
        if name.endswith(accent) and len(name) > len(accent):
            return _word(name[: -len(accent)]) + mark
    return name


def _script(parts: list[str], table: dict, marker: str) -> str:
    out = ""
    for part in parts:
        part = _word(part)
        if all(c in table for c in part):
            out += "".join(table[c] for c in part)
        else:
            out += marker + part
    return out


def symbol_text(name: str) -> str:
    """A symbol's name the way SymPy's LaTeX printer reads it, in Unicode.

    >>> symbol_text("W^1_11"), symbol_text("sigma_varepsilon^2"), symbol_text("xtilde_2")
    ('W¹₁₁', 'σ_ε²', 'x̃₂')
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: a non-empty string is required, got {name!r}")
    main, supers, subs = split_super_sub(name)
    low, high = _script(subs, _SUB, "_"), _script(supers, _SUP, "^")
    # Written order decides: a layer index first (W^1_11 -> W¹₁₁), a square last (σ_w²).
    return _word(main) + (high + low if 0 <= name.find("^") < name.find("_") else low + high)


def subscript(index) -> str:
    """``index`` as a Unicode subscript where every character has one, else after ``_``.

    >>> subscript(12), subscript("w")
    ('₁₂', '_w')
    """
    return _script([str(index)], _SUB, "_")


class Notation(sp.Symbol):
    """A symbol for a notation SymPy has no name for, with both of its written forms.

    The terminal form is the symbol's name; ``latex`` is what pages show. It behaves as any
    symbol (it can be substituted, differentiated by), so it can stand in an expression shown
    in place of a longer one (``Derivation.display``) or in a reason.

    >>> import sympy as sp
    >>> dL = Notation("∂L/∂x", r"\\frac{\\partial L}{\\partial x}")
    >>> text(2 * dL), sp.latex(2 * dL)
    ('2·∂L/∂x', '2 \\\\frac{\\\\partial L}{\\\\partial x}')
    >>> Notation("∂L/∂x", "a different form")
    Traceback (most recent call last):
    ...
    ValueError: latex: '∂L/∂x' is already written ...
    """

    def __new__(cls, name: str, latex: str, **assumptions):
        if not isinstance(name, str) or not name or "\\" in name or "$" in name:
            raise ValueError(f"name: the terminal form, without backslashes, got {name!r}")
        if not isinstance(latex, str) or not latex:
            raise ValueError(f"latex: a non-empty string is required, got {latex!r}")
        obj = super().__new__(cls, name, **assumptions)
        # SymPy caches symbols by name and assumptions, so one name is one object: two
        # different LaTeX forms for it would silently overwrite each other.
        known = getattr(obj, "tex", latex)
        if known != latex:
            raise ValueError(f"latex: {name!r} is already written {known!r}, not {latex!r}")
        obj.tex = latex
        return obj

    def __getnewargs_ex__(self):
        return (self.name, self.tex), self.assumptions0

    def _latex(self, printer):
        return self.tex


class TextPrinter(StrPrinter):
    """SymPy's string printer, made to read like handwriting (see :func:`text`)."""

    printmethod = "_sympystr"

    def _print_Symbol(self, expr):
        return expr.name if isinstance(expr, Notation) else symbol_text(expr.name)

    _print_Dummy = _print_Symbol
    _print_MatrixSymbol = _print_Symbol

    def _print_Infinity(self, expr):
        return "∞"

    def _print_NegativeInfinity(self, expr):
        return "-∞"

    def _print_Pi(self, expr):
        return "π"

    def _print_Exp1(self, expr):
        return "e"

    def parenthesize(self, item, level, strict=False):
        # An integral, sum or derivative inside a product or power ends in "dx" or a long
        # tail: without parentheses "∫ f du/2" would not say what the 2 divides.
        if level >= PRECEDENCE["Mul"] and isinstance(item, sp.Integral | sp.Sum | sp.Derivative):
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _print_RandomSymbol(self, expr):
        return self._print(expr.symbol)

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Contains(self, expr):
        return f"{self._print(expr.args[0])} ∈ {self._print(expr.args[1])}"

    def _print_Indexed(self, expr):
        return f"{self._print(expr.base.label)}[{', '.join(self._print(i) for i in expr.indices)}]"

    def _print_Inverse(self, expr):
        return self.parenthesize(expr.arg, PRECEDENCE["Pow"], strict=True) + "⁻¹"

    def _print_Trace(self, expr):
        return f"tr({self._print(expr.arg)})"

    def _print_Heaviside(self, expr):
        return f"θ({self._print(expr.args[0])})"

    def _print_Expectation(self, expr):
        return f"𝔼[{self._print(expr.args[0])}]"

    def _group(self, expr) -> str:
        """``expr`` alone, in parentheses unless it is one symbol, number or call."""
        shown = self._print(expr)
        atomic = expr.is_Atom and not (expr.is_Number and expr.is_negative)
        return shown if atomic or isinstance(expr, sp.Function) else f"({shown})"

    def _print_exp(self, expr):
        (arg,) = expr.args
        shown = self._print(arg)
        return "e^" + (shown if len(shown) == 1 else f"({shown})")

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        if exp is sp.S.Half:
            return "√" + self._group(base)
        if exp.is_Rational and exp.is_negative:
            under = base if exp == -1 else sp.Pow(base, -exp, evaluate=False)
            return "1/" + self.parenthesize(under, PRECEDENCE["Mul"])
        shown = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        power = self._print(exp)
        if exp.is_Integer and all(c in _SUP for c in power):
            return shown + "".join(_SUP[c] for c in power)
        return f"{shown}^{power}" if exp.is_Atom else f"{shown}^({power})"

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        sign = "-" if coeff.is_negative else ""
        coeff = abs(coeff)
        top, bottom = [], []
        for factor in sp.Mul.make_args(rest) if rest != 1 else []:
            base, exp = factor.as_base_exp()
            if exp.is_Rational and exp.is_negative and not factor.is_Rational:
                bottom.append(sp.Pow(base, -exp))
            else:
                top.append(factor)
        if coeff.is_Rational and coeff.q != 1:
            bottom.insert(0, sp.Integer(coeff.q))
            coeff = sp.Integer(coeff.p)
        if coeff != 1 or not top:
            top.insert(0, coeff)
        prec = PRECEDENCE["Mul"]
        shown = "·".join(self.parenthesize(f, prec, strict=False) for f in top)
        if not bottom:
            return sign + shown
        if len(bottom) == 1:
            under = self.parenthesize(bottom[0], prec, strict=True)
        else:
            under = "(" + "·".join(self.parenthesize(f, prec) for f in bottom) + ")"
        return f"{sign}{shown}/{under}"

    def _print_Function(self, expr):
        name = _FUNCTIONS.get(expr.func.__name__, symbol_text(expr.func.__name__))
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_KroneckerDelta(self, expr):
        i, j = expr.args
        return "δ" + _script([self._print(i) + self._print(j)], _SUB, "_")

    def _print_Relational(self, expr):
        op = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥"}.get(expr.rel_op, expr.rel_op)
        level = PRECEDENCE["Relational"]
        lhs, rhs = (self.parenthesize(side, level, strict=True) for side in expr.args)
        return f"{lhs} {op} {rhs}"

    def _print_Piecewise(self, expr):
        cases = [
            f"{self._print(e)} otherwise"
            if c is sp.true
            else f"{self._print(e)} if {self._print(c)}"
            for e, c in expr.args
        ]
        return "{" + "; ".join(cases) + "}"

    def _print_Derivative(self, expr):
        # ∂ exactly where SymPy's LaTeX printer writes it, so both targets agree
        d = "∂" if requires_partial(expr) else "d"
        wrt = "".join(
            f"{d}{self._print(v)}" + ("" if n == 1 else _script([str(n)], _SUP, "^"))
            for v, n in expr.variable_count
        )
        order = sum(n for _, n in expr.variable_count)
        top = d if order == 1 else d + _script([str(order)], _SUP, "^")
        inner = self._print(expr.expr)
        if precedence(expr.expr) < PRECEDENCE["Pow"] or expr.expr.could_extract_minus_sign():
            inner = f"({inner})"
        return f"{top}/{wrt} {inner}"

    def _print_Subs(self, expr):
        at = ", ".join(
            f"{self._print(v)} = {self._print(p)}"
            for v, p in zip(expr.variables, expr.point, strict=True)
        )
        return f"[{self._print(expr.expr)}] at {at}"

    def _print_Integral(self, expr):
        out = self._print(expr.function)
        for limit in reversed(expr.limits):
            var, *ends = limit
            over = f"[{self._print(ends[0])}, {self._print(ends[1])}]" if len(ends) == 2 else ""
            out = f"∫{over} {out} d{self._print(var)}"
        return out

    def _print_Sum(self, expr):
        out = self._print(expr.function)
        for var, lo, hi in reversed(expr.limits):
            out = f"Σ[{self._print(var)} = {self._print(lo)}..{self._print(hi)}] {out}"
        return out

    def _print_MatrixBase(self, expr):
        rows = ["; ".join(", ".join(self._print(e) for e in expr.row(i)) for i in range(expr.rows))]
        return "[" + rows[0] + "]"

    def _print_Transpose(self, expr):
        return self.parenthesize(expr.arg, PRECEDENCE["Pow"], strict=True) + "ᵀ"

    def _print_MatMul(self, expr):
        coeff, rest = expr.as_coeff_mmul()
        sign = "-" if coeff.is_number and coeff.is_negative else ""
        factors = list(rest.args) if isinstance(rest, sp.MatMul) else [rest]
        if abs(coeff) != 1:
            factors.insert(0, abs(coeff))
        return sign + "·".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in factors)

    def _print_MatAdd(self, expr):
        out = ""
        for k, term in enumerate(expr.args):
            shown = self._print(term)
            if k and shown.startswith("-"):
                out += " - " + shown[1:]
            else:
                out += (" + " if k else "") + shown
        return out

    def _print_HadamardProduct(self, expr):
        return " ⊙ ".join(self.parenthesize(a, precedence(expr)) for a in expr.args)


class Equation(sp.Basic):
    r"""A chain ``a = b = c`` to quote in a reason, never evaluated (``sp.Eq`` of two equal
    sides would print ``True``).

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> e = Equation(sp.exp(x) / (1 + sp.exp(x)), 1 / (1 + sp.exp(-x)), sp.Symbol("s"))
    >>> text(e), sp.latex(e)
    ('e^x/(e^x + 1) = 1/(1 + e^(-x)) = s', '\\frac{e^{x}}{e^{x} + 1} = \\frac{1}{1 + e^{- x}} = s')
    >>> Equation(x)
    Traceback (most recent call last):
    ...
    ValueError: sides: an equation needs at least two sides, got 1
    """

    def __new__(cls, *sides):
        if len(sides) < 2:
            raise ValueError(f"sides: an equation needs at least two sides, got {len(sides)}")
        return super().__new__(cls, *(sp.sympify(s, strict=True) for s in sides))

    def _latex(self, printer):
        return " = ".join(printer._print(s) for s in self.args)

    def _sympystr(self, printer):
        return " = ".join(printer._print(s) for s in self.args)


_PRINTER = TextPrinter()


def text(expr) -> str:
    """``expr`` as one line of Unicode, grouping kept, for the terminal.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> text(sp.Derivative(sp.log(1 + sp.exp(-x)), x))
    'd/dx log(1 + e^(-x))'
    >>> text(sp.Piecewise((0, x <= 0), (x, True)))
    '{0 if x ≤ 0; x otherwise}'
    >>> text("x")
    Traceback (most recent call last):
    ...
    TypeError: expr: a SymPy expression or matrix is required, got str
    """
    if not isinstance(expr, sp.Basic | sp.MatrixBase):
        raise TypeError(
            f"expr: a SymPy expression or matrix is required, got {type(expr).__name__}"
        )
    return _PRINTER.doprint(expr)
