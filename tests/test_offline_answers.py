"""The in-page answer checker: the command line's rules, without NumPy, torch or SciPy.

The book's checker runs :mod:`verify.answers` under Pyodide from records exported at build
time (:mod:`verify.answers.offline`). Here a CPython subprocess in which ``numpy``,
``torch`` and ``scipy`` cannot be imported checks, from those records, every typed claim's
derived result written as text, its known wrong answers and hostile inputs; its verdicts and
messages must be those of ``check_answer`` in this process, with NumPy.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derivations.topics import TOPICS
from verify import claims
from verify.answers import check_answer, purearrays
from verify.answers import offline as off
from verify.answers.equivalence import CHECK_BUDGET
from verify.answers.proof import TimeUp, time_limit
from verify.bench.answers import HOSTILE, HOSTILE_MULTI, MULTI_CLAIM

ROOT = Path(__file__).resolve().parents[1]
#: Wrong answers per claim sent through both checkers (the first ones declared).
WRONG_PER_CLAIM = 1
#: A check that took over this share of its CPU budget with NumPy is budget-bound.
BUDGET_BOUND = 0.5
#: Seconds any one hostile input may take in the NumPy-free checker.
HOSTILE_SECONDS = 5.0

HOSTILE_TEXTS = [
    "x+" * 600 + "x",
    "(" * 300 + "x" + ")" * 300,
    "(" * 40 + "x" + ")" * 40,
    "x^x^x^x^x^x^x^x^x^x",
    "10^10^10^10",
    "__import__('os')",
    "().__class__.__bases__[0].__subclasses__()",
    "exp(exp(exp(exp(x))))",
    *HOSTILE[8:14],
]

#: Run under CPython with NumPy, torch and SciPy unimportable: check every case from the
#: records; report the verdicts and what was imported.
CHILD = r"""
import json, sys, time

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "torch", "scipy"):
            raise ImportError(f"{name} is not available here")
        return None

sys.meta_path.insert(0, Refuse())
sys.path.insert(0, sys.argv[1])
import verify.answers
from verify.answers import arrays, offline

records = json.load(open(sys.argv[2], encoding="utf-8"))
cases = json.load(open(sys.argv[3], encoding="utf-8"))
out = []
for claim_id, text in cases:
    start = time.process_time()
    got = offline.check_json(records, claim_id, text)
    out.append([got["verdict"], got["message"], time.process_time() - start])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("numpy", "torch", "scipy"))
json.dump({"pure": arrays.PURE, "results": out, "imported": heavy}, sys.stdout)
"""


def _text(value) -> str:
    """A derived result or wrong answer as a person would type it."""
    if type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(p)}" for k, p in value.items()) + "}"
    if isinstance(value, sp.MatrixBase):
        return _text([list(r) for r in value.tolist()])
    if isinstance(value, sp.Interval):
        left, right = "(" if value.left_open else "[", ")" if value.right_open else "]"
        return f"{left}{sp.sstr(value.start)}, {sp.sstr(value.end)}{right}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return sp.sstr(value)


def _cases() -> list[tuple[str, str]]:
    cases = []
    for topic in TOPICS:
        wrong = claims.wrong_answers(topic)
        for claim in claims.select(topic):
            if claim.answer not in claims.TYPED_KINDS:
                continue
            if claim.derived is not None:
                cases.append((claim.id, _text(claim.reference())))
            typed = [c for c in wrong.get(claim.id, {}).values() if not callable(c)]
            cases += [(claim.id, _text(c)) for c in typed[:WRONG_PER_CLAIM]]
    return cases


def _hostile() -> list[tuple[str, str]]:
    one = [("activations.tanh.derivative", t) for t in HOSTILE_TEXTS]
    return [*one, *((MULTI_CLAIM, t) for t in HOSTILE_MULTI[:2])]


def _expected(claim_id: str, text: str):
    """(verdict, message, CPU seconds) of the command line's check, with NumPy."""
    start = time.process_time()
    try:
        e = check_answer(claim_id, text)
    except (ValueError, TypeError) as exc:
        return "error", str(exc), time.process_time() - start
    return e.verdict, e.message, time.process_time() - start


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """(cases, expected with NumPy, the NumPy-free subprocess's report)."""
    folder = tmp_path_factory.mktemp("offline")
    records = folder / "records.json"
    off.export_all(records)
    cases = _cases() + _hostile()
    (folder / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DV_PURE_ARRAYS"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ROOT), str(records), str(folder / "cases.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=folder,
    )
    expected = [_expected(c, t) for c, t in cases]  # meanwhile, here, with NumPy
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, err[-3000:]
    return cases, expected, json.loads(out)


