"""Safe reading of a person's answer, and checking it against a claim.

A student types ``exp(x)/(1+exp(x))^2``. :func:`parse_expression` reads it with a small
hand-written tokenizer and a recursive-descent parser that builds the SymPy expression node
by node. The text is never handed to ``eval``, ``exec``, ``compile``, ``sympify`` or
``parse_expr``: only whitelisted names become SymPy objects, and anything else (attribute
access, underscores, brackets, quotes, unknown names) is a ``ValueError`` that points at the
offending character. Limits on length, nesting, literal size and constant exponents keep
SymPy from being asked to build a number it cannot hold, so parsing always ends quickly.

Grammar (``^`` and ``**`` are the same right-associative power, ``-x^2`` is ``-(x^2)``)::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom (("^" | "**") unary)?
    atom   := NUMBER | CONSTANT | VARIABLE | "(" expr ")" | FUNCTION "(" expr ("," expr)* ")"

Decimal literals are read exactly (``0.5`` is ``1/2``), so answers compare without rounding.

>>> parse_expression("exp(x)/(1 + exp(x))^2")
exp(x)/(exp(x) + 1)**2
>>> parse_expression("x.__class__")
Traceback (most recent call last):
...
ValueError: text: '.' is only allowed inside a number ... (no attribute access) (at position 2)
"""

from __future__ import annotations

import difflib
import math
import operator
import string
import sys
from dataclasses import replace
from typing import NamedTuple

import sympy as sp

from derivations.functions import Phi, sigmoid
from verify import claims
from verify.claims import Evidence

#: Longest answer accepted, in characters.
MAX_LENGTH = 300
#: Deepest nesting of parentheses, signs and exponents.
MAX_DEPTH = 40
#: Largest number literal accepted (``1e6`` is fine, ``1000001`` is not).
MAX_LITERAL = 10**6
#: Largest |exponent| written as a constant (``x^100`` is fine, ``x^101`` is not).
MAX_EXPONENT = 100
#: Largest |exponent| SymPy may form by combining powers, e.g. ``(x^100)^100``.
MAX_COMBINED_EXPONENT = 10**4
#: Largest |value| of a constant sub-expression; bounds every number SymPy builds.
MAX_CONSTANT = 1e100
#: Most arguments of max/min in one answer: SymPy compares them pairwise as it builds them.
MAX_MINMAX_ARGUMENTS = 16

#: name -> (SymPy function, fewest arguments, most arguments or None for any number).
FUNCTIONS = {
    "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 1),
    "ln": (sp.log, 1, 1),
    "sqrt": (sp.sqrt, 1, 1),
    "tanh": (sp.tanh, 1, 1),
    "sinh": (sp.sinh, 1, 1),
    "cosh": (sp.cosh, 1, 1),
    "sech": (sp.sech, 1, 1),
    "sigmoid": (sigmoid, 1, 1),
    "sigma": (sigmoid, 1, 1),
    "erf": (sp.erf, 1, 1),
    "Phi": (Phi, 1, 1),
    "abs": (sp.Abs, 1, 1),
    "max": (sp.Max, 2, None),
    "min": (sp.Min, 2, None),
}
CONSTANTS = {"pi": sp.pi, "e": sp.E, "E": sp.E, "oo": sp.oo, "inf": sp.oo}
#: Single characters read as names.
_SYMBOL_NAMES = {"σ": "sigma", "Φ": "Phi", "π": "pi", "∞": "oo"}
#: Characters read as operators; "−" (U+2212) and "×", "·" are what copy-paste brings.
_OPERATORS = {"+": "+", "-": "-", "−": "-", "*": "*", "×": "*", "·": "*", "/": "/", "^": "^"}
_DIGITS = "0123456789"
_NAME_START = string.ascii_letters
_NAME_CHARS = string.ascii_letters + _DIGITS
_REFUSED = {
    "_": "'_' is not allowed: names are letters and digits only (no private or dunder names)",
    ".": "'.' is only allowed inside a number such as 0.5 (no attribute access)",
    "[": "brackets [ ] are not allowed; use ( ) to group",
    "]": "brackets [ ] are not allowed; use ( ) to group",
    "{": "braces { } are not allowed; use ( ) to group",
    "}": "braces { } are not allowed; use ( ) to group",
    "'": "quotes are not allowed: type the expression itself, not a string",
    '"': "quotes are not allowed: type the expression itself, not a string",
    "`": "backquotes are not allowed: type the expression itself",
    "\\": "backslashes are not allowed",
    ";": "';' is not allowed: give a single expression",
    "=": "'=' is not allowed: give the expression only, e.g. 2*x rather than y = 2*x",
}
_ALLOWED = "numbers, names, + - * / ^ ** ( ) and ,"
_BINARY = {
    "+": ("the sum", operator.add),
    "-": ("the difference", operator.sub),
    "*": ("the product", operator.mul),
    "/": ("the quotient", operator.truediv),
}


