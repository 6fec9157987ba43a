"""The offline (Pyodide) MLP checker: NumPy's generator bit for bit, the key, the verdicts.

:mod:`verify.offline.student` runs without NumPy; here NumPy is the reference it must match:
``np.random.RandomState(id).rand`` exactly, :func:`derivations.mlp.key.answer_key` to
rounding, and :func:`verify.grading.cli.check_variant`'s verdicts, while its messages never
show the key.
"""

import importlib
import json
import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from derivations import variants
from derivations.mlp import key as mlp_key
from derivations.variants import builtin
from verify.grading import reading
from verify.grading.cli import check_variant
from verify.offline import student as off

ROOT = Path(__file__).resolve().parents[1]
#: the module (``verify.grading.grade`` is also the name of its function, re-exported)
grade = importlib.import_module("verify.grading.grade")

#: 3,000 ids: the first thousand, the last thousand below 2**32, a thousand drawn at random.
IDS = [
    *range(1000),
    *range(2**32 - 1000, 2**32),
    *random.Random(20240601).sample(range(1000, 2**32 - 1000), 1000),
]
#: Draws of the deepest course variant used here, ``hidden=(4, 4)``: 51, rounded up.
DRAWS = 64

OPTION_SETS = [
    {},
    {"activation": "relu"},
    {"hidden": (4, 4)},
    {"activation": "relu", "hidden": (4, 4)},
    {"label_smoothing": 0.1},
    {"lr": 0.5, "label": 1},
    {"x": (0.5, 2.0, -1.0), "slope": 0.2},
    {"hidden": [5, 3, 2], "label_smoothing": 0.3, "x": [[1.0], [2.0], [-3.0]]},
]


# --- the generator ------------------------------------------------------------------------------


def test_seeding_is_numpys_for_every_id():
    for sid in IDS:
        assert off.init_genrand(sid) == np.random.RandomState(sid).get_state()[1].tolist(), sid


def test_rand_is_numpys_bit_for_bit():
    for sid in IDS:
        ours = off.RandomState(sid).rand(DRAWS)
        theirs = np.random.RandomState(sid).rand(DRAWS).tolist()
        assert ours == theirs, sid  # == on floats: every bit


def test_the_written_out_twister_is_numpys_and_pythons():
    """MT19937 (our twist and tempering) against NumPy's raw 32-bit outputs and its state
    after the draws; and Python's ``random()`` (behind :class:`RandomState`) is the same
    53-bit formula, as the module claims."""
    for sid in IDS[::10]:
        g, rs = off.MT19937(sid), np.random.RandomState(sid)
        words = [g.genrand_int32() for _ in range(700)]  # past one twist of 624
        assert words == rs.randint(0, 2**32, size=700, dtype=np.uint32).tolist(), sid
        _, key, pos, *_ = rs.get_state()
        assert (g.mt, g.index) == (key.tolist(), pos), sid
        g2, fast = off.MT19937(sid), off.RandomState(sid)
        assert [g2.random_sample() for _ in range(DRAWS)] == fast.rand(DRAWS), sid


def test_long_streams_stay_in_step():
    for sid in (0, 1, 80, 2**31, 2**32 - 1):
        assert off.RandomState(sid).rand(5000) == np.random.RandomState(sid).rand(5000).tolist()


def test_rand_fills_shapes_row_by_row():
    assert off.RandomState(3).rand(4, 3) == np.random.RandomState(3).rand(4, 3).tolist()
    assert off.RandomState(3).rand() == np.random.RandomState(3).rand()
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        off.RandomState(3).rand(1, 1, 1)


@pytest.mark.parametrize("sid", [-1, 2**32, 10**40])
def test_seeds_outside_32_bits_are_refused(sid):
    with pytest.raises(ValueError, match=r"seed: an integer in \[0, 2\*\*32 - 1\]"):
        off.init_genrand(sid)
    with pytest.raises(ValueError):
        np.random.RandomState(sid)


