"""The command lines: python -m verify, python -m derivations."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from verify import __main__ as verify_cli
from verify import claims
from verify.claims import Claim, Evidence

ROOT = Path(__file__).resolve().parents[1]


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_verify_prints_a_table_and_writes_json(tmp_path):
    out = tmp_path / "evidence.json"
    result = _run("verify", "--only", "activations.relu", "--json", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "activations.relu.derivative" in result.stdout
    assert "3 passed, 0 failed" in result.stdout
    data = json.loads(out.read_text())
    assert {d["claim_id"] for d in data} == {
        "activations.relu.derivative",
        "activations.relu.range",
        "activations.relu.kink",
    }
    assert all(d["passed"] and d["seed"] == 3 for d in data)


def test_verify_exits_1_when_a_claim_fails(monkeypatch, capsys):
    bad = Claim(
        "zz.always.false",
        "zz",
        "false",
        "exact",
        lambda cand, seed: Evidence("zz.always.false", "exact", False, message="no"),
    )
    monkeypatch.setitem(claims._REGISTRY, bad.id, bad)
    assert verify_cli.run_main(["--only", "zz."]) == 1
    assert "0 passed, 1 failed" in capsys.readouterr().out


def test_verify_unknown_prefix_exits_2():
    result = _run("verify", "--only", "nope")
    assert result.returncode == 2 and "prefix: no claim id starts with 'nope'" in result.stderr


@pytest.mark.parametrize(
    ("fmt", "marker"), [("text", "[chain"), ("markdown", "$"), ("latex", "\\begin{aligned}")]
)
def test_derivations_show(fmt, marker):
    result = _run("derivations", "show", "activations.softplus", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout.lower() if fmt == "text" else marker in result.stdout
    assert "proved, 0 numeric-only, 0 failed" in result.stdout


def test_derivations_show_range_and_unknown_id():
    result = _run("derivations", "show", "activations.silu.range")
    assert "Range of silu: [-LambertW(exp(-1)), oo)" in result.stdout
    bad = _run("derivations", "show", "activations.swish")
    assert bad.returncode == 2 and "unknown derivation 'activations.swish'" in bad.stderr


def test_derivations_show_an_mlp_derivation():
    result = _run("derivations", "show", "mlp.backprop.dl_dW2", "--format", "latex")
    assert result.returncode == 0, result.stderr
    assert "\\begin{aligned}" in result.stdout
    assert "2 proved, 0 numeric-only, 0 failed" in result.stdout


def test_answer_key_prints_formula_substitution_and_result():
    result = _run("derivations", "answer-key", "--student-id", "80", "--format", "text")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    i = lines.index("∂l/∂b² = δ²")
    # formula, then the substituted values, then the result
    assert lines[i + 1].startswith("  = (") and lines[i + 2].startswith("  = (")
    assert "label y = 3" in lines[0] and "η = 0.01" in lines[0]


def test_answer_key_json_with_smoothing_label_and_rate():
    args = ("--student-id", "5", "--label", "1", "--lr", "0.5", "--label-smoothing", "0.2")
    result = _run("derivations", "answer-key", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["inputs"] | {"label": 1, "lr": 0.5, "label_smoothing": 0.2} == data["inputs"]
    values = {q["key"]: q["value"] for q in data["quantities"]}
    # the update is θ − η ∂l/∂θ with η = 0.5, read back from the printed numbers
    grad, new = (sum(values[k], []) for k in ("dl_db2", "b2_new"))
    old = sum(data["inputs"]["b2"], [])
    assert new == pytest.approx([o - 0.5 * g for o, g in zip(old, grad, strict=True)], abs=1e-15)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--student-id", "3", "--label", "0"), "label:"),
        (("--student-id", "3", "--lr", "-0.1"), "lr:"),
        (("--student-id", "3", "--label-smoothing", "1"), "label_smoothing:"),
        (("--student-id", "-4"), "student_id:"),
        (("--student-id", "2.5"), "--student-id"),
    ],
)
def test_answer_key_bad_input_exits_2(args, message):
    result = _run("derivations", "answer-key", *args)
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.parametrize("topic", ["mlp", "layers", "optimizers", "initialization", "ridge"])
def test_derivations_show_lists_and_renders_every_topic(topic):
    from derivations.__main__ import ids, render

    mine = [i for i in ids() if i.startswith(f"{topic}.")]
    assert mine, f"no {topic} derivation is showable"
    text = render(mine[0], "markdown")
    assert " 0 failed" in text and "proved" in text


def test_verify_reruns_claims_over_several_seeds():
    result = _run("verify", "--only", "activations.relu.kink", "--seed", "3", "--seeds", "2")
    assert result.returncode == 0, result.stderr
    assert "seed 3: 1 passed" in result.stdout and "seed 4: 1 passed" in result.stdout
    assert "2 passed, 0 failed" in result.stdout
    none = _run("verify", "--only", "activations", "--method", "monte-carlo")
    assert none.returncode == 2 and "--method" in none.stderr


def test_answer_key_from_weights_read_off_a_diagram(tmp_path):
    # W1 picks x1 and x2, W2 is the identity: by hand h̄¹ = (1, −1), h¹ = (1, −0.01), and
    # with label 1 the loss is log(1 + e^{−1.01}).
    weights = {"W1": [[1, 0, 0], [0, 1, 0]], "b1": [[0], [0]], "W2": [[1, 0], [0, 1]]}
    path = tmp_path / "w.json"
    path.write_text(json.dumps({**weights, "b2": [[0], [0]]}))
    result = _run(
        "derivations", "answer-key", "--params", str(path), "--label", "1", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    values = {q["key"]: q["value"] for q in json.loads(result.stdout)["quantities"]}
    assert values["h1_bar"] == [[1.0], [-1.0]]
    assert values["h1"] == [[1.0], [-0.01]]
    assert math.isclose(values["loss"], math.log1p(math.exp(-1.01)), rel_tol=1e-12)
    short = tmp_path / "short.json"
    short.write_text(json.dumps(weights))
    bad = _run("derivations", "answer-key", "--params", str(short))
    assert bad.returncode == 2 and "W1, b1, W2, b2" in bad.stderr
    both = _run("derivations", "answer-key", "--params", str(path), "--student-id", "3")
    assert both.returncode == 2 and "not allowed" in both.stderr