def _refuse(message: str, position: int | None = None, text: str = "") -> ValueError:
    """The ``ValueError`` for unreadable text; it carries ``position`` (0-based, or ``None``
    when the text as a whole is refused) and ``text`` so a caller can point at the spot."""
    where = "" if position is None else f" (at position {position + 1})"
    error = ValueError(f"text: {message}{where}")
    error.position, error.text = position, text
    return error


class _Token(NamedTuple):
    kind: str  # "num", "name", "op", "(", ")", "[", "]", ",", "end"
    value: object
    pos: int
    text: str = ""


def _check_text(text) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text: a string is required, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise _refuse(f"at most {MAX_LENGTH} characters are accepted, got {len(text)}")
    if not text.strip():
        raise _refuse("the answer is empty; type an expression such as 2*x", None, text)
    return text


def _tokenize(text: str, *, brackets: bool = False) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        after_value = bool(tokens) and tokens[-1].kind in ("num", "name", ")")
        if c.isspace():
            i += 1
        elif c in _DIGITS or (
            c == "." and i + 1 < n and text[i + 1] in _DIGITS and not after_value
        ):
            value, j = _number(text, i)
            tokens.append(_Token("num", value, i, text[i:j]))
            i = j
        elif c in _NAME_START:
            j = i + 1
            while j < n and text[j] in _NAME_CHARS:
                j += 1
            tokens.append(_Token("name", text[i:j], i))
            i = j
        elif c in _SYMBOL_NAMES:
            tokens.append(_Token("name", _SYMBOL_NAMES[c], i))
            i += 1
        elif c == "*" and text[i + 1 : i + 2] == "*":
            tokens.append(_Token("op", "^", i))
            i += 2
        elif c in _OPERATORS:
            tokens.append(_Token("op", _OPERATORS[c], i))
            i += 1
        elif c in "(),":
            tokens.append(_Token(c, c, i))
            i += 1
        elif brackets and c in "[]":
            tokens.append(_Token(c, c, i))
            i += 1
        else:
            reason = _REFUSED.get(c, f"character {c!r} is not allowed; use {_ALLOWED}")
            raise _refuse(reason, i, text)
    tokens.append(_Token("end", None, n))
    return tokens


def _number(text: str, i: int) -> tuple[sp.Rational, int]:
    """Read a decimal literal exactly; refuse one whose size could strain SymPy."""
    start, n = i, len(text)
    while i < n and text[i] in _DIGITS:
        i += 1
    whole, frac = text[start:i], ""
    if i < n and text[i] == ".":
        j = i + 1
        while j < n and text[j] in _DIGITS:
            j += 1
        frac, i = text[i + 1 : j], j
    power = 0
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            k = j
            while k < n and text[k] in _DIGITS:
                k += 1
            power = int(text[j:k]) * (-1 if text[j - 1] == "-" else 1)
            i = k
    literal = text[start:i]
    if abs(power) > 400:
        raise _refuse(f"the exponent of {literal} is too large", start, text)
    scale = power - len(frac)
    value = sp.Rational(int(whole + frac or "0") * 10 ** max(scale, 0), 10 ** max(-scale, 0))
    if value > MAX_LITERAL:
        raise _refuse(f"numbers above 1e6 are not accepted, got {literal}", start, text)
    return value, i


def _magnitude(value: sp.Expr) -> float:
    """|value| of a constant as a float (``inf`` when huge or not a number)."""
    if value in (sp.oo, sp.S.NegativeInfinity):
        return math.inf
    try:
        re, im = value.evalf(15).as_real_imag()
        return math.hypot(float(re), float(im))
    except (TypeError, ValueError, ArithmeticError):
        return math.inf