def test_student_parameters_are_numpys_exactly():
    for sid in IDS:
        ours = off.student_parameters(sid)
        theirs = {k: v.tolist() for k, v in mlp_key.student_parameters(sid).items()}
        assert ours == theirs and list(ours) == list(theirs), sid
    for sid in IDS[::15]:
        ours = off.student_parameters(sid, hidden=(4, 4))
        theirs = mlp_key.student_parameters(sid, hidden=(4, 4))
        assert ours == {k: v.tolist() for k, v in theirs.items()}, sid


# --- the key ------------------------------------------------------------------------------------


def _close(ours, theirs, rel=1e-12):
    """Entry by entry within ``rel`` of the quantity's largest entry (sums may round apart)."""
    ref = np.asarray(theirs, dtype=float)
    got = np.asarray(ours, dtype=float)
    scale = float(np.abs(ref).max()) if ref.size else 0.0
    return got.shape == ref.shape and bool(np.all(np.abs(got - ref) <= rel * scale))


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: ",".join(o) or "default")
def test_the_pure_key_is_numpys(options):
    for sid in [*range(60), 2**32 - 1, 123456789, 3141592653]:
        ours = off.answer_key(sid, **options)
        theirs = mlp_key.answer_key(sid, **options)
        assert list(ours) == list(theirs), sid
        assert ours["y_hat"] == theirs["y_hat"] and isinstance(ours["y_hat"], int), sid
        assert isinstance(ours["loss"], float)
        for k, v in theirs.items():
            assert _close(ours[k], v), (sid, k, ours[k], v)


def test_keys_and_constants_are_the_courses():
    for name in (
        "X LABEL LR SLOPE HIDDEN CLASSES ACTIVATIONS MAX_HIDDEN_LAYERS MAX_WIDTH "
        "MAX_PARAMETERS ID_LIMIT"
    ).split():
        assert getattr(off, name) == getattr(mlp_key, name), name
    for depth in (2, 3, 5):
        assert off.keys(depth) == mlp_key.keys(depth)
    assert off.OPTIONS == builtin._MLP_OPTIONS
    assert off.parameter_shapes((4, 3)) == mlp_key.parameter_shapes((4, 3))


BAD = [
    ({"label": 0}, {}),
    ({"label": 4}, {}),
    ({"label": True}, {}),
    ({"label": 2.0}, {}),
    ({"lr": -0.1}, {}),
    ({"lr": float("nan")}, {}),
    ({"lr": 1e308, "x": (100.0, 100.0, 100.0)}, {}),
    ({"lr": "0.1"}, {}),
    ({"label_smoothing": 1}, {}),
    ({"slope": 1.0}, {}),
    ({"slope": -0.5}, {}),
    ({"activation": "tanh"}, {}),
    ({"activation": 3}, {}),
    ({"activation": "relu", "slope": 0.1}, {}),
    ({"hidden": ()}, {}),
    ({"hidden": [4, 0]}, {}),
    ({"hidden": "4"}, {}),
    ({"hidden": (4.0,)}, {}),
    ({"hidden": (1024, 1024)}, {}),
    ({"hidden": (4,) * 33}, {}),
    ({"x": (1.0, 2.0)}, {}),
    ({"x": (1.0, "2", 3.0)}, {}),
    ({"x": (1.0, True, 3.0)}, {}),
    ({"x": [[1.0, 2.0, 3.0]]}, {}),
    ({"x": [[1.0], 2.0, 3.0]}, {}),
    ({"x": [[[1.0]], [2.0], [3.0]]}, {}),
    ({"x": (1.0, float("nan"), 3.0)}, {}),
    ({"x": [[1.0], [float("inf")], [3.0]]}, {}),
    ({"x": (10**400, 1, 2)}, {}),
    ({"x": 1.0}, {}),
    ({"x": []}, {}),
    ({"x": None}, {}),
    ({"x": (1e308, 1e308, 1e308)}, {}),
    ({}, {"sid": -1}),
    ({}, {"sid": 2**32}),
    ({}, {"sid": 1.0}),
    ({}, {"sid": "5"}),
    ({}, {"sid": True}),
    ({}, {"sid": 10**400}),
]


