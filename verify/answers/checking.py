"""Checking a person's answer against a claim: three verdicts, each with its evidence.

:func:`check_answer` reads the text as the claim's answer kind and, by default, compares it
with the claim's derived result (:mod:`verify.answers.equivalence`) without importing torch
or any other topic: the derived result is what the claim itself verifies against torch,
simulation or enumeration. ``thorough=True`` runs the claim's own independent check on the
answer instead. The evidence's ``verdict`` is one of

- ``equivalent``;
- ``not equivalent``, with the witness: the point, the answer's value and the reference
  value there, printed to as many digits as make them differ;
- ``cannot check``, with why (an implementation claim, a result the evaluator cannot
  compute, a check that broke). It never reads as "not equivalent".

>>> e = check_answer("activations.tanh.derivative", "sech(x)^2")
>>> e.verdict, e.passed
('equivalent', True)
"""

from __future__ import annotations

import time

import mpmath
import sympy as sp

from verify import claims
from verify.answers.equivalence import assumptions
from verify.answers.forms import parse_answer
from verify.answers.proof import TimeUp, time_limit
from verify.answers.tokens import check_text, printable, refuse
from verify.evidence import CANNOT_CHECK, EQUIVALENT, NOT_EQUIVALENT, Evidence, Witness
from verify.kinds import TYPED_KINDS

#: Most significant digits a witness value is printed with.
MAX_DIGITS = 40
#: Seconds the parser may take (SymPy builds every node; this bounds what it does there).
PARSE_BUDGET = 0.5


def _exact(value) -> bool:
    return isinstance(value, int | sp.Integer) or (
        isinstance(value, sp.Rational) and value.q < 1000
    )


def _text(value, digits: int) -> str:
    if value is None or isinstance(value, bool | str):
        return str(value)
    if _exact(value):
        return str(value)
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_text(v, digits) for v in value) + ")"
    try:
        v = value if isinstance(value, mpmath.mpf) else mpmath.mpf(value)
    except (TypeError, ValueError):
        try:
            v = mpmath.mpf(sp.Float(value, MAX_DIGITS + 5))
        except (TypeError, ValueError):
            return printable(sp.sstr(value) if isinstance(value, sp.Basic) else value)
    if mpmath.isnan(v):
        return "undefined (nan)"
    if mpmath.isinf(v):
        return "oo" if v > 0 else "-oo"
    with mpmath.workdps(MAX_DIGITS + 10):
        text = mpmath.nstr(v, digits, min_fixed=-4, max_fixed=12)
    return text[:-2] if text.endswith(".0") else text


def distinct(a, b) -> tuple[str, str]:
    """``a`` and ``b`` as text, with the fewest digits (at least 6) that tell them apart.

    >>> distinct(1.0000000001, 1)
    ('1.0000000001', '1')
    >>> distinct(0.25, 0.5)
    ('0.25', '0.5')
    """
    if _exact(a) and _exact(b):
        return str(a), str(b)
    for digits in range(6, MAX_DIGITS + 1):
        sa, sb = _text(a, digits), _text(b, digits)
        if sa != sb:
            return sa, sb
    return _text(a, MAX_DIGITS), _text(b, MAX_DIGITS)


def describe(witness: Witness, reference: str = "the derived result") -> str:
    """The witness in words: where, the answer's value, the ``reference``'s value.

    >>> describe(Witness({"x": 0.5}, 0.25, 0.5))
    'at x = 0.5 your answer gives 0.25, the derived result gives 0.5'
    """
    cand, ref = distinct(witness.candidate, witness.reference)
    parts = []
    for name, value in witness.point.items():
        if name == "end":
            parts.append(f"the {value}")
        elif value is None:
            parts.append(f"the {name}")
        elif name == "entry":
            parts.append(f"entry {value}")
        elif name in ("item", "outcome"):
            parts.append(f"{name} {_text(value, 17)}")
        elif isinstance(value, float):
            parts.append(f"{name} = {value!r}")
        else:
            parts.append(f"{name} = {_text(value, 17)}")
    where = ("at " + ", ".join(parts) + " ") if parts else ""
    if witness.point and all(v is None for v in witness.point.values()):
        where = f"{', '.join(parts)}: "
    return f"{where}your answer gives {cand}, {reference} gives {ref}"


def shown(value) -> str:
    """How a parsed answer is echoed back (intervals in the bracket notation typed).

    >>> shown(sp.Interval.Lopen(0, 1)), shown((1, sp.Rational(1, 2)))
    ('(0, 1]', '[1, 1/2]')
    """
    if isinstance(value, sp.Interval):
        left = "(" if value.left_open else "["
        right = ")" if value.right_open else "]"
        return f"{left}{sp.sstr(value.start)}, {sp.sstr(value.end)}{right}"
    if isinstance(value, tuple):
        return "[" + ", ".join(sp.sstr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {sp.sstr(p)}" for k, p in value.items()) + "}"
    if isinstance(value, sp.MatrixBase):
        return (
            "["
            + ", ".join("[" + ", ".join(sp.sstr(v) for v in row) + "]" for row in value.tolist())
            + "]"
        )
    return printable(sp.sstr(value))


def check_answer(claim_id: str, text: str, *, seed: int = 0, thorough: bool = False) -> Evidence:
    """Check a person's answer (``text``) against a claim; see the module for the verdicts.

    Raises ``ValueError``/``TypeError`` for input that cannot be read (unknown claim, text
    that does not parse, a bad seed); every other outcome is evidence with a verdict.

    >>> print(check_answer("activations.sigmoid.derivative", "exp(x)/(1 + exp(x))^2").message)
    equivalent: proved equal by SymPy
    >>> print(check_answer("activations.relu.derivative", "where(x > 0, 2, 0)").message)
    not equivalent: at x = ... your answer gives 2, the derived result gives 1
    """
    seed = arguments(text, seed, thorough)
    return check(claims.get(claim_id), text, seed=seed, thorough=thorough)


