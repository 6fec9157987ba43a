"""The typed forms besides a plain expression: intervals, numbers, lists, matrices, tables.

Each reader uses the same tokenizer and expression parser (:mod:`verify.answers.parsing`)
for every entry, so what is safe and bounded for an expression is safe and bounded here.

=============  ==========================  =====================================
answer kind    typed as                    read as
=============  ==========================  =====================================
expression     ``1 - tanh(x)^2``           a SymPy expression in the variables
function       ``sqrt(6/(fan_in+fan_out))`` the same, in the named arguments
number         ``1/2``, ``0.01``           a constant SymPy expression
interval       ``[0, oo)``, ``R``          a SymPy ``Interval``
sequence       ``[0.5, 0.25, 0.125]``      a tuple of constants
distribution   ``{3: 0.25, 4: 0.75}``      a dict outcome -> probability
matrix         ``[[a, b], [c, d]]``        a SymPy ``Matrix`` of expressions
=============  ==========================  =====================================

>>> parse_answer("{3: 1/4, 4: 0.75}", "distribution")
{3: 1/4, 4: 3/4}
>>> parse_answer("[1, 1/2]", "sequence")
(1, 1/2)
"""

from __future__ import annotations

import sympy as sp

from verify.answers.parsing import Parser, _finish, parse_expression, symbols
from verify.answers.tokens import refuse, tokenize

#: Ways of writing the whole real line.
_REAL_LINE = ("R", "ℝ", "reals")
#: Most items of a sequence, entries of a distribution, or rows and columns of a matrix.
MAX_ITEMS = 200


def _constant(parser: Parser):
    pos = parser.peek().pos
    node = _finish(parser, parser.deeper(pos, parser.expr))
    return node, pos


def parse_interval(text: str) -> sp.Interval:
    """Read a range such as ``[0, oo)`` as a SymPy ``Interval``; brackets say closed ends.

    Endpoints are constant expressions (``-inf``, ``1/2``, ``sqrt(2)``); ``R`` (or ``ℝ``) is
    the whole real line. An infinite end is always open, whatever bracket is written.

    >>> parse_interval("[0, oo)")
    Interval(0, oo)
    >>> parse_interval("(-1, 1)")
    Interval.open(-1, 1)
    >>> parse_interval("R") == parse_interval("(-inf, inf)")
    True
    >>> parse_interval("(1, 0)")
    Traceback (most recent call last):
    ...
    ValueError: text: the lower end must be below the upper end (at position 1)
    """
    tokens = tokenize(text, brackets=True)
    if text.strip() in _REAL_LINE:
        return sp.Interval(-sp.oo, sp.oo)
    parser = Parser(text, tokens, {})
    opening = parser.peek()
    if opening.kind not in ("(", "["):
        parser.fail(opening.pos, "an interval starts with '(' or '[', e.g. [0, oo) or (-1, 1)")
    parser.next()
    low, low_pos = _constant(parser)
    parser.expect(",", "',' between the two ends")
    high, high_pos = _constant(parser)
    closing = parser.peek()
    if closing.kind not in (")", "]"):
        parser.unexpected(closing, "')' or ']' to end the interval")
    parser.next()
    if parser.peek().kind != "end":
        parser.fail(parser.peek().pos, "nothing may follow the closing bracket of the interval")
    for end, pos in ((low, low_pos), (high, high_pos)):
        if end.is_extended_real is not True:
            parser.fail(pos, f"the end {end} is not a real number or +-oo")
    if (low < high) is not sp.true:
        parser.fail(opening.pos, "the lower end must be below the upper end")
    return sp.Interval(low, high, opening.kind == "(", closing.kind == ")")


def parse_number(text: str) -> sp.Expr:
    """Read a real constant (``1/2``, ``sqrt(2)/2``, ``0.01``).

    >>> parse_number("sqrt(8)/2")
    sqrt(2)
    >>> parse_number("x")
    Traceback (most recent call last):
    ...
    ValueError: text: unknown name 'x'; allowed: variables (none), ... (at position 1)
    """
    return _real(parse_expression(text, ()), text)


def _real(value, text, pos=None):
    if not isinstance(value, sp.Expr) or value.is_extended_real is not True:
        raise refuse(f"{value} is not a real number", pos, text)
    return value