@pytest.mark.parametrize("options, other", BAD, ids=lambda v: repr(v)[:40])
def test_bad_arguments_get_the_numpy_keys_message(options, other):
    sid = other.get("sid", 7)
    with pytest.raises((ValueError, TypeError)) as theirs:
        mlp_key.answer_key(sid, **options)
    with pytest.raises((ValueError, TypeError)) as ours:
        off.answer_key(sid, **options)
    assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))


# --- reading ------------------------------------------------------------------------------------


def test_the_reading_constants_are_the_graders():
    assert off.MISSING == reading.MISSING
    assert off.MAX_TEXT == reading.MAX_CELL
    assert (off.RTOL, off.ATOL) == (grade.Tolerance().rtol, grade.Tolerance().atol)
    assert off.EXACT == grade.EXACT
    for q in ("loss", "y_hat", "dl_dW2"):
        rule = grade.Tolerance().text([q])
        assert off._rule(q) in (rule, "y_hat is graded exactly"), q


def _read(parse, text):
    try:
        v = parse(text)
    except ValueError as exc:
        return "error", str(exc)
    return "value", np.asarray(v).tolist() if v is not None else None


CELLS = [
    "0.25",
    " −0,25 ",
    "1/4",
    "-3/4",
    "1/0",
    "1e400",
    "1e-3",
    "1,5e-3",
    "1.234,5",
    "",
    "n/a",
    "—",
    "abc",
    "0.5x",
    "[1, 2]",
    "[[1, 2], [3, 4]]",
    "[1 2; 3 4]",
    "[[1,2],[3]]",
    "[]",
    "[0.5; 0.25]",
    "[[−1, 2]]",
    "[1,]",
    "[ [1] [2] ]",
    ".5",
    "5.",
    "+.5e+2",
    "1e999/1",
    "[1e400]",
    "1/1e-400",
    "1 000",
    "0x10",
    "inf",
    "nan",
    "∞",
]


def _same_reading(text):
    ours, theirs = _read(off.parse_cell, text), _read(reading.parse_cell, text)
    infinite = (
        theirs[0] == "value"
        and theirs[1] is not None
        and not np.all(np.isfinite(np.asarray(theirs[1], dtype=float)))
    )
    if infinite:  # the grader lets a fraction reach inf ("1e999/1"); the offline reader refuses
        assert ours[0] == "error" and "is not a finite number" in ours[1]
    else:
        assert ours == theirs


@pytest.mark.parametrize("text", CELLS)
def test_cells_read_as_the_grader_reads_them(text):
    _same_reading(text)


@given(st.text(alphabet="0123456789.,-−+/e []; ", max_size=24))
def test_any_cell_reads_as_the_grader_reads_it(text):
    _same_reading(text)


@pytest.mark.parametrize(
    "text", ["loss", " dl_dW2 [1, 3] ", "p[2][1]", "W1(2,3)", "dl_dW2[1,", "1x", "a b", "p[]"]
)
def test_labels_read_as_the_grader_reads_them(text):
    def read(parse):
        try:
            return parse(text)
        except ValueError:
            return "error"

    assert read(off.parse_label) == read(reading.parse_label)


# --- checking -----------------------------------------------------------------------------------


def _entries(key):
    """(label, quantity, value) of every entry of a key, 1-based as the course labels them."""
    out = []
    for name, value in key.items():
        for label, index in variants.labels(name, np.asarray(value, dtype=float)):
            out.append((label, name, float(np.asarray(value, dtype=float)[index])))
    return out


def _forms(v: float) -> set[str]:
    """The key's value as it could be shown, but no whole number (0, or a softmax saturated to
    0.99999 shown as 1): those are digits any message may hold."""
    forms = {repr(v), f"{v:.4g}", f"{v:.6g}", repr(-v), f"{-v:.4g}"}
    return {f for f in forms if not float(f).is_integer()}


