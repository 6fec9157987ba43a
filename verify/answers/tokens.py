"""Cutting a typed answer into tokens, refusing what could be code or could not be shown.

The tokenizer is the first gate: text longer than :data:`MAX_LENGTH`, control characters
(which a terminal would obey if the text were echoed), quotes, attribute dots, dunder names
and every character outside the small alphabet of the grammar are refused here, each with
a ``ValueError`` that says where. A refused character is named by its code point, never
echoed, so an error message is safe to print.

>>> [t.value for t in tokenize("sigma_w^2 * x²")]
['sw2', '*', 'x', '^', 2, 'end']
>>> tokenize("x\\x1b[2J")
Traceback (most recent call last):
...
ValueError: text: control character U+001B is not allowed (at position 2)
"""

from __future__ import annotations

import string
import unicodedata
from typing import NamedTuple

import sympy as sp

#: Longest answer accepted, in characters.
MAX_LENGTH = 1000
#: Largest number literal accepted (``1e6`` is fine, ``1000001`` is not).
MAX_LITERAL = 10**6
#: Largest power of ten written in a literal's exponent (``1e-400`` is refused).
MAX_LITERAL_EXPONENT = 400

#: Letters a name may contain besides ASCII; each is read as the ASCII name after it.
GREEK = {
    "σ": "sigma",
    "Φ": "Phi",
    "π": "pi",
    "λ": "lambda",
    "μ": "mu",
    "ε": "eps",
    "ϵ": "eps",
}
#: Names that stand for one canonical variable, in the book's notation. A name ending in
#: ``^2`` is one symbol: ``sigma_w^2`` is the variance ``sw2``, not ``(sigma_w)^2``.
ALIASES = {
    "sigma_w^2": "sw2",
    "sigma_w2": "sw2",
    "sigma_eps^2": "se2",
    "sigma_epsilon^2": "se2",
    "sigma_varepsilon^2": "se2",
    "sigma_eps2": "se2",
    "lambda": "lam",
    "fanin": "fan_in",
    "fanout": "fan_out",
}
#: Standard deviations, written where a formula uses them: ``sigma_w`` is ``sqrt(sw2)``.
ROOT_ALIASES = {"sigma_w": "sw2", "sigma_eps": "se2", "sigma_epsilon": "se2"}

#: Characters read as operators; "−" (U+2212), "×" and "·" are what copy-paste brings.
_OPERATORS = {"+": "+", "-": "-", "−": "-", "*": "*", "×": "*", "·": "*", "/": "/", "^": "^"}
_COMPARISONS = ("<=", ">=", "==", "!=", "≤", "≥", "≠", "<", ">")
_CANONICAL_COMPARISON = {"≤": "<=", "≥": ">=", "≠": "!="}
_DIGITS = "0123456789"
_NAME_START = string.ascii_letters + "".join(GREEK)
_NAME_CHARS = _NAME_START + _DIGITS + "_"
_SUPERSCRIPTS = {"²": 2, "³": 3}
_REFUSED = {
    "_": "'_' only joins letters inside a name (fan_in); a name never starts with it",
    ".": "'.' is only allowed inside a number such as 0.5 (no attribute access)",
    "'": "quotes are not allowed: type the expression itself, not a string",
    '"': "quotes are not allowed: type the expression itself, not a string",
    "`": "backquotes are not allowed: type the expression itself",
    "\\": "backslashes are not allowed",
    ";": "';' is not allowed: give a single expression",
    "=": "'=' alone is not allowed: give the expression only (2*x, not y = 2*x); '==' compares",
    "!": "'!' is not allowed (no factorials); '!=' compares",
    "&": "'&' is not allowed; use where(...) for cases",
    "|": "'|' is not allowed; use abs(...) for the absolute value",
    "@": "'@' is not allowed",
    "$": "'$' is not allowed",
    "#": "'#' is not allowed",
    "%": "'%' is not allowed",
    "~": "'~' is not allowed",
    "?": "'?' is not allowed",
}
_ALLOWED = "numbers, names, + - * / ^ ** ( ) , and comparisons < <= > >= == !="


class Token(NamedTuple):
    """One token: ``kind`` is num, name, op, cmp, ( ) [ ] { } , : or end."""

    kind: str
    value: object
    pos: int
    text: str = ""


def refuse(message: str, position: int | None = None, text: str = "") -> ValueError:
    """The ``ValueError`` for unreadable text.

    It carries ``position`` (0-based, or ``None`` when the text as a whole is refused) and
    ``text`` so a caller can point at the spot.

    >>> refuse("no", 3).position
    3
    """
    where = "" if position is None else f" (at position {position + 1})"
    error = ValueError(f"text: {message}{where}")
    error.position, error.text = position, text
    return error


