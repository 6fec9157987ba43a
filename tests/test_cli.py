"""The command lines: python -m verify, python -m derivations."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
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
    assert bad.returncode == 2 and "params: a dict with key 'b2' is required" in bad.stderr
    both = _run("derivations", "answer-key", "--params", str(path), "--student-id", "3")
    assert both.returncode == 2 and "not allowed" in both.stderr


# --- answer-key: other networks and bad input (issue 10, points 8 and 11) --------------------
def _key_json(*args):
    result = _run("derivations", "answer-key", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    # strict JSON: NaN or Infinity would raise here
    return json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))


def test_answer_key_fit3181_relu_three_layers():
    """3 → 4 → 4 → 3 ReLU for student 80, against torch on the course's recipe continued."""
    from verify import mlp as vm

    data = _key_json("--student-id", "80", "--activation", "relu", "--hidden", "4,4")
    values = {q["key"]: q["value"] for q in data["quantities"]}
    ref = vm.reference(vm.course_parameters_deep(80, (4, 4)), (1, -1, 1.5), 3, activation="relu")
    assert list(values) == list(ref)
    for k in ("h2_bar", "h3", "loss", "dl_dW1", "dl_dW2", "W3_new"):
        np.testing.assert_allclose(values[k], ref[k], rtol=1e-12, atol=1e-12, err_msg=k)
    assert values["y_hat"] == ref["y_hat"] and data["inputs"]["widths"] == [3, 4, 4, 3]
    text = _run("derivations", "answer-key", "--student-id", "80", "--activation", "relu",
                "--hidden", "4,4", "--format", "text").stdout  # fmt: skip
    assert "ŷ = argmaxᵢ h³ᵢ" in text and f"  = {ref['y_hat']}" in text


def test_answer_key_leaky_slope_and_two_hidden_widths():
    from verify import mlp as vm

    data = _key_json("--student-id", "35", "--hidden", "4,3", "--slope", "0.2")
    values = {q["key"]: q["value"] for q in data["quantities"]}
    ref = vm.reference(vm.course_parameters_deep(35, (4, 3)), (1, -1, 1.5), 3, slope=0.2)
    assert (ref["h1_bar"] < 0).any()  # the slope matters on this id
    np.testing.assert_allclose(values["dl_dW1"], ref["dl_dW1"], rtol=1e-12, atol=1e-12)
    assert data["inputs"]["slope"] == 0.2 and data["inputs"]["activation"] == "leaky_relu"


def _assert_refused(result, name):
    assert result.returncode == 2, (result.returncode, result.stdout[:200])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"error: {name}"), lines[0]


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("--student-id", "3", "--activation", "relu", "--slope", "0.1"), "slope:"),
        (("--student-id", "3", "--slope", "1.5"), "slope:"),
        (("--student-id", "3", "--slope", "nan"), "slope:"),
        (("--student-id", "3", "--hidden", "4,x"), "hidden:"),
        (("--student-id", "3", "--hidden", "4,0"), "hidden[1]:"),
        (("--student-id", "3", "--hidden", ""), "hidden:"),
        (("--student-id", "3", "--hidden", "1" * 50), "hidden:"),
        (("--student-id", "3", "--lr", "inf"), "lr:"),
        (("--student-id", "3", "--x", "1", "nan", "2"), "x:"),
        (("--student-id", "3", "--x", "1", "1e400", "2"), "x:"),
        (("--student-id", "80", "--x", "10", "-10", "15", "--label", "1", "--lr", "1e308"), "lr:"),
        (
            (
                "--student-id",
                "80",
                "--x",
                "10",
                "-10",
                "15",
                "--label",
                "1",
                "--lr",
                "1e308",
                "--format",
                "json",
            ),
            "lr:",
        ),  # fmt: skip
        (("--student-id", "80", "--x", "1e308", "1e308", "1e308"), "params, x:"),
        (("--params", "/dev/zero"), "params:"),
        # argparse's own refusals, one line as well: complex numbers, bools, floats for ints
        (("--student-id", "3", "--lr", "1+2j"), "argument --lr:"),
        (("--student-id", "3", "--x", "1", "2j", "3"), "argument --x:"),
        (("--student-id", "3", "--label", "true"), "argument --label:"),
        (("--student-id", "2.5"), "argument --student-id:"),
        (("--student-id", "3", "--activation", "tanh"), "argument --activation:"),
    ],
)
def test_answer_key_refuses_bad_input_in_one_line(args, name):
    _assert_refused(_run("derivations", "answer-key", *args), name)