def _items(parser: Parser, opening: str, closing: str, read):
    """``opening item ("," item)* closing`` with ``read(parser)`` for each item."""
    first = parser.peek()
    if first.kind != opening:
        parser.fail(first.pos, f"this answer starts with '{opening}'")
    parser.next()
    items = []
    while True:
        items.append(read(parser))
        if len(items) > MAX_ITEMS:
            parser.fail(parser.peek().pos, f"at most {MAX_ITEMS} items are accepted")
        if parser.peek().kind == ",":
            parser.next()
            continue
        if parser.peek().kind == closing:
            parser.next()
            return items
        parser.unexpected(parser.peek(), f"',' or '{closing}'")


def parse_sequence(text: str) -> tuple:
    """Read ``[a, b, …]``: one real constant per item (per layer, per step), in order.

    >>> parse_sequence("[1, 0.5, sqrt(2)]")
    (1, 1/2, sqrt(2))
    """
    parser = Parser(text, tokenize(text, brackets=True), {})

    def item(p: Parser):
        value, pos = _constant(p)
        return _real(value, text, pos)

    items = _items(parser, "[", "]", item)
    parser.end()
    return tuple(items)


def parse_distribution(text: str) -> dict:
    """Read ``{outcome: probability, …}``; outcomes are integers, probabilities constants.

    >>> parse_distribution("{3: 0.25, 4: 3/4}")
    {3: 1/4, 4: 3/4}
    >>> parse_distribution("{3: 0.5, 3: 0.5}")
    Traceback (most recent call last):
    ...
    ValueError: text: outcome 3 is given twice (at position 10)
    """
    parser = Parser(text, tokenize(text, brackets=True), {})
    out: dict = {}

    def entry(p: Parser):
        key, key_pos = _constant(p)
        if not key.is_Integer:
            p.fail(key_pos, f"an outcome is an integer (a layer, a count), got {key}")
        p.expect(":", "':' between an outcome and its probability")
        prob, prob_pos = _constant(p)
        _real(prob, text, prob_pos)
        if (prob >= 0) is not sp.true or (prob <= 1) is not sp.true:
            p.fail(prob_pos, f"a probability lies in [0, 1], got {prob}")
        if int(key) in out:
            p.fail(key_pos, f"outcome {int(key)} is given twice")
        out[int(key)] = prob

    _items(parser, "{", "}", entry)
    parser.end()
    return out


def parse_matrix(text: str, variables=(), *, assumptions=None) -> sp.Matrix:
    """Read ``[[a, b], [c, d]]``: rows of expressions in ``variables``, all of one length.

    >>> parse_matrix("[[z1, 0], [0, z2]]", ("z1", "z2"))
    Matrix([
    [z1,  0],
    [ 0, z2]])
    """
    parser = Parser(text, tokenize(text, brackets=True), symbols(variables, assumptions))

    def row(p: Parser):
        pos = p.peek().pos
        return pos, _items(p, "[", "]", lambda q: _constant(q)[0])

    rows = _items(parser, "[", "]", row)
    parser.end()
    if any(len(r) != len(rows[0][1]) for _, r in rows):
        pos = next(pos for pos, r in rows if len(r) != len(rows[0][1]))
        parser.fail(pos, f"every row needs {len(rows[0][1])} entries, as the first one has")
    return sp.Matrix([r for _, r in rows])


def parse_answer(text: str, kind: str, variables=(), *, assumptions=None):
    """Read ``text`` as an answer of ``kind`` (one of the typed kinds of a claim).

    >>> parse_answer("[0, oo)", "interval")
    Interval(0, oo)
    """
    readers = {
        "expression": lambda: parse_expression(text, variables, assumptions=assumptions),
        "function": lambda: parse_expression(text, variables, assumptions=assumptions),
        "number": lambda: parse_number(text),
        "interval": lambda: parse_interval(text),
        "sequence": lambda: parse_sequence(text),
        "distribution": lambda: parse_distribution(text),
        "matrix": lambda: parse_matrix(text, variables, assumptions=assumptions),
    }
    if kind not in readers:
        raise ValueError(f"kind: {kind!r} cannot be typed; typed kinds: {', '.join(readers)}")
    return readers[kind]()
