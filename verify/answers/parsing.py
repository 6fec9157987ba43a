"""Reading a typed answer as a SymPy object, node by node, never as code.

A recursive-descent parser over the tokens of :mod:`verify.answers.tokens` builds the SymPy
expression itself: only whitelisted names become SymPy objects, and the text is never handed
to ``eval``, ``exec``, ``compile``, ``sympify`` or ``parse_expr``. Limits on length, nesting,
literal size and exact powers keep SymPy from being asked to build a number it cannot hold
(an exact power past :data:`MAX_EXACT_DIGITS` digits is formed in floating point instead),
so parsing always ends quickly.

Grammar (``^`` and ``**`` are the same right-associative power, ``-x^2`` is ``-(x^2)``)::

    answer  := compare
    compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom ("^" unary)?
    atom    := NUMBER | CONSTANT | VARIABLE | "(" compare ")" | FUNCTION "(" compare, … ")"

A comparison used as a value is 1 where it holds and 0 elsewhere, so ``where(x < 0, 0.01,
1)`` and ``0.01*(x < 0) + (x >= 0)`` are the same LeakyReLU′. Decimal literals are read
exactly (``0.5`` is ``1/2``).

>>> parse_expression("exp(x)/(1 + exp(x))^2")
exp(x)/(exp(x) + 1)**2
>>> parse_expression("where(x < 0, 0.01, 1)")
Piecewise((1/100, x < 0), (1, True))
>>> parse_expression("x.__class__")
Traceback (most recent call last):
...
ValueError: text: '.' is only allowed inside a number such as 0.5 (no attribute access) (at position 2)
"""

from __future__ import annotations

import difflib
import math
import operator

import sympy as sp

from derivations.functions import Phi, sigmoid
from verify.answers.tokens import Token, refuse, tokenize

#: Deepest nesting of parentheses, signs and exponents.
MAX_DEPTH = 40
#: Largest |exponent| written as a constant (``x^100`` is fine, ``x^101`` is not).
MAX_EXPONENT = 100
#: Largest |exponent| SymPy may form by combining powers, e.g. ``(x^100)^100``.
MAX_COMBINED_EXPONENT = 10**4
#: Largest |value| of a constant sub-expression; bounds every number SymPy builds.
MAX_CONSTANT = 1e100
#: Most digits an exact power of numbers may have; past it the power is a 30-digit float.
MAX_EXACT_DIGITS = 400
#: Most arguments of max/min in one answer: SymPy compares them pairwise as it builds them.
MAX_MINMAX_ARGUMENTS = 16


def _is_condition(node) -> bool:
    """A comparison or a truth value (a SymPy Symbol is a Boolean too, but not one of these)."""
    return isinstance(node, sp.logic.boolalg.Boolean) and not isinstance(node, sp.Expr)


def _lattice(op, args):
    """``max``/``min``: evaluated when every argument is a number, otherwise left unevaluated
    (SymPy would compare every pair of expressions symbolically as it builds them)."""
    return op(*args) if all(a.is_number for a in args) else op(*args, evaluate=False)


def _where(condition, if_true, if_false):
    return sp.Piecewise((if_true, condition), (if_false, True))


#: name -> (SymPy function, fewest arguments, most arguments or None for any number).
FUNCTIONS = {
    "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 1),
    "ln": (sp.log, 1, 1),
    "sqrt": (sp.sqrt, 1, 1),
    "tanh": (sp.tanh, 1, 1),
    "sin": (sp.sin, 1, 1),
    "cos": (sp.cos, 1, 1),
    "sinh": (sp.sinh, 1, 1),
    "cosh": (sp.cosh, 1, 1),
    "sech": (sp.sech, 1, 1),
    "sigmoid": (sigmoid, 1, 1),
    "sigma": (sigmoid, 1, 1),
    "erf": (sp.erf, 1, 1),
    "Phi": (Phi, 1, 1),
    "abs": (sp.Abs, 1, 1),
    "sign": (sp.sign, 1, 1),
    "Heaviside": (sp.Heaviside, 1, 2),
    "floor": (sp.floor, 1, 1),
    "ceil": (sp.ceiling, 1, 1),
    "ceiling": (sp.ceiling, 1, 1),
    "max": (lambda *a: _lattice(sp.Max, a), 2, None),
    "min": (lambda *a: _lattice(sp.Min, a), 2, None),
    "where": (_where, 3, 3),
}
CONSTANTS = {"pi": sp.pi, "e": sp.E, "E": sp.E, "oo": sp.oo, "inf": sp.oo}
_COMPARE = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "==": sp.Eq, "!=": sp.Ne}
_BINARY = {
    "+": ("the sum", operator.add),
    "-": ("the difference", operator.sub),
    "*": ("the product", operator.mul),
    "/": ("the quotient", operator.truediv),
}


