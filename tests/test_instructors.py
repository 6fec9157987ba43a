"""The instructors' tools: a class's answer keys, grading, the audit of a course's checks, and
per-student variants.

Expected values are computed here independently of the code under test: the course network's
key by torch autograd on weights drawn with the course's own recipe (``RandomState(id).rand``
in the order W1, b1, W2, b2), the ridge risk by explicit matrix algebra on a design with the
drawn spectrum (and its optimum by scipy's scalar minimizer), the initialization scales by
hand. The shipped submissions file is the true key with known, deliberate errors; the tests
assert that the gradebook flags exactly those.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from derivations import roster, variants
from derivations.variants import builtin
from verify.audit import audit, report
from verify.audit import checks as audit_checks
from verify.audit.ece288 import CHECKS as ECE288
from verify.grading import Tolerance, check_variant, grade, write
from verify.grading.reading import parse_cell, parse_label

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
PY = sys.executable


def _cli(*args):
    """Run ``python -m derivations|verify ARGS`` in this process (one real subprocess run is
    :func:`test_the_commands_run_as_modules`); returns (exit code, stdout, stderr)."""
    import contextlib
    import io

    from derivations.__main__ import main as derivations_main
    from verify.__main__ import main as verify_main

    assert args[0] == "-m"
    main = {"derivations": derivations_main, "verify": verify_main}[args[1]]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args[2:]))
        except SystemExit as exc:
            code = exc.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_the_commands_run_as_modules(tmp_path):
    r = subprocess.run(
        [
            PY,
            "-m",
            "verify",
            "grade",
            "--submissions",
            str(DATA / "submissions_messy.csv"),
            "--out",
            str(tmp_path / "gb.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0 and "0-based" in r.stdout and (tmp_path / "gb.csv").is_file()


# --- the independent key of the course network -------------------------------------------------


def torch_key(sid: int) -> dict[str, np.ndarray]:
    """The course network's SGD step for student ``sid`` by torch autograd."""
    rng = np.random.RandomState(sid)
    shapes = {"W1": (4, 3), "b1": (4, 1), "W2": (3, 4), "b2": (3, 1)}
    w = {
        k: torch.tensor(rng.rand(*s), dtype=torch.float64, requires_grad=True)
        for k, s in shapes.items()
    }
    x = torch.tensor([[1.0], [-1.0], [1.5]], dtype=torch.float64)
    h1_bar = w["W1"] @ x + w["b1"]
    h1 = torch.nn.functional.leaky_relu(h1_bar, 0.01)
    h2 = w["W2"] @ h1 + w["b2"]
    loss = torch.nn.functional.cross_entropy(h2.T, torch.tensor([2]))  # class 3, 0-based in torch
    loss.backward()
    out = {
        "loss": np.array(loss.item()),
        "p": torch.softmax(h2, dim=0).detach().numpy(),
        "y_hat": np.array(int(torch.argmax(h2)) + 1),
    }
    for k in shapes:
        out[f"dl_d{k}"] = w[k].grad.numpy()
        out[f"{k}_new"] = (w[k] - 0.01 * w[k].grad).detach().numpy()
    return out


def entry(key, label):
    name, idx = parse_label(label)
    a = np.asarray(key[name])
    if idx is None:
        return float(a)
    return float(a[idx[0] - 1, (idx[1] - 1) if len(idx) == 2 else 0])


# --- the shipped submissions: the true key with these deliberate errors ------------------------

#: line -> {quantity: (verdict, a word the note must hold)}; every other quantity is right.
ERRORS = {
    3: {"dl_db2": ("wrong", "sign"), "W2_new": ("wrong", "transpose")},
    4: {"y_hat": ("wrong", "from 0"), "loss": ("missing", ""), "dl_dW2": ("wrong", "dl_dW2[2,3]")},
}


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, skipinitialspace=True))