def _assert_no_key(message: str, key: dict, quantity: str):
    """Neither the key's value nor a rounding of it is in ``message`` (the class ``y_hat``, a
    small integer, is tested on its own: its messages for a class in range have no digit)."""
    if quantity in off.EXACT:
        return
    own = [float(v) for v in np.ravel(np.asarray(key[quantity], dtype=float))]
    for v in own:
        for form in _forms(v):
            assert form not in message, (form, message)
    for value in key.values():  # nor any other number of the key, in full
        for v in np.ravel(np.asarray(value, dtype=float)):
            if v != 0 and not float(v).is_integer():
                assert repr(float(v)) not in message and f"{v:.6g}" not in message, (v, message)


PERTURB = {
    "times 1.01": lambda v: v * 1.01,
    "sign": lambda v: -v,
    "plus 10 atol": lambda v: v + 10 * off.ATOL,
    "minus 1.5 atol": lambda v: v - 1.5 * off.ATOL,
}


@pytest.mark.parametrize(
    "options", [{}, {"activation": "relu", "hidden": (4, 4)}, {"label_smoothing": 0.2, "lr": 0.1}]
)
def test_verdicts_agree_with_check_variant_and_hide_the_key(options):
    counts = {"right": 0, "wrong": 0}
    for sid in [*range(6), 2**32 - 1, 987654321]:
        key = mlp_key.answer_key(sid, **options)
        entries = _entries(key)
        own = off.check(sid, {label: repr(v) for label, _, v in entries}, **options)
        assert [r["quantity"] for r in own] == [label for label, _, _ in entries]
        assert all(r["verdict"] == "right" for r in own), own
        for r, (_, name, _) in zip(own, entries, strict=True):
            _assert_no_key(r["message"], key, name)
        for how, change in PERTURB.items():
            typed = {label: repr(change(v)) for label, _, v in entries}
            results = off.check(sid, typed, **options)
            for r, (label, name, _) in zip(results, entries, strict=True):
                ev = check_variant("mlp", label, sid, typed[label], **options)
                want = "right" if ev.verdict == "equivalent" else "wrong"
                assert r["verdict"] == want, (sid, how, label, r, ev.message)
                counts[r["verdict"]] += 1
                _assert_no_key(r["message"], key, name)
                if name == "y_hat":
                    assert r["message"].startswith("wrong:")
    assert counts["wrong"] > 2 * counts["right"] > 0, counts  # the perturbations mostly show


def test_whole_quantities_agree_with_check_variant_and_hide_the_key():
    for sid in range(20):
        key = mlp_key.answer_key(sid)
        for name, value in key.items():
            if name in ("loss", "y_hat"):
                continue
            a = np.asarray(value, dtype=float)
            for how, typed in {
                "key": a,
                "scaled": a * 1.01,
                "negated": -a,
                "one entry": np.where(np.arange(a.size).reshape(a.shape) == 0, a + 1, a),
            }.items():
                text = json.dumps(typed.tolist())
                (r,) = off.check(sid, {name: text})
                ev = check_variant("mlp", name, sid, text)
                want = "right" if ev.verdict == "equivalent" else "wrong"
                assert r["verdict"] == want, (sid, name, how, r)
                _assert_no_key(r["message"], key, name)
                if how == "one entry" and want == "wrong":
                    first = variants.labels(name, a)[0][0]
                    assert f"1 of {a.size} entries are wrong: {first} (" in r["message"], r


def test_wrong_answers_say_how_far_off():
    key = off.answer_key(80)
    r = key["dl_dW2"][0][2]

    def message(text, label="dl_dW2[1,3]"):
        (out,) = off.check(80, {label: text})
        return out["verdict"], out["message"]

    assert message(repr(r * 1.2)) == ("wrong", "wrong: off by about 20% of the key’s size")
    assert message(repr(r * 1.004))[1].endswith("(close: 4 significant digits are enough)")
    assert message(repr(r * 5)) == ("wrong", "wrong: off by about 4 times the key’s size")
    assert message(repr(-r)) == (
        "wrong",
        "wrong: the sign is wrong (with the other sign it is right)",
    )
    assert "the sign is wrong, and the size is off by about 50%" in message(repr(-r * 1.5))[1]
    typed = json.dumps(np.asarray(key["dl_dW2"]).T.tolist())
    assert message(typed, "dl_dW2") == (
        "wrong",
        "wrong: entered as 4×3, the transpose of the key’s 3×4 shape (transposed back, every "
        "entry is right)",
    )
    assert message("[1, 2]", "dl_dW2") == ("wrong", "wrong: shape 2×1, the key’s is 3×4")