def check_text(text) -> str:
    """``text`` if it is a non-empty string of at most :data:`MAX_LENGTH` printable characters.

    >>> check_text("x + 1")
    'x + 1'
    >>> check_text("x\\x00")
    Traceback (most recent call last):
    ...
    ValueError: text: control character U+0000 is not allowed (at position 2)
    """
    if not isinstance(text, str):
        raise TypeError(f"text: a string is required, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise refuse(f"at most {MAX_LENGTH} characters are accepted, got {len(text)}")
    for i, c in enumerate(text):
        # Cc, Cf, Cs, Co, Cn: controls, invisible formatting, surrogates, private, unassigned
        if unicodedata.category(c).startswith("C") or c in "\u2028\u2029":
            raise refuse(f"control character U+{ord(c):04X} is not allowed", i, text)
    if not text.strip():
        raise refuse("the answer is empty; type an expression such as 2*x", None, text)
    return text


def printable(text: str) -> str:
    """``text`` with every non-printable character shown as ``?``: safe for a terminal.

    >>> printable("a\\x1b[2Jb")
    'a?[2Jb'
    """
    return "".join(c if c.isprintable() else "?" for c in str(text))


def tokenize(text: str, *, brackets: bool = False) -> list[Token]:
    """The tokens of ``text``; ``brackets`` also allows ``[ ] { } :`` (intervals, lists).

    >>> [t.kind for t in tokenize("where(x <= 0, 1, 2)")]
    ['name', '(', 'name', 'cmp', 'num', ',', 'num', ',', 'num', ')', 'end']
    """
    text = check_text(text)
    tokens: list[Token] = []
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
            tokens.append(Token("num", value, i, text[i:j]))
            i = j
        elif c in _NAME_START:
            i = _name(text, i, tokens)
        elif c in _SUPERSCRIPTS:
            tokens += [Token("op", "^", i), Token("num", sp.Integer(_SUPERSCRIPTS[c]), i, c)]
            i += 1
        elif c == "*" and text[i + 1 : i + 2] == "*":
            tokens.append(Token("op", "^", i))
            i += 2
        elif any(text.startswith(op, i) for op in _COMPARISONS):
            op = next(op for op in _COMPARISONS if text.startswith(op, i))
            tokens.append(Token("cmp", _CANONICAL_COMPARISON.get(op, op), i))
            i += len(op)
        elif c in _OPERATORS:
            tokens.append(Token("op", _OPERATORS[c], i))
            i += 1
        elif c in "(),":
            tokens.append(Token(c, c, i))
            i += 1
        elif brackets and c in "[]{}:":
            tokens.append(Token(c, c, i))
            i += 1
        elif c in "[]{}:":
            raise refuse(f"'{c}' is only allowed in an interval, a list or a distribution", i, text)
        else:
            reason = _REFUSED.get(c, f"character U+{ord(c):04X} is not allowed; use {_ALLOWED}")
            raise refuse(reason, i, text)
    tokens.append(Token("end", "end", n))
    return tokens


def _name(text: str, i: int, tokens: list[Token]) -> int:
    """Read a name at ``i`` (aliases resolved), append its token, return where it ends."""
    start, n = i, len(text)
    j = i + 1
    while j < n and text[j] in _NAME_CHARS:
        j += 1
    raw = text[start:j]
    name = "".join(GREEK.get(c, c) for c in raw)
    if name.startswith("_") or "__" in name or name.endswith("_"):
        raise refuse(f"'_' joins letters (fan_in); {raw!r} is not a name", start, text)
    # sigma_w^2, sigma_w**2 and sigma_w² are one symbol: look past the square for an alias
    for square in ("^2", "**2", "²"):
        k = j
        while k < n and text[k] == " ":
            k += 1
        if text.startswith(square, k) and f"{name}^2" in ALIASES:
            end = k + len(square)
            if not (end < n and text[end] in _DIGITS):
                tokens.append(Token("name", ALIASES[f"{name}^2"], start, text[start:end]))
                return end
    if name in ROOT_ALIASES:
        tokens.append(Token("root", ROOT_ALIASES[name], start, raw))
        return j
    tokens.append(Token("name", ALIASES.get(name, name), start, raw))
    return j


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
            if k - j > 4:
                raise refuse(f"the exponent of {text[start:k]} is too large", start, text)
            power = int(text[j:k]) * (-1 if text[j - 1] == "-" else 1)
            i = k
    literal = text[start:i]
    if abs(power) > MAX_LITERAL_EXPONENT:
        raise refuse(f"the exponent of {literal} is too large", start, text)
    digits = (whole + frac).lstrip("0")
    if len(digits) + power - len(frac) > 7:  # at least 1e7 in size: beyond MAX_LITERAL
        raise refuse(f"numbers above 1e6 are not accepted, got {literal}", start, text)
    scale = power - len(frac)
    value = sp.Rational(int(digits or "0") * 10 ** max(scale, 0), 10 ** max(-scale, 0))
    if value > MAX_LITERAL:
        raise refuse(f"numbers above 1e6 are not accepted, got {literal}", start, text)
    return value, i