def arguments(text, seed, thorough) -> int:
    """The seed, once ``text``, ``seed`` and ``thorough`` are known to be readable."""
    from derivations.arguments import seed as valid_seed

    seed = valid_seed(seed)
    if not isinstance(thorough, bool):
        raise TypeError(f"thorough: True or False is required, got {thorough!r}")
    check_text(text)
    return seed


def check(claim, text: str, *, seed: int, thorough: bool = False) -> Evidence:
    """:func:`check_answer` for a claim in hand: a registered :class:`~verify.claims.Claim`,
    or one read back from its exported record (:mod:`verify.answers.offline`), which has
    the same attributes. ``text`` and ``seed`` are checked already (:func:`arguments`)."""
    from verify.answers import formulas, tables

    if tables.takes(claim):  # a per-layer table: counts or shapes, the wrong row named
        return tables.check_table(claim, text, seed=seed, thorough=thorough)
    if formulas.takes(claim):  # an integer formula with floors: exact, on a grid
        return formulas.check_formula(claim, text, seed=seed, thorough=thorough)
    start = time.perf_counter()
    base = {"claim_id": claim.id, "seed": seed, "details": {"answer": printable(text)}}
    if claim.answer not in TYPED_KINDS:
        return _cannot(
            claim,
            base,
            f"{claim.id} takes {claim.answer} answers (Python code run by its check), which "
            "cannot be typed as text; its own check runs on code",
        )
    try:
        with time_limit(PARSE_BUDGET, off_main_thread="run"):
            candidate = parse_answer(
                text, claim.answer, claim.variables, assumptions=assumptions(claim.domain)
            )
    except TimeUp:
        message = f"the answer takes over {PARSE_BUDGET:g} s to read; write it more simply"
        raise refuse(message) from None
    base["details"]["parsed"] = shown(candidate)
    base["measured"] = shown(candidate)
    if thorough:
        evidence = _thorough(claim, candidate, seed, base)
    else:
        evidence = _fast(claim, candidate, seed, base)
    evidence.seconds = time.perf_counter() - start
    return _with_near_miss(claim, candidate, evidence)


def _with_near_miss(claim, candidate, evidence: Evidence) -> Evidence:
    """A rejected answer the claim declares as a near miss gets its explanation beside the
    verdict (in the message and in ``details["near_miss"]``)."""
    why = claim.near_miss(candidate) if evidence.verdict == NOT_EQUIVALENT else None
    if why:
        evidence.message += f" — {why}"
        evidence.details = {**evidence.details, "near_miss": why}
    return evidence


def _cannot(claim, base, why: str, **extra) -> Evidence:
    return Evidence(
        method=extra.pop("method", claim.method),
        passed=False,
        verdict=CANNOT_CHECK,
        message=f"cannot check: {why}",
        **base,
        **extra,
    )


def _fast(claim, candidate, seed, base) -> Evidence:
    from verify.answers.equivalence import decide

    if claim.derived is None:
        return _cannot(
            claim,
            base,
            f"{claim.id} declares no derived result; --thorough runs its own check on the answer",
        )
    try:
        reference = claim.reference()
    except Exception as exc:  # noqa: BLE001 - reported as "cannot check", never as "wrong"
        return _cannot(claim, base, f"the derived result could not be built ({type(exc).__name__})")
    base["expected"] = shown(reference)
    try:
        outcome = decide(
            claim.answer, candidate, reference, claim.variables, claim.domain, seed=seed
        )
    except (ArithmeticError, RecursionError, MemoryError, TypeError, ValueError) as exc:
        return _cannot(claim, base, f"evaluation failed ({type(exc).__name__})", method="exact")
    message = {
        EQUIVALENT: f"equivalent: {outcome.reason}",
        NOT_EQUIVALENT: "not equivalent: "
        + (describe(outcome.witness) if outcome.witness else outcome.reason)
        + (f" ({outcome.details['hint']})" if "hint" in outcome.details else ""),
        CANNOT_CHECK: f"cannot check: {outcome.reason}",
    }[outcome.verdict]
    return Evidence(
        method=outcome.method,
        passed=outcome.verdict == EQUIVALENT,
        n=outcome.n,
        message=message,
        witness=outcome.witness,
        verdict=outcome.verdict,
        **base,
    )


def _thorough(claim, candidate, seed, base) -> Evidence:
    try:
        evidence = claim.check(candidate, seed=seed)
    except Exception as exc:  # noqa: BLE001 - a broken check is "cannot check", not "wrong"
        return _cannot(
            claim,
            base,
            f"the claim's own check raised {type(exc).__name__}: {printable(str(exc))[:200]}",
        )
    verdict = EQUIVALENT if evidence.passed else NOT_EQUIVALENT
    said = evidence.message.strip()
    if verdict == EQUIVALENT:
        message = f"equivalent: {said}" if said else "equivalent"
    elif evidence.witness is not None:
        message = f"not equivalent: {describe(evidence.witness, 'its independent check')}"
    else:
        message = f"not equivalent: {said}" if said else "not equivalent"
    evidence.details = {**evidence.details, **base["details"]}
    evidence.verdict, evidence.message = verdict, message
    return evidence