def test_answer_key_lr_1e308_is_fine_when_the_step_stays_finite():
    """η = 1e308 is refused only where θ − η g overflows; where it does not, the JSON holds the
    finite update (θ − η g computed here from the printed gradient)."""
    data = _key_json("--student-id", "80", "--lr", "1e308")
    values = {q["key"]: q["value"] for q in data["quantities"]}
    old, grad = data["inputs"]["b2"], values["dl_db2"]
    assert values["b2_new"] == [[o[0] - 1e308 * g[0]] for o, g in zip(old, grad, strict=True)]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        ('{"W1": [[1' + "0" * 400 + ', 0.5, 0.25]], "b1": [[0.5]], "W2": [[0.5], [0.25]], '
         '"b2": [[0.5], [0.25]]}', "params:"),
        ("[" * 100_000 + "]" * 100_000, "params:"),
        ('{"W1": [[true, 0.5, 0.25]], "b1": [[0.5]], "W2": [[0.5], [0.25]], "b2": [[0.5], [0.25]]}',
         "params['W1'][0][0]:"),
        ('{"W1": [["1", 0.5, 0.25]], "b1": [[0.5]], "W2": [[0.5], [0.25]], "b2": [[0.5], [0.25]]}',
         "params['W1'][0][0]:"),
        ('{"W1": [[NaN, 0.5, 0.25]], "b1": [[0.5]], "W2": [[0.5], [0.25]], "b2": [[0.5], [0.25]]}',
         "params:"),
        ('{"W1": [[1e400, 0.5, 0.25]], "b1": [[0.5]], "W2": [[0.5], [0.25]], "b2": [[0.5], [0.25]]}',
         "params:"),
        ('{"W1": [[0.5, 0.5, 0.25]], "W1": [[0.5, 0.5, 0.25]], "b1": [[0.5]], "W2": [[0.5], [0.25]],'
         ' "b2": [[0.5], [0.25]]}', "params:"),
        ('{"W1": [[[0.5], 0.5, 0.25]], "b1": [[0.5]], "W2": [[0.5], [0.25]], "b2": [[0.5], [0.25]]}',
         "params['W1']:"),
        ('{"W1": [[1e300, 0.5, 0.25]], "b1": [[0.5]], "W2": [[1e300], [0.25]], "b2": [[0.5], [0.25]]}',
         "params, x:"),
        ("\xff\xfe", "params:"),
    ],
)  # fmt: skip
def test_answer_key_params_file_is_read_strictly(tmp_path, content, name):
    path = tmp_path / "w.json"
    path.write_bytes(content.encode("latin-1") if content == "\xff\xfe" else content.encode())
    _assert_refused(_run("derivations", "answer-key", "--params", str(path), "--label", "1"), name)


def test_answer_key_params_of_a_three_layer_net_from_a_file(tmp_path):
    # x = (1, −1, 1.5); W¹ picks x₁ and x₂ (h̄¹ = (1, −1)); ReLU gives h¹ = (1, 0); W² = 2·I
    # gives h² = (2, 0); W³ = I: logits (2, 0), so by hand l = log(1 + e^{−2}) for y = 1, ŷ = 1
    weights = {"W1": [[1, 0, 0], [0, 1, 0]], "b1": [[0], [0]], "W2": [[2, 0], [0, 2]],
               "b2": [[0], [0]], "W3": [[1, 0], [0, 1]], "b3": [[0], [0]]}  # fmt: skip
    path = tmp_path / "w.json"
    path.write_text(json.dumps(weights))
    data = _key_json("--params", str(path), "--label", "1", "--activation", "relu")
    values = {q["key"]: q["value"] for q in data["quantities"]}
    assert values["h1"] == [[1.0], [0.0]] and values["h3"] == [[2.0], [0.0]]
    assert math.isclose(values["loss"], math.log1p(math.exp(-2.0)), rel_tol=1e-12)
    assert values["y_hat"] == 1 and data["ties"] == []
    bad = _run("derivations", "answer-key", "--params", str(path), "--hidden", "2,3")
    _assert_refused(bad, "hidden:")


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "check-answer", "activations.relu.derivative", "Heaviside(x, 0)"],
        ["derivations", "answer-key", "--student-id", "3", "--hidden", "64,64"],  # 300 kB
    ],
)
def test_a_reader_that_stops_early_gets_no_traceback(args):
    # `| head -c 1`: the pipe closes after one byte while the command still writes
    proc = subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err
