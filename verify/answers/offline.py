"""The answer checker without the claims' code: each claim's derived result exported at build
time, and checked against in a page (Pyodide: SymPy and mpmath, no NumPy, no torch).

:func:`export` writes down, as JSON, everything the fast path of
:func:`~verify.answers.check_answer` reads from a claim: its answer kind, variables and
domain, its derived result (as ``sympy.srepr``), its declared near misses, and a table's row
names or a formula's grid. :func:`check_record` then runs the very same code as
``check_answer`` (:func:`verify.answers.checking.check`) on a claim read back from that
record, so the verdict and the message are the command line's, word for word.
:func:`check_json` is what the page calls: a plain dict, with an unreadable answer reported
as ``{"verdict": "error", "message": ...}`` (the command line's message).

Record (one per typed claim)::

    {"id", "answer", "method", "variables": [...],
     "domain": {name: [low, high] or [low, high, "integer"]},   # "oo"/"-oo" for infinities
     "reference": srepr or null, "reference_error": null or the exception's name,
     "near_misses": [[srepr, why], ...],
     "rows": [names] or null, "formula": {"variables", "grid"} or null}

A record is read back by a small interpreter of the srepr's syntax tree that calls SymPy's
names only (nothing is evaluated as code); it is for our own build-time records, never for
what a person types (that goes through the parser).

>>> r = check_json({"claims": {"demo.two": {"id": "demo.two", "answer": "number",
...     "method": "exact", "variables": [], "domain": {}, "reference": "Integer(2)",
...     "near_misses": [["Integer(3)", "one too many"]]}}}, "demo.two", "3")
>>> r["verdict"], r["message"]
('not equivalent', 'not equivalent: your answer gives 3, the derived result gives 2 — one too many')
"""

from __future__ import annotations

import ast
import functools
import json
import math
import time
from fractions import Fraction
from pathlib import Path

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from derivations.functions import Phi, sigmoid
from verify.answers import checking
from verify.answers.tokens import printable
from verify.evidence import Evidence
from verify.kinds import TYPED_KINDS

#: The version of the record format.
FORMAT = 1


def _bound(value):
    v = float(value)
    if math.isinf(v):
        return "oo" if v > 0 else "-oo"
    return int(value) if isinstance(value, int) or float(v).is_integer() and abs(v) < 2**53 else v


def _plain(value):
    """A derived result with NumPy scalars made Python numbers (srepr writes them as such)."""
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if type(value).__module__ == "numpy":
        return value.item()
    return value


def export(claim) -> dict | None:
    """The record of ``claim`` (see the module), or None for a claim whose answers cannot
    be typed. Built at build time, with the claim's topic loaded.

    >>> from verify import claims
    >>> r = export(claims.get("ridge.optimal_mu"))
    >>> r["answer"], r["variables"], r["reference"][:3]
    ('expression', ['d', 'sw2', 'se2'], 'Mul')
    """
    if claim.answer not in TYPED_KINDS:
        return None
    from verify.answers import formulas, tables

    record = {
        "id": claim.id,
        "answer": claim.answer,
        "method": claim.method,
        "variables": list(claim.variables),
        "domain": {
            name: [_bound(b[0]), _bound(b[1]), *b[2:]] for name, b in dict(claim.domain).items()
        },
        "reference": None,
        "reference_error": None,
        "near_misses": [[sp.srepr(_plain(k)), why] for k, why in claim.near_misses.items()],
        "rows": None,
        "formula": None,
    }
    if claim.derived is not None:
        try:
            record["reference"] = sp.srepr(_plain(claim.reference()))
        except Exception as exc:  # noqa: BLE001 - the checker says "could not be built"
            record["reference_error"] = type(exc).__name__
    if tables.takes(claim):
        record["rows"] = list(tables.rows(claim))
    if formulas.takes(claim):
        variables, points = formulas.grid(claim)
        record["formula"] = {"variables": list(variables), "grid": [list(p) for p in points]}
    return record


def export_all(path=None) -> dict:
    """Every claim's record, as ``{"format", "claims": {id: record}, "untyped": {id: kind}}``
    (``untyped``: the claims whose answers are code, so that the page says so as the command
    line does); written to ``path`` as JSON when given."""
    from verify import claims

    found, untyped = {}, {}
    for claim in claims.all():
        record = export(claim)
        if record is None:
            untyped[claim.id] = {"answer": claim.answer, "method": claim.method}
        else:
            found[claim.id] = record
    out = {"format": FORMAT, "claims": found, "untyped": untyped}
    if path is not None:
        Path(path).write_text(json.dumps(out, separators=(",", ":")), encoding="utf-8")
    return out


# --- reading a record back ---------------------------------------------------------------------
@functools.cache
def _namespace() -> dict:
    names = {n: getattr(sp, n) for n in dir(sp) if not n.startswith("_")}
    names.update(
        {
            "Phi": Phi,
            "sigmoid": sigmoid,
            "Fraction": Fraction,
            "inf": math.inf,
            "nan": math.nan,
            "MutableDenseMatrix": sp.MutableDenseMatrix,
            "ImmutableDenseMatrix": sp.ImmutableDenseMatrix,
            "ExprCondPair": ExprCondPair,
        }
    )
    return names