def test_the_shipped_submissions_are_the_torch_key_but_for_the_known_errors():
    rows = _rows(DATA / "submissions.csv")
    header = [h.strip() for h in rows[0]]
    mistakes = set()
    for line, row in enumerate(rows[1:], 2):
        if not row[0].strip().isdigit():
            continue
        key = torch_key(int(row[0]))
        for label, cell in zip(header[1:], row[1:], strict=True):
            name, _ = parse_label(label)
            if name == "notes":
                continue
            value = parse_cell(cell)
            if value is None:
                mistakes.add((line, name))
            elif isinstance(value, np.ndarray):
                if value.shape != key[name].shape or not np.allclose(value, key[name], atol=1e-6):
                    mistakes.add((line, name))
            elif abs(value - entry(key, label)) > 1e-5:
                mistakes.add((line, name))
    assert mistakes == {(line, q) for line, qs in ERRORS.items() for q in qs}


@pytest.fixture(scope="module")
def book():
    return grade(DATA / "submissions.csv")


def test_the_gradebook_flags_exactly_the_known_errors(book):
    flagged = {
        (r["line"], q): (res["verdict"], res["note"])
        for r in book.rows
        for q, res in r["results"].items()
        if res["verdict"] != "right"
    }
    assert set(flagged) == {(line, q) for line, qs in ERRORS.items() for q in qs}
    for line, qs in ERRORS.items():
        for q, (verdict, word) in qs.items():
            assert flagged[line, q][0] == verdict
            assert word in flagged[line, q][1], flagged[line, q]


def test_the_scores_are_the_right_shares(book):
    by_line = {r["line"]: r for r in book.rows}
    assert book.quantities == ["p", "y_hat", "loss", "dl_dW2", "dl_db2", "W2_new"]
    assert by_line[2]["score"] == 6  # all right; loss rounded to 5 decimals within tolerance
    assert by_line[3]["score"] == 4  # two quantities wrong
    assert by_line[4]["score"] == pytest.approx(6 - 1 - 1 - 1 / 12)  # one of 12 entries off
    assert by_line[6]["score"] == 6


def test_bad_rows_duplicates_and_unknown_columns_are_reported_not_lost(book, tmp_path):
    by_line = {r["line"]: r for r in book.rows}
    assert len(book.rows) == 5  # every data line is in the gradebook
    assert by_line[5]["status"].startswith("bad row: student id 'x17' is not an integer")
    assert by_line[5]["score"] is None
    assert "also on line 6" in by_line[3]["status"] and "also on line 3" in by_line[6]["status"]
    assert any("'notes'" in n and "not graded" in n for n in book.notes)
    out = write(book, tmp_path / "gb.csv")
    rows = _rows(out)
    assert [r[0] for r in rows[1:]] == ["80", "12", "7", "x17", "12"]
    assert rows[0][-1] == "tolerance" and rows[1][-1] == Tolerance().text()


def test_the_tolerance_is_stated_and_applied():
    tol = Tolerance()
    assert "0.0001" in tol.text() and "0.001" in tol.text()
    # 4 decimals pass, a slip in the third digit does not
    assert tol.ok("loss", 0.6963, 0.696339) and not tol.ok("loss", 0.697, 0.6953)
    assert not tol.ok("y_hat", 2.0, 3.0)


def test_a_messy_file_is_read_semicolons_decimal_commas_and_0_based_labels():
    book = grade(DATA / "submissions_messy.csv")
    assert any("0-based" in n for n in book.notes)
    by_id = {r["student_id"]: r for r in book.rows}
    assert by_id["80"]["score"] == 2
    res = by_id["12"]["results"]["dl_dW2"]
    assert res["verdict"] == "wrong" and "dl_dW2[1,1]" in res["note"]
    assert res["off"] == pytest.approx(0.05, abs=2e-6)  # the deliberate error, reported 1-based
    forced = grade(DATA / "submissions_messy.csv", index="1")
    assert any("no such entry" in n for n in forced.notes)  # the [0,j] columns are out of range