def test_the_subprocess_ran_without_numpy_torch_or_scipy(both):
    _, _, report = both
    assert report["pure"] is True
    assert report["imported"] == []


def test_every_derived_result_and_wrong_answer_gets_the_command_lines_verdict(both):
    cases, expected, report = both
    plain = len(cases) - len(_hostile())
    assert plain > 150
    got = report["results"]
    assert [r[0] for r in got[:plain]] == [e[0] for e in expected[:plain]]
    # and the same message (the same witness), unless the check ran close to its budget:
    # then how many disputed points mpmath settled depends on the speed of the machine
    budget_bound = [i for i in range(plain) if expected[i][2] > BUDGET_BOUND * CHECK_BUDGET]
    differ = [
        (cases[i], expected[i][1], got[i][1])
        for i in range(plain)
        if got[i][1] != expected[i][1] and i not in budget_bound
    ]
    assert differ == []
    assert len(budget_bound) < 0.05 * plain
    assert {"equivalent", "not equivalent", "error"} <= {e[0] for e in expected[:plain]}


def test_hostile_input_gets_the_command_lines_answer_in_bounded_time(both):
    cases, expected, report = both
    start = len(cases) - len(_hostile())
    for i in range(start, len(cases)):
        verdict, message, seconds = report["results"][i]
        assert seconds < HOSTILE_SECONDS, (cases[i], seconds)
        if expected[i][0] == "error" or verdict == "error":
            assert (verdict, message) == expected[i][:2], cases[i]
        else:  # a budget may run out on one side only, never turning a verdict over
            assert {verdict, expected[i][0]} != {"equivalent", "not equivalent"}, cases[i]
    refused = [report["results"][i][1] for i in range(start, len(cases))]
    assert any("a name never starts with it" in m for m in refused)
    assert any("no attribute access" in m for m in refused)


# --- the records and the entry point -----------------------------------------------------------
def test_a_record_is_plain_json_and_reads_back_to_the_same_derived_result():
    for cid in ("ridge.optimal_mu", "activations.relu.derivative", "activations.silu.range"):
        claim = claims.get(cid)
        record = json.loads(json.dumps(off.export(claim)))
        assert sp.srepr(off.Recorded(record).reference()) == sp.srepr(claim.reference())
        assert set(record) >= {"id", "answer", "variables", "domain", "reference", "near_misses"}
    assert off.export(claims.get("activations.relu.range"))["domain"] == {}
    untyped = next(c for c in claims.select("layers") if c.answer == "implementation")
    assert off.export(untyped) is None


def test_check_json_says_what_the_command_line_says_for_an_unknown_or_untyped_claim():
    records = off.export_all()
    with pytest.raises(ValueError) as info:
        claims.get("ridge.optimal_m")
    assert off.check_json(records, "ridge.optimal_m", "x")["message"] == str(info.value)
    untyped = next(c for c in claims.select("layers") if c.answer == "implementation")
    got = off.check_json(records, untyped.id, "x")
    assert (got["verdict"], got["message"]) == _expected(untyped.id, "x")[:2]
    got = off.check_json(json.dumps(records), "activations.tanh.derivative", "sech(x)^2")
    assert got["verdict"] == "equivalent" and got["parsed"] == "sech(x)**2"
    bad = off.check_json(records, "activations.tanh.derivative", "x +* 2")
    assert bad["verdict"] == "error" and bad["position"] is not None


def test_a_record_is_never_evaluated_as_code():
    with pytest.raises(ValueError, match="cannot read"):
        off._rebuilt("__import__('os').system('true')")
    with pytest.raises(ValueError, match="cannot read"):
        off._rebuilt("Integer(1).__class__")


# --- the plain-Python arrays: NumPy's float64 results, IEEE specials included ------------------
SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0, -3.0, 1e300, -1e300, 1e-300]
SPECIALS += [710.0, -746.0, math.inf, -math.inf, math.nan, 1 / 3, 2.0**53 + 2]


def _same(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b.tolist(), float)
    real = ~np.isnan(a)
    return np.array_equal(a, b, equal_nan=True) and np.array_equal(
        np.signbit(a[real]), np.signbit(b[real])
    )