def _rebuilt(text: str):
    """A value from its srepr, read by a small interpreter of its syntax tree (calls of
    SymPy's names, numbers, tuples, lists, dicts): nothing is evaluated as code.

    >>> _rebuilt("Interval(Integer(0), Integer(1), false, true)")
    Interval.Ropen(0, 1)
    """
    return _value(ast.parse(text, mode="eval").body)


def _value(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand)
    if isinstance(node, ast.Tuple | ast.List):
        items = [_value(v) for v in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.Name) and node.id in _namespace():
        return _namespace()[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        f = _namespace().get(node.func.id)
        if callable(f):
            args = [_value(a) for a in node.args]
            return f(*args, **{k.arg: _value(k.value) for k in node.keywords})
    raise ValueError(f"record: cannot read {ast.dump(node)[:80]} in a derived result")


def _domain_bound(value) -> float:
    return {"oo": math.inf, "-oo": -math.inf}.get(value, value) if isinstance(value, str) else value


class Recorded:
    """A claim read back from its record, with the attributes the checker reads."""

    def __init__(self, record: dict):
        self.record = record
        self.id = record["id"]
        self.answer = record["answer"]
        self.method = record.get("method", "exact")
        self.variables = tuple(record.get("variables", ()))
        self.domain = {
            name: (_domain_bound(b[0]), _domain_bound(b[1]), *b[2:])
            for name, b in record.get("domain", {}).items()
        }
        has = record.get("reference") is not None or record.get("reference_error")
        self.derived = self.reference if has else None
        self.rows = record.get("rows")
        self.formula = record.get("formula")
        self._reference = None

    @functools.cached_property
    def near_misses(self) -> dict:
        return {_rebuilt(k): why for k, why in self.record.get("near_misses", ())}

    def near_miss(self, candidate):
        from verify.claims import Claim

        return Claim.near_miss(self, candidate)

    def reference(self):
        if self.record.get("reference_error"):
            raise type(self.record["reference_error"], (Exception,), {})()
        if self._reference is None:
            self._reference = _rebuilt(self.record["reference"])
        return self._reference

    def check(self, candidate, *, seed=0):  # noqa: ARG002 - thorough checks need the claim's code
        raise ValueError("thorough: the claim's own check is not in the record")


def check_record(record: dict, text: str, *, seed: int = 0) -> Evidence:
    """Check ``text`` against the claim of ``record`` exactly as
    ``check_answer(record["id"], text, seed=seed)`` does on its fast path."""
    if not isinstance(record, dict) or "id" not in record or "answer" not in record:
        raise TypeError("record: a record made by verify.answers.offline.export is required")
    seed = checking.arguments(text, seed, False)
    return checking.check(Recorded(record), text, seed=seed)


def _records(records) -> dict:
    if isinstance(records, str):
        records = json.loads(records)
    if not isinstance(records, dict) or "claims" not in records:
        raise TypeError("records: the JSON written by export_all is required")
    return records


def find(records, claim_id: str) -> dict:
    """The record of ``claim_id`` (an untyped claim's short one), or the command line's
    error for an unknown id."""
    from derivations.topics import TOPICS
    from verify.claims import unknown

    records = _records(records)
    if not isinstance(claim_id, str):
        raise TypeError(f"claim_id: a string is required, got {type(claim_id).__name__}")
    if claim_id in records["claims"]:
        return records["claims"][claim_id]
    if claim_id in records.get("untyped", {}):
        return {"id": claim_id, **records["untyped"][claim_id]}
    head = claim_id.split(".", 1)[0]
    every = [*records["claims"], *records.get("untyped", {})]
    pool = [c for c in every if c.startswith(head + ".")] if head in TOPICS else list(TOPICS)
    raise unknown(claim_id, pool)


def check_json(records, claim_id: str, text: str, *, seed: int = 0) -> dict:
    """What the page shows: ``{"verdict", "message", "parsed", "seconds"}``; an answer or id
    that cannot be read gives ``{"verdict": "error", "message": why, "position": where}``
    (the command line's words, and the offset in the text it points at, if any). ``records`` is the JSON of :func:`export_all`, as text or as parsed."""
    start = time.perf_counter()
    try:
        evidence = check_record(find(records, claim_id), text, seed=seed)
    except (ValueError, TypeError) as exc:
        return {
            "verdict": "error",
            "message": printable(str(exc)),
            "position": getattr(exc, "position", None),
            "parsed": None,
            "seconds": time.perf_counter() - start,
        }
    return {
        "verdict": evidence.verdict,
        "message": evidence.message,
        "parsed": (evidence.details or {}).get("parsed"),
        "seconds": time.perf_counter() - start,
    }


def main(argv=None) -> int:
    """``python -m verify export-references --out PATH``: :func:`export_all` into ``PATH``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m verify export-references",
        description="Write every claim's record (derived result, domain, near misses) as JSON "
        "for the book's in-page answer checker.",
    )
    parser.add_argument("--out", required=True, metavar="PATH", help="the JSON file to write")
    args = parser.parse_args(argv)
    written = export_all(args.out)
    print(f"{len(written['claims'])} claims ({len(written['untyped'])} untyped) -> {args.out}")
    return 0