def test_a_transposed_form_and_a_decimal_comma_row(tmp_path):
    key = torch_key(5)["dl_dW2"]
    labels = [f"dl_dW2[{j},{i}]" for i in (1, 2, 3) for j in (1, 2, 3, 4)]
    values = [f"{key[i - 1, j - 1]:.6f}" for i in (1, 2, 3) for j in (1, 2, 3, 4)]
    path = tmp_path / "t.csv"
    header = "id," + ",".join(f'"{x}"' for x in labels)
    path.write_text(f"{header}\n5,{','.join(values)}\n6,0,5{',1' * 11}\n")
    book = grade(path)
    assert any("transpose of its 3×4 shape" in n for n in book.notes)
    assert book.rows[0]["score"] == 1
    assert (
        book.rows[1]["status"].startswith("bad row: 14 cells, the header has 13")
        and "decimal comma" in book.rows[1]["status"]
    )


@pytest.mark.parametrize(
    "content, words",
    [
        (b"\x00\x01\x00binary", "binary"),
        (b"PK\x03\x04 an xlsx", "a spreadsheet"),
        (b"", "no rows"),
        (b"name,loss\nAda,1\n", "first column must be the student id"),
    ],
)
def test_unreadable_submissions_are_one_clear_error(tmp_path, content, words):
    path = tmp_path / "s.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=words):
        grade(path)


def test_grade_cli_exit_codes_and_report(tmp_path):
    out = tmp_path / "gb.csv"
    r = _cli(
        "-m", "verify", "grade", "--submissions", str(DATA / "submissions.csv"), "--out", str(out)
    )
    assert r.returncode == 1, r.stderr  # one bad row was reported
    assert "tolerance: |answer − key| ≤ 0.0001 + 0.001·|key|" in r.stdout
    assert "line 5: bad row" in r.stdout and out.is_file()
    r = _cli("-m", "verify", "grade", "--submissions", str(tmp_path / "none.csv"))
    assert r.returncode == 2 and "submissions: a readable CSV file is required" in r.stderr
    r = _cli("-m", "verify", "grade", "--submissions", str(tmp_path), "--question", "ridge")
    assert r.returncode == 2 and "a folder" in r.stderr


# --- answer keys for a roster --------------------------------------------------------------------


def test_roster_keys_and_summary_match_torch(tmp_path):
    r = _cli(
        "-m",
        "derivations",
        "answer-key",
        "--roster",
        str(DATA / "roster.csv"),
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 1  # two lines reported
    assert "line 5: student id 'x17' is not an integer" in r.stderr
    assert "line 6: student id 12 is a duplicate of line 3" in r.stderr
    assert "answer keys: 3/3" in r.stderr  # progress
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "student_12.md",
        "student_7.md",
        "student_80.md",
        "summary.csv",
    ]
    rows = _rows(tmp_path / "summary.csv")
    assert [row[0] for row in rows[1:]] == ["80", "12", "7"]
    for row in rows[1:]:
        key = torch_key(int(row[0]))
        for label, cell in zip(rows[0][1:], row[1:], strict=True):
            name, _ = parse_label(label)
            if name in key:
                assert float(cell) == pytest.approx(entry(key, label), abs=1e-12), label
    # the summary is itself a perfect submission
    book = grade(tmp_path / "summary.csv")
    assert all(r["score"] == len(book.quantities) == 17 for r in book.rows)