class _Parser:
    def __init__(self, text: str, tokens: list[_Token], variables: dict[str, sp.Symbol]):
        self.text, self.tokens, self.variables = text, tokens, variables
        self.i = 0
        self.depth = 0
        self.minmax_arguments = 0

    # -- reading tokens ---------------------------------------------------------------------
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def next(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, pos: int | None, message: str):
        raise _refuse(message, pos, self.text)

    def expect(self, kind: str, what: str) -> _Token:
        if self.peek().kind != kind:
            self.unexpected(self.peek(), what)
        return self.next()

    def unexpected(self, tok: _Token, expected: str):
        if tok.kind == "end":
            self.fail(tok.pos, f"the answer ends too early; expected {expected}")
        if tok.kind in ("num", "name", "(") and self.i > 0:
            prev = self.tokens[self.i - 1]
            if prev.kind in ("num", "name", ")"):
                self.fail(
                    tok.pos,
                    f"missing operator before {self.shown(tok)}: implicit multiplication is "
                    "not supported; write 2*x or x*(1 + x)",
                )
        self.fail(tok.pos, f"unexpected {self.shown(tok)}; expected {expected}")

    def shown(self, tok: _Token) -> str:
        if tok.kind == "num":
            return f"number {tok.text}"
        return repr(tok.value)

    def deeper(self, pos: int, parse):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(pos, f"nesting deeper than {MAX_DEPTH} levels is not accepted")
        value = parse()
        self.depth -= 1
        return value

    # -- building nodes ---------------------------------------------------------------------
    def build(self, pos: int, what: str, fn, *args) -> sp.Expr:
        try:
            node = fn(*args)
        except Exception as exc:  # noqa: BLE001 - any SymPy failure is bad input, said plainly
            self.fail(pos, f"cannot form {what}: {type(exc).__name__}: {exc}")
        if node.has(sp.zoo, sp.nan):
            self.fail(pos, f"{what} is undefined here (division by zero, log(0), oo - oo, ...)")
        if node.is_number and _magnitude(node) > MAX_CONSTANT and node not in (sp.oo, -sp.oo):
            self.fail(pos, f"{what} gives a constant beyond 1e100 in size; not accepted")
        if isinstance(node, sp.Pow) and node.exp.is_number:
            if _magnitude(node.exp) > MAX_COMBINED_EXPONENT:
                self.fail(pos, f"{what} makes an exponent above {MAX_COMBINED_EXPONENT}")
        return node

    # -- grammar ----------------------------------------------------------------------------
    def expr(self) -> sp.Expr:
        return self.chain(self.term, "+-")

    def term(self) -> sp.Expr:
        return self.chain(self.unary, "*/")

    def chain(self, operand, operators: str) -> sp.Expr:
        """Left-associative ``operand (op operand)*`` for the operators given."""
        node = operand()
        while self.peek().kind == "op" and self.peek().value in operators:
            op = self.next()
            what, combine = _BINARY[op.value]
            node = self.build(op.pos, what, combine, node, operand())
        return node

    def unary(self) -> sp.Expr:
        tok = self.peek()
        if tok.kind == "op" and tok.value in "+-":
            self.next()
            operand = self.deeper(tok.pos, self.unary)
            if tok.value == "+":
                return operand
            return self.build(tok.pos, "the negation", operator.neg, operand)
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if self.peek().kind == "op" and self.peek().value == "^":
            op = self.next()
            exponent = self.deeper(op.pos, self.unary)
            if exponent.is_number and _magnitude(exponent) > MAX_EXPONENT:
                self.fail(op.pos, f"constant exponents are limited to |value| <= {MAX_EXPONENT}")
            return self.build(op.pos, "the power", sp.Pow, base, exponent)
        return base

    def atom(self) -> sp.Expr:
        tok = self.peek()
        if tok.kind == "num":
            self.next()
            return tok.value
        if tok.kind == "(":
            self.next()
            node = self.deeper(tok.pos, self.expr)
            self.close(tok)
            return node
        if tok.kind == "name":
            return self.name()
        self.unexpected(tok, "a number, a name or '('")

    def close(self, opening: _Token):
        if self.peek().kind == ")":
            self.next()
        elif self.peek().kind == "end":
            self.fail(opening.pos, "this '(' is never closed")
        else:
            self.unexpected(self.peek(), "')'")

    def name(self) -> sp.Expr:
        tok = self.next()
        name = tok.value
        if name in self.variables:
            return self.variables[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name not in FUNCTIONS:
            known = [*self.variables, *FUNCTIONS, *CONSTANTS]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            variables = ", ".join(self.variables) or "none"
            self.fail(
                tok.pos,
                f"unknown name {name!r}; {hint}allowed: variables ({variables}), functions "
                f"({', '.join(FUNCTIONS)}), constants ({', '.join(CONSTANTS)})",
            )
        fn, fewest, most = FUNCTIONS[name]
        if self.peek().kind != "(":
            self.fail(tok.pos, f"{name} is a function: write {name}(...)")
        opening = self.next()

        def arguments():
            args = [self.expr()]
            while self.peek().kind == ",":
                self.next()
                args.append(self.expr())
            return args

        args = self.deeper(opening.pos, arguments)
        self.close(opening)
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = f"{fewest}" if fewest == most else f"at least {fewest}"
            plural = "" if wanted == "1" else "s"
            self.fail(tok.pos, f"{name} takes {wanted} argument{plural}, got {len(args)}")
        if most is None:
            self.minmax_arguments += len(args)
            if self.minmax_arguments > MAX_MINMAX_ARGUMENTS:
                self.fail(tok.pos, f"at most {MAX_MINMAX_ARGUMENTS} max/min arguments in all")
        return self.build(tok.pos, f"{name}(...)", fn, *args)


def _symbols(variables) -> dict[str, sp.Symbol]:
    if isinstance(variables, str):
        variables = (variables,)
    if not isinstance(variables, tuple | list):
        raise TypeError(f"variables: a tuple of names is required, got {type(variables).__name__}")
    out = {}
    for name in variables:
        if not (
            isinstance(name, str)
            and name
            and name[0] in _NAME_START
            and all(c in _NAME_CHARS for c in name)
        ):
            raise ValueError(f"variables: {name!r} is not a name of letters and digits")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ValueError(f"variables: {name!r} is a reserved function or constant name")
        out[name] = sp.Symbol(name, real=True)
    return out


def _finish(parser: _Parser, node: sp.Expr) -> sp.Expr:
    for sub in sp.preorder_traversal(node):
        if isinstance(sub, sp.Pow) and sub.exp.is_number:
            if _magnitude(sub.exp) > MAX_COMBINED_EXPONENT:
                parser.fail(None, f"the answer makes an exponent above {MAX_COMBINED_EXPONENT}")
    return node


def parse_expression(text: str, variables=("x",)) -> sp.Expr:
    """Read ``text`` as a SymPy expression in ``variables`` (real symbols), safely.

    Allowed: decimal numbers (``2``, ``0.5``, ``1e-3``; at most 1e6), the variables, ``+ -
    * / ^ **``, parentheses, and the names ``exp log ln sqrt tanh sinh cosh sech sigmoid
    sigma σ erf Phi Φ abs max min pi π e E oo inf ∞``. Anything else is a ``ValueError``
    naming the position; the error's ``position`` attribute holds the 0-based index.

    >>> parse_expression("1 - tanh(x)^2")
    1 - tanh(x)**2
    >>> parse_expression("x**2") == sp.Symbol("x", real=True) ** 2
    True
    >>> parse_expression("sigma(x)*(1 - σ(x))")
    (1 - sigmoid(x))*sigmoid(x)
    >>> parse_expression("max(0, z) + 0.5", variables=("z",))
    Max(0, z) + 1/2
    >>> parse_expression("2x")
    Traceback (most recent call last):
    ...
    ValueError: text: missing operator before 'x': implicit multiplication ... (at position 2)
    >>> parse_expression("9^9^9^9")
    Traceback (most recent call last):
    ...
    ValueError: text: constant exponents are limited to |value| <= 100 (at position 4)
    """
    text = _check_text(text)
    symbols = _symbols(variables)
    parser = _Parser(text, _tokenize(text), symbols)
    node = parser.expr()
    if parser.peek().kind != "end":
        parser.unexpected(parser.peek(), "an operator or the end of the answer")
    return _finish(parser, node)


#: Ways of writing the whole real line.
_REAL_LINE = ("R", "ℝ", "reals")


def parse_interval(text: str) -> sp.Interval:
    """Read a range such as ``[0, oo)`` as a SymPy ``Interval``; brackets say closed ends.

    Endpoints are constant expressions read like :func:`parse_expression` (``-inf``,
    ``1/2``, ``sqrt(2)``); ``R`` (or ``ℝ``) is the whole real line. An infinite end is
    always open, whatever bracket is written.

    >>> parse_interval("[0, oo)")
    Interval(0, oo)
    >>> parse_interval("(-1, 1)")
    Interval.open(-1, 1)
    >>> parse_interval("[-0.5, 2]")
    Interval(-1/2, 2)
    >>> parse_interval("R") == parse_interval("(-inf, inf)")
    True
    >>> parse_interval("(1, 0)")
    Traceback (most recent call last):
    ...
    ValueError: text: the lower end must be below the upper end (at position 1)
    """
    text = _check_text(text)
    if text.strip() in _REAL_LINE:
        return sp.Interval(-sp.oo, sp.oo)
    parser = _Parser(text, _tokenize(text, brackets=True), {})
    opening = parser.peek()
    if opening.kind not in ("(", "["):
        parser.fail(opening.pos, "an interval starts with '(' or '[', e.g. [0, oo) or (-1, 1)")
    parser.next()
    low = _finish(parser, parser.deeper(opening.pos, parser.expr))
    parser.expect(",", "',' between the two ends")
    high_pos = parser.peek().pos
    high = _finish(parser, parser.deeper(high_pos, parser.expr))
    closing = parser.peek()
    if closing.kind not in (")", "]"):
        parser.unexpected(closing, "')' or ']' to end the interval")
    parser.next()
    if parser.peek().kind != "end":
        parser.fail(parser.peek().pos, "nothing may follow the closing bracket of the interval")
    for end, pos in ((low, opening.pos), (high, high_pos)):
        if end.is_extended_real is not True:
            parser.fail(pos, f"the end {end} is not a real number or +-oo")
    if (low < high) is not sp.true:
        parser.fail(opening.pos, "the lower end must be below the upper end")
    return sp.Interval(low, high, opening.kind == "(", closing.kind == ")")


#: How each kind of claim answer is read from text.
_READERS = {
    "expression": lambda text, claim: parse_expression(text, claim.variables),
    "interval": lambda text, claim: parse_interval(text),
    "number": lambda text, claim: parse_expression(text, ()),
}


def check_answer(claim_id: str, text: str, *, seed: int = 0) -> Evidence:
    """Check a person's answer (text) against a claim; the message reads as a verdict.

    The text is read according to the claim's ``answer`` kind (expression, interval or
    number) and handed to ``claim.check`` as the candidate. The message starts with
    ``equivalent`` when the answer passes; otherwise it shows where it differs.

    >>> print(check_answer("activations.sigmoid.derivative", "exp(x)/(1 + exp(x))^2").message)
    equivalent: agrees with autograd ...
    >>> print(check_answer("activations.sigmoid.derivative", "sigmoid(x)^2").message)
    not equivalent: at x = ... your answer gives ..., the reference gives ...
    """
    claim = claims.get(claim_id)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: a non-negative integer is required, got {seed!r}")
    reader = _READERS.get(claim.answer)
    if reader is None:
        raise ValueError(
            f"claim_id: {claim.id!r} takes a {claim.answer} answer, which cannot be typed as "
            f"text; check-answer reads {', '.join(_READERS)} answers"
        )
    candidate = reader(text, claim)
    try:
        evidence = claim.check(candidate, seed=seed)
    except Exception as exc:  # noqa: BLE001 - reported as a failed check, as verify.run does
        evidence = Evidence(
            claim.id,
            claim.method,
            False,
            seed=seed,
            message=f"could not check the answer: {type(exc).__name__}: {exc}",
        )
    details = {**evidence.details, "answer": text, "parsed": _shown(candidate)}
    return replace(evidence, message=_verdict(evidence, claim), details=details)


def _verdict(evidence: Evidence, claim) -> str:
    said = evidence.message.strip()
    if evidence.passed:
        return said if said.startswith("equivalent") else _joined("equivalent", said)
    d = evidence.details
    if all(k in d for k in ("point", "candidate_value", "reference_value")):
        return (
            f"not equivalent: at {_point(d['point'], claim.variables)} your answer gives "
            f"{_value(d['candidate_value'])}, the reference gives {_value(d['reference_value'])}"
        )
    return said if said.startswith("not equivalent") else _joined("not equivalent", said)


def _joined(verdict: str, reason: str) -> str:
    return f"{verdict}: {reason}" if reason else verdict


def _point(point, variables) -> str:
    if isinstance(point, dict):
        return ", ".join(f"{k} = {_value(v)}" for k, v in point.items())
    if isinstance(point, tuple | list) and len(point) == len(variables):
        return ", ".join(f"{k} = {_value(v)}" for k, v in zip(variables, point, strict=True))
    if len(variables) == 1:
        return f"{variables[0]} = {_value(point)}"
    return f"the point {_value(point)}"


def _shown(candidate) -> str:
    """How the parsed answer is echoed back: intervals in the bracket notation typed."""
    if isinstance(candidate, sp.Interval):
        left = "(" if candidate.left_open else "["
        right = ")" if candidate.right_open else "]"
        return f"{left}{sp.sstr(candidate.start)}, {sp.sstr(candidate.end)}{right}"
    return sp.sstr(candidate)


def _value(value) -> str:
    if isinstance(value, int | sp.Integer | sp.Rational):
        return str(value)
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError, OverflowError):
        return str(value)