@pytest.mark.parametrize(
    "name",
    ["exp", "log", "sin", "cos", "sinh", "cosh", "abs", "floor", "ceil", "rint", "sign"],
)
def test_a_plain_python_function_gives_numpys_float64_value(name):
    with np.errstate(all="ignore"):
        assert _same(
            getattr(np, name)(np.array(SPECIALS)),
            getattr(purearrays, name)(purearrays.asarray(SPECIALS)),
        )


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "<", "=="])
def test_a_plain_python_operator_gives_numpys_float64_value(op):
    a = np.repeat(SPECIALS, len(SPECIALS))
    b = np.tile(SPECIALS, len(SPECIALS))
    pa, pb = purearrays.asarray(a.tolist()), purearrays.asarray(b.tolist())
    f = {
        "+": lambda u, v: u + v,
        "-": lambda u, v: u - v,
        "*": lambda u, v: u * v,
        "/": lambda u, v: u / v,
        "**": lambda u, v: u**v,
        "<": lambda u, v: u < v,
        "==": lambda u, v: u == v,
    }[op]
    with np.errstate(all="ignore"):
        assert _same(f(a, b), f(pa, pb))
        assert _same(f(a, 0.5), f(pa, 0.5)) and _same(f(2.0, a), f(2.0, pa))


# --- the time limit where there is no setitimer (Pyodide) --------------------------------------
def test_time_limit_without_setitimer_stops_sympy_in_bounded_time(monkeypatch):
    monkeypatch.delattr(signal, "setitimer")
    x, y, z, w = sp.symbols("x y z w")
    before = sys.getprofile()
    start = time.process_time()
    with pytest.raises(TimeUp), time_limit(0.2):
        sp.expand((x + y + z + w) ** 60)
    assert time.process_time() - start < 1.5
    assert sys.getprofile() is before
    with time_limit(0.5):
        assert sp.expand((x + 1) ** 2) == x**2 + 2 * x + 1


def test_the_plainest_first_order_is_the_sort_by_plainness():
    """The column-wise ordering of suspects equals sorting by the per-point key it replaced
    (characters written out, then the largest |log10| of a nonzero coordinate), ties kept in
    order, on points with signed zeros, tiny and huge values and ties."""
    import math
    import random

    from verify.answers.equivalence import _plainest_first

    r = random.Random(1)
    pool = [0.0, -0.0, 1.0, -1.0299999999999994, 1e300, 2.5, 1e-300, -3.0, 123456.789, -1e-7]

    for _ in range(3000):
        listed = [[r.choice(pool) for _ in range(r.randint(1, 40))]]
        listed += [[r.choice(pool) for _ in listed[0]] for _ in range(r.randint(0, 3))]
        idx = list(range(len(listed[0])))
        r.shuffle(idx)
        idx = idx[: r.randint(0, len(idx))]

        def plain(j, listed=listed):
            values = [col[j] for col in listed]
            return sum(len(repr(v)) for v in values), max(
                (abs(math.log10(abs(v))) for v in values if v), default=0.0
            )

        assert _plainest_first(idx, listed) == sorted(idx, key=plain)


def test_scaled_bounds_are_the_same_on_both_backends():
    """``arrays.scaled`` (one pass on lists) gives NumPy's ``k·m`` with its two rules for an
    infinite bound times an exact or inexact zero, entry by entry, on special values."""
    import itertools
    import math

    import numpy as np

    from verify.answers import purearrays

    special = [0.0, -0.0, 1.5, -2.0, math.inf, 1e308, 5e-324, math.nan]
    triples = list(itertools.product(special, special, [0.0, 1.0, math.inf]))
    k, m, km = (list(t) for t in zip(*triples, strict=True))
    with np.errstate(invalid="ignore"):
        t = np.array(k) * np.array(m)
    zero_inf = (np.array(m) == 0) & np.isinf(np.array(k))
    expected = np.where(zero_inf, np.where(np.array(km) == 0, 0.0, math.inf), t)
    pure = _pure_scaled()
    out = pure(purearrays.Vec(k), purearrays.Vec(m), purearrays.Vec(km)).v
    for e, o, triple in zip(expected.tolist(), out, triples, strict=True):
        assert (math.isnan(e) and math.isnan(o)) or e == o, (triple, e, o)
    for triple, e in zip(triples, expected.tolist(), strict=True):
        o = pure(*triple)
        assert (math.isnan(e) and math.isnan(o)) or e == o, (triple, e, o)


def _pure_scaled():
    """The pure backend's ``scaled``, taken from a fresh import of arrays with NumPy refused."""
    import importlib
    import sys

    saved = {"verify.answers.arrays": sys.modules.pop("verify.answers.arrays")}
    blocked = sys.modules.get("numpy")
    sys.modules["numpy"] = None
    try:
        module = importlib.import_module("verify.answers.arrays")
        return module.scaled
    finally:
        sys.modules["numpy"] = blocked
        sys.modules.pop("verify.answers.arrays", None)
        sys.modules.update(saved)