def test_roster_formats_and_bad_arguments(tmp_path):
    r = _cli(
        "-m",
        "derivations",
        "answer-key",
        "--roster",
        str(DATA / "roster.csv"),
        "--out",
        str(tmp_path),
        "--format",
        "json",
        "--question",
        "ridge",
    )
    doc = json.loads((tmp_path / "student_80.json").read_text())
    assert doc["question"] == "ridge" and set(doc["key"]) == {
        "bayes_risk",
        "optimal_mu",
        "optimal_risk",
    }
    r = _cli("-m", "derivations", "answer-key", "--roster", str(DATA / "roster.csv"))
    assert r.returncode == 2 and "out: --roster needs --out DIR" in r.stderr
    bad = tmp_path / "r.csv"
    bad.write_text("name\nAda\n")
    r = _cli("-m", "derivations", "answer-key", "--roster", str(bad), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "no 'student_id' column" in r.stderr


def test_roster_ids_are_integers_in_range():
    assert roster.parse_id(" 42 ") == 42
    for text in ("4.2e1", "-3", "4 2", str(2**32), "٣"):
        with pytest.raises(ValueError, match="student id"):
            roster.parse_id(text)


# --- per-student variants ----------------------------------------------------------------------


def _ridge_risk_by_matrices(eig, mu, sw2, se2, seed=0):
    """E‖ŵ − w‖² for w ~ N(0, σ_w²/d I), ε ~ N(0, σ_ε² I), ŵ = (XᵀX + μI)⁻¹Xᵀ(Xw + ε), on a
    design X with XᵀX of eigenvalues ``eig``: σ_w²/d ‖A‖_F² + σ_ε² ‖B‖_F² with
    A = (XᵀX + μI)⁻¹XᵀX − I, B = (XᵀX + μI)⁻¹Xᵀ."""
    d = len(eig)
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((d + 2, d)))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = U @ np.diag(np.sqrt(eig)) @ V.T
    inv = np.linalg.inv(X.T @ X + mu * np.eye(d))
    A, B = inv @ X.T @ X - np.eye(d), inv @ X.T
    return sw2 / d * np.sum(A * A) + se2 * np.sum(B * B)