def test_y_hat_is_exact_and_says_nothing_of_the_class():
    for sid in range(30):
        k = off.answer_key(sid)["y_hat"]
        for a in {1, 2, 3} - {k}:
            (r,) = off.check(sid, {"y_hat": str(a)})
            assert r == {
                "quantity": "y_hat",
                "verdict": "wrong",
                "message": "wrong: not the predicted class (y_hat is graded exactly)",
            }
        assert off.check(sid, {"y_hat": f"{k}.0"})[0]["verdict"] == "right"
        assert off.check(sid, {"y_hat": f"{k + 1e-9}"})[0]["verdict"] == "wrong"
    assert "from 1 to 3" in off.check(0, {"y_hat": "0"})[0]["message"]


UNREADABLE = {
    "nope": ("1", "quantity: one of h1_bar, h1, h2, p, y_hat, loss,"),
    "dl_dw2": ("1", "(did you mean 'dl_dW2'?)"),
    "dl_dW2[4,1]": ("1", "dl_dW2[4,1]: no such entry; dl_dW2 has shape (3, 4) (1-based labels)"),
    "dl_dW2[1,": ("1", "a name such as loss"),
    "loss": ("0.5x", "answer: '0.5x' is not a number"),
    "p[1]": ("[0.5]", "answer: p[1] is one number, got a bracketed matrix"),
    "dl_db1": ("0.5", "answer: dl_db1 is a 4×1 matrix; type it bracketed"),
    "h1[2]": ("", "answer: a number (or a bracketed matrix) is required, got nothing"),
    "h2[1]": ("1" * (off.MAX_TEXT + 1), "answer: 10,001 characters is too long to be an answer"),
    "x" * 101: ("1", "quantity: a name of at most 100 characters is required, got 101"),
}


@pytest.mark.parametrize("label", list(UNREADABLE), ids=lambda s: s[:20])
def test_unreadable_answers_say_why(label):
    text, why = UNREADABLE[label]
    (r,) = off.check(3, {label: text})
    assert r["verdict"] == "unreadable" and why in r["message"], r


def test_non_text_answers_and_labels_are_unreadable():
    out = off.check(3, {"loss": 0.5, 7: "1"})
    assert [r["verdict"] for r in out] == ["unreadable", "unreadable"]
    assert out[0]["message"] == "answer: typed text is required, got 0.5"


@pytest.mark.parametrize(
    "sid, answers, options, error, match",
    [
        (-1, {}, {}, ValueError, r"student_id: an integer in \[0, 2\*\*32 - 1\] is required"),
        (2**32, {}, {}, ValueError, "got 4294967296"),
        (1.5, {}, {}, TypeError, r"got 1.5 \(float\)"),
        ("12", {}, {}, TypeError, r"got '12' \(str\)"),
        (None, {}, {}, TypeError, r"got None \(NoneType\)"),
        (3, [("loss", "1")], {}, TypeError, "answers: a dict of label -> typed text"),
        (3, {f"h1[{i}]": "1" for i in range(501)}, {}, ValueError, "at most 500 answers"),
        (3, {}, {"seed": 1}, ValueError, "options: seed do not apply to the mlp question"),
        (3, {}, {"label": 9}, ValueError, r"label: an integer in \[1, 3\]"),
    ],
)
def test_bad_ids_options_and_too_much_work_are_refused(sid, answers, options, error, match):
    with pytest.raises(error, match=match):
        off.check(sid, answers, **options)