def magnitude(value: sp.Expr) -> float:
    """|value| of a constant as a float (``inf`` when huge or not a number).

    >>> magnitude(sp.Rational(-3, 2)), magnitude(sp.oo)
    (1.5, inf)
    """
    if value in (sp.oo, sp.S.NegativeInfinity):
        return math.inf
    try:
        re, im = value.evalf(15).as_real_imag()
        return math.hypot(float(re), float(im))
    except (TypeError, ValueError, ArithmeticError):
        return math.inf


def _digits(value: sp.Rational) -> int:
    """Decimal digits of a rational's numerator and denominator together (≈ bits·log10 2)."""
    p, q = value.as_numer_denom()
    return int((abs(int(p)).bit_length() + int(q).bit_length()) * 0.30103) + 1


def power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """``base ** exponent``, exact unless that would build a number of more than
    :data:`MAX_EXACT_DIGITS` digits (or take a root of a long one): then a 30-digit float.

    >>> power(sp.Rational(1, 2), 3)
    1/8
    >>> power(sp.Rational(999999, 10**6), 10**4)  # exp(1e4·log(1 - 1e-6))
    0.990049828798915...
    """
    base, exponent = (sp.Integer(v) if isinstance(v, int) else v for v in (base, exponent))
    if base.is_Rational and exponent.is_Rational and base != 0:
        size = _digits(base)
        exact = (exponent.is_Integer and size * abs(int(exponent)) <= MAX_EXACT_DIGITS) or (
            not exponent.is_Integer and size <= 30 and exponent.q <= 12
        )
        if not exact:
            return sp.Pow(sp.Float(base, 30), sp.Float(exponent, 30))
    if base.is_Float and exponent.is_number:
        return sp.Pow(base, sp.Float(exponent, 30))
    return sp.Pow(base, exponent)