@pytest.mark.parametrize("sid", [0, 7, 12, 80, 4_000_000_000])
def test_the_ridge_variant_key_is_the_matrix_risk(sid):
    from scipy.optimize import minimize_scalar

    p = variants.get("ridge").parameters(sid)
    k = variants.key("ridge", sid)
    args = (p["eigenvalues"], p["sigma_w2"], p["sigma_eps2"])
    assert k["bayes_risk"] == pytest.approx(
        _ridge_risk_by_matrices(args[0], p["mu"], *args[1:]), rel=1e-10
    )
    best = minimize_scalar(
        lambda m: _ridge_risk_by_matrices(args[0], m, *args[1:]),
        bounds=(1e-3, 100),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert k["optimal_mu"] == pytest.approx(best.x, rel=1e-5)
    assert k["optimal_risk"] == pytest.approx(best.fun, rel=1e-9)
    assert 1.0 not in (p["sigma_w2"], p["sigma_eps2"], p["mu"], *p["eigenvalues"])


@pytest.mark.parametrize("sid", [0, 7, 80])
def test_the_initialization_variant_scales_by_hand(sid):
    p = variants.get("initialization").parameters(sid)
    k = variants.key("initialization", sid)
    assert k["xavier_uniform_bound"] == pytest.approx(
        math.sqrt(6 / (p["fan_in"] + p["fan_out"])), rel=1e-14
    )
    assert k["kaiming_normal_std"] == pytest.approx(math.sqrt(2 / p["fan_in"]), rel=1e-14)


def test_variants_are_deterministic_and_differ_between_students():
    for name in ("ridge", "initialization"):
        v = variants.get(name)
        assert v.parameters(31) == v.parameters(31)
        drawn = {json.dumps(v.parameters(s)) for s in range(40)}
        assert len(drawn) >= 30, name  # collisions are possible, but rare
    # each question has its own stream: the ridge draw does not move with the init one
    assert (
        variants.rng(5, builtin.RIDGE_SALT).random() != variants.rng(5, builtin.INIT_SALT).random()
    )


def test_a_registered_question_gets_keys_grading_and_checking(tmp_path):
    toy = variants.Variant(
        "toy_square",
        "a square",
        lambda sid: {"a": sid + 2},
        lambda sid: {"area": float((sid + 2) ** 2)},
        formulas={"area": "a²"},
    )
    variants.register(toy)
    try:
        assert variants.worked("toy_square", 3).count("25") == 1
        written, problems = roster.write_keys([1, 3], tmp_path, question="toy_square")
        assert (written, problems) == (2, [])
        (tmp_path / "s.csv").write_text("id,area\n1,9\n3,26\n")
        book = grade(tmp_path / "s.csv", question="toy_square")
        assert [r["results"]["area"]["verdict"] for r in book.rows] == ["right", "wrong"]
        assert check_variant("toy_square", "area", 3, "25").passed
    finally:
        del variants.REGISTRY["toy_square"]
    with pytest.raises(ValueError, match="already registered"):
        variants.register(variants.get("mlp"))


def test_check_answer_student_id(tmp_path):
    key = torch_key(80)
    right = f"{key['dl_dW2'][0, 2]:.6f}"
    r = _cli("-m", "verify", "check-answer", "--student-id", "80", "mlp.dl_dW2[1,3]", right)
    assert r.returncode == 0 and r.stdout.startswith("equivalent")
    r = _cli(
        "-m",
        "verify",
        "check-answer",
        "--student-id",
        "80",
        "mlp.dl_dW2[1,3]",
        f"{key['dl_dW2'][2, 0]:.6f}",
    )
    assert r.returncode == 1 and "for student 80, dl_dW2[1,3]" in r.stdout
    r = _cli("-m", "verify", "check-answer", "--student-id", "80", "mlp.dl_dW2[4,1]", "0")
    assert r.returncode == 2 and "no such entry" in r.stderr
    p = variants.get("ridge").parameters(9)
    mu = p["d"] * p["sigma_eps2"] / p["sigma_w2"]  # μ* = d σ_ε²/σ_w², by hand
    r = _cli("-m", "verify", "check-answer", "--student-id", "9", "ridge.optimal_mu", f"{mu:.5f}")
    assert r.returncode == 0, r.stdout + r.stderr
    r = _cli("-m", "verify", "check-answer", "--student-id", "9", "ridge.optimal_mu", f"{-mu:.5f}")
    assert r.returncode == 1
    whole = (
        "["
        + ", ".join("[" + ", ".join(f"{v:.6f}" for v in row) + "]" for row in key["W2_new"])
        + "]"
    )
    assert check_variant("mlp", "W2_new", 80, whole).passed


def test_grade_a_ridge_class(tmp_path):
    rows = ["student_id,optimal_mu,bayes_risk"]
    for sid in (3, 4):
        p = variants.get("ridge").parameters(sid)
        risk = _ridge_risk_by_matrices(p["eigenvalues"], p["mu"], p["sigma_w2"], p["sigma_eps2"])
        mu = p["d"] * p["sigma_eps2"] / p["sigma_w2"]
        rows.append(f"{sid},{mu:.4f},{risk * (1.1 if sid == 4 else 1):.5f}")
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    book = grade(tmp_path / "r.csv", question="ridge")
    assert [r["score"] for r in book.rows] == [2, 1]
    assert book.rows[1]["results"]["bayes_risk"]["verdict"] == "wrong"


# --- the audit of the ECE 288 checks -------------------------------------------------------------


def test_the_reconstruction_reproduces_the_course_values():
    """Torch on the reconstructed data gives the values the notebook compares with."""
    data = audit_checks.build(ECE288)
    checks = {c["name"]: c for c in ECE288["checks"]}
    d = {
        k: torch.tensor(v, dtype=torch.float64)
        for k, v in data["two_layer_net"].items()
        if k != "y"
    }
    pre = d["X"] @ d["W1"] + d["b1"]
    assert bool((pre > 0).all()) and round(float(pre.min()), 2) == 3.88
    scores = torch.relu(pre) @ d["W2"] + d["b2"]
    assert np.abs(scores.numpy() - np.array(checks["TwoLayerNet scores"]["expected"])).max() < 1e-8
    y = torch.tensor(data["two_layer_net"]["y"])
    loss = torch.nn.functional.cross_entropy(scores, y)
    assert abs(loss.item() - checks["TwoLayerNet loss, reg = 0"]["expected_loss"]) < 1e-10
    reg = 0.5 * ((d["W1"] ** 2).sum() + (d["W2"] ** 2).sum())
    assert abs((loss + reg).item() - checks["TwoLayerNet loss, reg = 1"]["expected_loss"]) < 1e-9
    a = data["affine_forward"]
    out = a["x"].reshape(2, -1) @ a["w"] + a["b"]
    assert np.abs(out - checks["affine_forward output"]["expected"]).max() < 1e-8
    relu = np.maximum(data["relu_forward"]["x"], 0)
    assert np.abs(relu - checks["relu_forward output"]["expected"]).max() < 1e-8


def test_the_shipped_checks_file_is_the_built_in_example():
    assert audit_checks.load(DATA / "ece288_checks.json") == json.loads(json.dumps(ECE288))


@pytest.fixture(scope="module")
def ece288():
    return audit()


def test_the_audit_says_a_missing_relu_passes_the_two_layer_net_check(ece288):
    rows = {(r["check"], r["implementation"]): r for r in ece288["rows"]}
    missing = "ReLU missing (identity forward, dout passed back)"
    for check in (
        "TwoLayerNet scores",
        "TwoLayerNet loss, reg = 0",
        "TwoLayerNet gradients, reg = 0.7",
    ):
        r = rows[check, missing]
        assert not r["caught"] and "positive" in r["why"] and "3.88" in r["why"]
    assert rows["relu_forward output", missing]["caught"]  # that check has negative inputs
    text = report(ece288)
    assert "ReLU missing" in text and "the smallest is 3.88" in text
    assert all(c["passed"] for c in ece288["correct"].values())


def test_the_audit_catches_what_the_data_can_show(ece288):
    caught_somewhere = {r["implementation"] for r in ece288["rows"] if r["caught"]}
    never = {r["implementation"] for r in ece288["rows"]} - caught_somewhere
    # only kink conventions and the overflow guard: these data have no 0 and no score past 709
    assert never == {
        "relu: ReLU′(0) = 1 (mask x ≥ 0)",
        "relu: ReLU′(0) = 1/2",
        "softmax: no max shift (e^x overflows)",
    }
    rows = {(r["check"], r["implementation"]): r for r in ece288["rows"]}
    assert rows[
        "TwoLayerNet loss, reg = 1", "L2 penalty reg·Σ‖W‖² without the ½ (gradient 2·reg·W)"
    ]["caught"]
    assert not rows["affine_backward gradient", "bias left out (out = x w, db = 0)"]["caught"]


def test_with_a_negative_pre_activation_the_missing_relu_is_caught(tmp_path):
    spec = json.loads(json.dumps(ECE288))
    spec["data"]["two_layer_net"]["b1"] = {"linspace": [-9.0, 0.9], "shape": [50]}
    data = audit_checks.build(spec)
    d = {
        k: torch.tensor(v, dtype=torch.float64)
        for k, v in data["two_layer_net"].items()
        if k != "y"
    }
    scores = torch.relu(d["X"] @ d["W1"] + d["b1"]) @ d["W2"] + d["b2"]
    spec["checks"] = [
        dict(c, expected=scores.tolist()) for c in spec["checks"] if c["test"] == "net_scores"
    ]
    path = tmp_path / "course.json"
    path.write_text(json.dumps(spec))
    result = audit(audit_checks.load(path))
    r = {x["implementation"]: x for x in result["rows"]}
    assert result["correct"]["TwoLayerNet scores"]["passed"]
    assert r["ReLU missing (identity forward, dout passed back)"]["caught"]


def test_a_bad_checks_file_is_one_clear_error(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"data": {}, "checks": [{"name": "x", "data": "d", "test": "relu_output"}]}')
    r = _cli("-m", "verify", "audit-grader", "--checks", str(path))
    assert r.returncode == 2 and "data 'd' is not a block of 'data'" in r.stderr
    path.write_text('{"data": {"d": {"x": {"linspace": [0, 1]}}}, "checks": []}')
    with pytest.raises(ValueError, match="shape"):
        audit_checks.build(audit_checks.load(path))


# --- hostile and messy input, generated ----------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from(["plain", "comma", "spaces", "minus"]),
)
def test_a_number_reads_back_however_it_is_typed(value, style):
    text = f"{value:.6f}"
    if style == "comma":
        text = text.replace(".", ",")
    elif style == "spaces":
        text = f"  {text} "
    elif style == "minus":
        text = text.replace("-", "\u2212")
    assert parse_cell(text) == pytest.approx(round(value, 6), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=5), min_size=1, max_size=4))