def test_typed_ids_are_read_strictly():
    assert off.parse_student_id(" 4294967295 ") == 2**32 - 1
    for text in ("4294967296", "-1", "1.0", "1e3", "", "٣", "12345678901"):
        with pytest.raises(ValueError, match="student id: a whole number"):
            off.parse_student_id(text)
    with pytest.raises(TypeError):
        off.parse_student_id(12)


# --- without NumPy ------------------------------------------------------------------------------

NO_NUMPY = r"""
import json, sys
sys.path.insert(0, sys.argv[1])

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "torch"):
            raise ImportError(f"{name} is blocked: the offline checker must not need it")

sys.meta_path.insert(0, Blocked())
for name in ("numpy", "torch"):
    try:
        __import__(name)
    except ImportError:
        pass
    else:
        raise SystemExit(f"the blocker let {name} in")

from verify.offline import student

cases = json.loads(sys.argv[2])
out = []
for sid, options, answers in cases:
    key = student.answer_key(sid, **options)
    out.append({"key": key, "check": student.check(sid, answers, **options)})
print(json.dumps({
    "file": student.__file__,
    "numpy": "numpy" in sys.modules,
    "torch": "torch" in sys.modules,
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in ("sympy", "mpmath", "scipy")),
    "results": out,
}))
"""


def test_runs_with_numpy_and_torch_unimportable():
    cases = []
    for sid, options in [(0, {}), (80, {"activation": "relu", "hidden": [4, 4]}), (2**32 - 1, {})]:
        key = mlp_key.answer_key(
            sid, **{k: tuple(v) if k == "hidden" else v for k, v in options.items()}
        )
        answers = {
            "loss": repr(key["loss"]),
            "y_hat": str(key["y_hat"]),
            "dl_dW2[1,3]": repr(float(key["dl_dW2"][0, 2]) * 1.2),
            "dl_db1": json.dumps(key["dl_db1"].tolist()),
            "p[2]": "nope",
        }
        cases.append((sid, options, answers))
    proc = subprocess.run(
        [sys.executable, "-c", NO_NUMPY, str(ROOT), json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert Path(doc["file"]).resolve().is_relative_to(ROOT)
    assert doc["numpy"] is False and doc["torch"] is False and doc["heavy"] == []
    for (sid, options, _answers), got in zip(cases, doc["results"], strict=True):
        hidden = options.get("hidden")
        theirs = mlp_key.answer_key(
            sid, **{**options, **({"hidden": tuple(hidden)} if hidden else {})}
        )
        assert list(got["key"]) == list(theirs)
        assert got["key"]["y_hat"] == theirs["y_hat"]
        for k, v in theirs.items():
            assert _close(got["key"][k], v), (sid, k)
        assert [r["verdict"] for r in got["check"]] == [
            "right",
            "right",
            "wrong",
            "right",
            "unreadable",
        ]
        assert got["check"][2]["message"] == "wrong: off by about 20% of the key’s size"
        assert math.isclose(got["key"]["loss"], theirs["loss"], rel_tol=1e-12)


def test_activations_are_the_keys_at_the_kink_too():
    """Random weights never put a pre-activation at exactly 0: the kink is checked here."""
    u = [-2.0, -0.0, 0.0, 1e-300, 3.0, float("nan")]
    for slope in (0.01, 0.0, 0.3):
        pairs = [
            (off._leaky_relu, mlp_key.leaky_relu),
            (off._prime, mlp_key.leaky_relu_prime),
        ]
        for ours, theirs in pairs:
            got, want = [ours(v, slope) for v in u], theirs(np.array(u), slope).tolist()
            assert np.array_equal(got, want, equal_nan=True), (ours, slope)
            assert [math.copysign(1, g) for g in got] == [math.copysign(1, w) for w in want]
    assert [off._relu(v, 0.0) for v in u][:-1] == mlp_key.relu(np.array(u)).tolist()[:-1]
    assert [off._prime(v, 0.0) for v in u] == mlp_key.relu_prime(np.array(u)).tolist()