class Parser:
    """The recursive-descent parser over one text; see the module's grammar."""

    def __init__(self, text: str, tokens: list[Token], variables: dict[str, sp.Symbol]):
        self.text, self.tokens, self.variables = text, tokens, variables
        self.i = 0
        self.depth = 0
        self.minmax_arguments = 0

    # -- reading tokens ---------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, pos: int | None, message: str):
        raise refuse(message, pos, self.text)

    def expect(self, kind: str, what: str) -> Token:
        if self.peek().kind != kind:
            self.unexpected(self.peek(), what)
        return self.next()

    def unexpected(self, tok: Token, expected: str):
        if tok.kind == "end":
            self.fail(tok.pos, f"the answer ends too early; expected {expected}")
        if tok.kind in ("num", "name", "root", "(") and self.i > 0:
            prev = self.tokens[self.i - 1]
            if prev.kind in ("num", "name", "root", ")"):
                self.fail(
                    tok.pos,
                    f"missing operator before {self.shown(tok)}: implicit multiplication is "
                    "not supported; write 2*x or x*(1 + x)",
                )
        self.fail(tok.pos, f"unexpected {self.shown(tok)}; expected {expected}")

    def shown(self, tok: Token) -> str:
        if tok.kind == "num":
            return f"number {tok.text}"
        return repr(tok.text or tok.value) if tok.kind in ("name", "root") else repr(tok.value)

    def deeper(self, pos: int, parse):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(pos, f"nesting deeper than {MAX_DEPTH} levels is not accepted")
        value = parse()
        self.depth -= 1
        return value

    def end(self):
        if self.peek().kind != "end":
            self.unexpected(self.peek(), "an operator or the end of the answer")

    # -- building nodes ---------------------------------------------------------------------
    def build(self, pos: int, what: str, fn, *args) -> sp.Expr:
        try:
            node = fn(*args)
        except Exception as exc:  # noqa: BLE001 - any SymPy failure is bad input, said plainly
            self.fail(pos, f"cannot form {what}: {type(exc).__name__}")
        if _is_condition(node):
            return node
        if node.has(sp.zoo, sp.nan):
            self.fail(pos, f"{what} is undefined here (division by zero, log(0), oo - oo, ...)")
        if node.is_number and node not in (sp.oo, -sp.oo) and magnitude(node) > MAX_CONSTANT:
            self.fail(pos, f"{what} gives a constant beyond 1e100 in size; not accepted")
        if isinstance(node, sp.Pow) and node.exp.is_number:
            if magnitude(node.exp) > MAX_COMBINED_EXPONENT:
                self.fail(pos, f"{what} makes an exponent above {MAX_COMBINED_EXPONENT}")
        return node

    def value(self, node, pos: int):
        """A comparison used as a number: 1 where it holds, 0 elsewhere."""
        if _is_condition(node):
            return self.build(pos, "the comparison", _where, node, sp.S.One, sp.S.Zero)
        return node

    # -- grammar ----------------------------------------------------------------------------
    def compare(self):
        left = self.sum()
        if self.peek().kind == "cmp":
            op = self.next()
            right = self.sum()
            if any(_is_condition(v) or v.has(sp.Piecewise) for v in (left, right)):
                # SymPy would fold the cases into the condition and solve it as a set
                # (an unbounded simplify): compare plain expressions only
                self.fail(
                    op.pos, "the sides of a comparison cannot hold where(...) or another comparison"
                )
            node = self.build(op.pos, f"the comparison {op.value}", _COMPARE[op.value], left, right)
            if self.peek().kind == "cmp":
                self.fail(self.peek().pos, "chained comparisons are not supported; use where")
            return node
        return left

    def expr(self) -> sp.Expr:
        pos = self.peek().pos
        return self.value(self.compare(), pos)

    def sum(self) -> sp.Expr:
        return self.chain(self.term, "+-")

    def term(self) -> sp.Expr:
        return self.chain(self.unary, "*/")

    def chain(self, operand, operators: str) -> sp.Expr:
        """Left-associative ``operand (op operand)*`` for the operators given."""
        pos = self.peek().pos
        node = operand()
        while self.peek().kind == "op" and self.peek().value in operators:
            op = self.next()
            what, combine = _BINARY[op.value]
            right_pos = self.peek().pos
            right = self.value(operand(), right_pos)
            node = self.build(op.pos, what, combine, self.value(node, pos), right)
        return node

    def unary(self) -> sp.Expr:
        tok = self.peek()
        if tok.kind == "op" and tok.value in "+-":
            self.next()
            operand = self.value(self.deeper(tok.pos, self.unary), tok.pos)
            if tok.value == "+":
                return operand
            return self.build(tok.pos, "the negation", operator.neg, operand)
        return self.power()

    def power(self) -> sp.Expr:
        pos = self.peek().pos
        base = self.atom()
        if self.peek().kind == "op" and self.peek().value == "^":
            op = self.next()
            exponent = self.value(self.deeper(op.pos, self.unary), op.pos)
            if exponent.is_number and magnitude(exponent) > MAX_EXPONENT:
                self.fail(op.pos, f"constant exponents are limited to |value| <= {MAX_EXPONENT}")
            return self.build(op.pos, "the power", power, self.value(base, pos), exponent)
        return base

    def atom(self) -> sp.Expr:
        tok = self.peek()
        if tok.kind == "num":
            self.next()
            return tok.value
        if tok.kind == "(":
            self.next()
            node = self.deeper(tok.pos, self.compare)
            self.close(tok)
            return node
        if tok.kind in ("name", "root"):
            return self.name()
        self.unexpected(tok, "a number, a name or '('")

    def close(self, opening: Token):
        if self.peek().kind == ")":
            self.next()
        elif self.peek().kind == "end":
            self.fail(opening.pos, "this '(' is never closed")
        else:
            self.unexpected(self.peek(), "')'")

    def name(self) -> sp.Expr:
        tok = self.next()
        name = tok.value
        if tok.kind == "root" and name in self.variables:
            return sp.sqrt(self.variables[name])
        if tok.kind == "name" and name in self.variables:
            return self.variables[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if tok.kind == "root" or name not in FUNCTIONS:
            self.unknown(tok)
        fn, fewest, most = FUNCTIONS[name]
        if self.peek().kind != "(":
            self.fail(tok.pos, f"{name} is a function: write {name}(...)")
        opening = self.next()

        def arguments():
            args = [self.compare()]
            while self.peek().kind == ",":
                self.next()
                args.append(self.compare())
            return args

        args = self.deeper(opening.pos, arguments)
        self.close(opening)
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = f"{fewest}" if fewest == most else f"{fewest} to {most}"
            wanted = f"at least {fewest}" if most is None else wanted
            plural = "" if wanted == "1" else "s"
            self.fail(tok.pos, f"{name} takes {wanted} argument{plural}, got {len(args)}")
        if name == "where":
            if not _is_condition(args[0]):
                self.fail(tok.pos, "the first argument of where is a comparison, e.g. x < 0")
            args = [args[0], *(self.value(a, tok.pos) for a in args[1:])]
        else:
            args = [self.value(a, tok.pos) for a in args]
        if most is None:
            self.minmax_arguments += len(args)
            if self.minmax_arguments > MAX_MINMAX_ARGUMENTS:
                self.fail(tok.pos, f"at most {MAX_MINMAX_ARGUMENTS} max/min arguments in all")
        return self.build(tok.pos, f"{name}(...)", fn, *args)

    def unknown(self, tok: Token):
        name = tok.text or tok.value
        known = [*self.variables, *FUNCTIONS, *CONSTANTS]
        close = difflib.get_close_matches(str(tok.value), known, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        variables = ", ".join(self.variables) or "none"
        self.fail(
            tok.pos,
            f"unknown name {name!r}; {hint}allowed: variables ({variables}), functions "
            f"({', '.join(FUNCTIONS)}), constants ({', '.join(CONSTANTS)})",
        )


def symbols(variables, assumptions=None) -> dict[str, sp.Symbol]:
    """The SymPy symbol of each variable name; real unless ``assumptions[name]`` says more.

    >>> symbols(("x", "d"), {"d": {"integer": True, "positive": True}})["d"].is_integer
    True
    """
    if isinstance(variables, str):
        variables = (variables,)
    if not isinstance(variables, tuple | list):
        raise TypeError(f"variables: a tuple of names is required, got {type(variables).__name__}")
    out = {}
    for name in variables:
        if not (
            isinstance(name, str)
            and name
            and name[0].isascii()
            and name[0].isalpha()
            and all(c.isascii() and (c.isalnum() or c == "_") for c in name)
            and "__" not in name
            and not name.endswith("_")
        ):
            raise ValueError(f"variables: {name!r} is not a name of letters, digits and '_'")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ValueError(f"variables: {name!r} is a reserved function or constant name")
        out[name] = sp.Symbol(name, **{"real": True, **((assumptions or {}).get(name, {}))})
    return out


def _finish(parser: Parser, node: sp.Expr) -> sp.Expr:
    for sub in sp.preorder_traversal(node):
        if isinstance(sub, sp.Pow) and sub.exp.is_number:
            if magnitude(sub.exp) > MAX_COMBINED_EXPONENT:
                parser.fail(None, f"the answer makes an exponent above {MAX_COMBINED_EXPONENT}")
    return node


def parse_expression(text: str, variables=("x",), *, assumptions=None) -> sp.Expr:
    """Read ``text`` as a SymPy expression in ``variables`` (real symbols), safely.

    Allowed: decimal numbers (``2``, ``0.5``, ``1e-3``; at most 1e6), the variables (with
    the aliases of :data:`verify.answers.tokens.ALIASES`: ``sigma_w^2`` is ``sw2``), ``+ -
    * / ^ **``, comparisons ``< <= > >= == !=``, parentheses, and the names of
    :data:`FUNCTIONS` and :data:`CONSTANTS`. Anything else is a ``ValueError`` naming the
    position; the error's ``position`` attribute holds the 0-based index.

    >>> parse_expression("1 - tanh(x)^2")
    1 - tanh(x)**2
    >>> parse_expression("sigma(x)*(1 - σ(x))")
    (1 - sigmoid(x))*sigmoid(x)
    >>> parse_expression("d*sigma_eps^2/sigma_w^2", ("d", "sw2", "se2"))
    d*se2/sw2
    >>> parse_expression("2x")
    Traceback (most recent call last):
    ...
    ValueError: text: missing operator before 'x': implicit multiplication ... (at position 2)
    >>> parse_expression("9^9^9^9")
    Traceback (most recent call last):
    ...
    ValueError: text: constant exponents are limited to |value| <= 100 (at position 4)
    """
    named = symbols(variables, assumptions)
    tokens = tokenize(text)
    parser = Parser(text, tokens, named)
    node = parser.expr()
    parser.end()
    return _finish(parser, node)