USAGE = 'usage: python -m verify check-answer CLAIM_ID "EXPR" [--seed N]'


def main(argv=None) -> int:
    """``python -m verify check-answer CLAIM_ID "EXPR" [--seed N]``: print the verdict.

    Returns 0 when the answer is equivalent, 1 when it is not, 2 when the text cannot be
    read or the claim is unknown (the reason goes to stderr). A leading ``check-answer`` in
    ``argv`` is skipped, so both the subcommand's arguments and the full list work.

    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = main(["check-answer", "no.such.claim", "x"])
    >>> code, err.getvalue().startswith("error: claim_id: unknown claim 'no.such.claim'")
    (2, True)
    >>> main(["--help"])
    usage: python -m verify check-answer CLAIM_ID "EXPR" [--seed N]
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["check-answer"]:
        args = args[1:]
    positional, seed = [], "0"
    while args:
        arg = args.pop(0)
        if arg == "--":
            positional += args
            break
        if arg in ("-h", "--help"):
            print(USAGE)
            return 0
        if arg == "--seed" and args:
            seed = args.pop(0)
        elif arg.startswith("--seed="):
            seed = arg.split("=", 1)[1]
        elif arg.startswith("--"):
            return _usage_error(f"unknown option {arg}")
        else:
            positional.append(arg)  # "-x" is an answer, not an option
    if len(positional) != 2:
        return _usage_error(f"expected CLAIM_ID and EXPR, got {len(positional)} argument(s)")
    if not (seed.isascii() and seed.isdigit()):
        return _usage_error(f"--seed: a non-negative integer is required, got {seed!r}")
    claim_id, text = positional
    try:
        evidence = check_answer(claim_id, text, seed=int(seed))
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        position = getattr(exc, "position", None)
        if position is not None:
            shown = "".join(" " if c.isspace() else c for c in exc.text)
            print(f"  {shown}\n  {' ' * position}^", file=sys.stderr)
        return 2
    print(evidence.message)
    print(f"  claim:  {evidence.claim_id}")
    print(f"  answer: {evidence.details['parsed']}")
    facts = [f"method {evidence.method}"]
    if evidence.n is not None:
        facts.append(f"{evidence.n} points")
    if evidence.error is not None:
        facts.append(f"error {_value(evidence.error)}")
    if evidence.tolerance is not None:
        facts.append(f"tolerance {_value(evidence.tolerance)}")
    print("  (" + ", ".join(facts) + ")")
    return 0 if evidence.passed else 1


def _usage_error(message: str) -> int:
    print(f"error: {message}\n{USAGE}", file=sys.stderr)
    return 2