def test_any_cells_are_graded_or_reported_never_a_crash(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("h") / "s.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_id", "loss", "dl_dW2[1,3]", "W2_new"])
        w.writerows([["80", *r] for r in rows])
    raw = path.read_bytes()
    try:
        book = grade(path)
    except ValueError as exc:
        # the one whole-file refusal: mostly NUL bytes read as a binary file (exit 2)
        assert "is a binary file" in str(exc), exc
        assert raw.count(b"\x00") > len(raw) // 100
        return
    assert len(book.rows) == len(rows)
    for r in book.rows:
        assert r["status"].startswith(("graded", "bad row")), r["status"]


def test_a_lazy_question_is_imported_on_first_use_only(monkeypatch):
    import types

    module = types.ModuleType("fake_architectures")
    module.VARIANT = variants.Variant(
        "fake_arch",
        "params of a net",
        lambda sid: {"width": sid + 3},
        lambda sid: {"params": float(3 * (sid + 3) + (sid + 3))},
    )
    monkeypatch.setitem(variants.LAZY, "fake_arch", "fake_architectures:VARIANT")
    monkeypatch.delitem(variants.REGISTRY, "fake_arch", raising=False)
    assert "fake_arch" in variants.names() and "fake_arch" not in variants.REGISTRY
    monkeypatch.setitem(sys.modules, "fake_architectures", module)
    try:
        assert variants.key("fake_arch", 2) == {"params": 20.0}
        assert check_variant("fake_arch", "params", 2, "20").passed
    finally:
        variants.REGISTRY.pop("fake_arch", None)
    monkeypatch.setitem(variants.LAZY, "gone", "no_such_module_here:VARIANT")
    with pytest.raises(ValueError, match="cannot be loaded"):
        variants.get("gone")


def test_a_square_matrix_entered_transposed_entry_by_entry_is_diagnosed(tmp_path):
    # with 3 hidden units W2 is 3×3: labels fit either way, the values give it away
    key = variants.key("mlp", 12, hidden=(3,))["dl_dW2"]
    assert not np.allclose(key, key.T)
    labels = [f"dl_dW2[{i},{j}]" for i in (1, 2, 3) for j in (1, 2, 3)]
    values = [f"{key[j - 1, i - 1]:.6f}" for i in (1, 2, 3) for j in (1, 2, 3)]
    (tmp_path / "s.csv").write_text("id;" + ";".join(labels) + "\n12;" + ";".join(values) + "\n")
    res = grade(tmp_path / "s.csv", hidden=(3,)).rows[0]["results"]["dl_dW2"]
    assert res["verdict"] == "wrong" and "transpose of the key" in res["note"]
