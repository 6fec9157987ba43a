"""The per-student architecture question (issue 19's last point): a small CNN drawn from the
student id, its key, and the key through answer-key, grade and check-answer.

Expected values come from torch, not from :mod:`derivations.architectures`: the drawn
numbers are built into a ``torch.nn`` network, each layer's parameter count is its modules'
``numel`` and each shape is read off a real forward pass. The draw's promises (no stride,
padding or dilation of 1 or 0, floors that leave a remainder, no square map, biases that the
grader can see) are re-checked here on the torch shapes by plain arithmetic.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import variants
from derivations.architectures import variant as arch
from derivations.architectures.variant import VARIANT
from derivations.variants import builtin
from verify.grading import Tolerance, check_variant, grade

PY = sys.executable
CONVS = ("conv1", "conv2", "conv3")
#: Ids that test the ends of the range and a few in between (80 is the README's example).
IDS = (0, 1, 80, 12345, 2**31, 2**32 - 1)


def _torch_net(p: dict):
    """The drawn network in torch: ``(modules by name, input shape)``. fc1's input size is
    read off a forward pass of the layers before it, not computed."""
    c, h, w = p["input_shape"]
    mods, channels = {}, c
    for layer in p["layers"]:
        if layer["kind"] == "conv":
            mods[layer["name"]] = torch.nn.Conv2d(
                channels,
                layer["out"],
                layer["kernel"],
                stride=layer["stride"],
                padding=layer["padding"],
                dilation=layer["dilation"],
            )
            channels = layer["out"]
        elif layer["kind"] == "maxpool":
            mods[layer["name"]] = torch.nn.MaxPool2d(
                layer["kernel"], stride=layer["stride"], padding=layer["padding"]
            )
    with torch.no_grad():
        x = torch.zeros(1, c, h, w)
        for m in mods.values():
            x = m(x)
    width = x[0].numel()
    for layer in p["layers"]:
        if layer["kind"] == "dense":
            mods[layer["name"]] = torch.nn.Linear(width, layer["out"])
            width = layer["out"]
    return mods, (c, h, w)


def _torch_key(sid: int) -> dict:
    """The key measured on torch: shapes from the forward pass, counts from ``numel``."""
    p = VARIANT.parameters(sid)
    mods, shape = _torch_net(p)
    assert list(mods) == ["conv1", "conv2", "pool1", "conv3", "fc1", "fc2"]
    out = {"shapes": {}, "params": {}, "biases": 0, "inputs": {}}
    x = torch.zeros(1, *shape)
    with torch.no_grad():
        for name, m in mods.items():
            if isinstance(m, torch.nn.Linear):
                x = x.flatten(1)
            out["inputs"][name] = tuple(x.shape[1:])
            x = m(x)
            out["shapes"][name] = tuple(x.shape[1:])
            out["params"][name] = sum(t.numel() for t in m.parameters())
            out["biases"] += m.bias.numel() if getattr(m, "bias", None) is not None else 0
    out["total"] = sum(out["params"].values())
    out["dense"] = out["params"]["fc1"] + out["params"]["fc2"]
    return out


def _assert_key_matches_torch(sid: int) -> None:
    k, t = arch.answer_key(sid), _torch_key(sid)
    for name in ("conv1", "conv2", "pool1", "conv3"):
        assert tuple(int(v) for v in k[f"{name}_shape"].ravel()) == t["shapes"][name], name
        assert k[f"{name}_shape"].shape == (3, 1)  # a column: whole cells "[C, H, W]" read so
    for name in (*CONVS, "fc1", "fc2"):
        assert k[f"{name}_params"] == t["params"][name], name
    assert "pool1_params" not in k  # pooling holds nothing to ask about
    assert k["fc1_inputs"] == t["inputs"]["fc1"][0]
    assert k["total"] == t["total"]
    assert k["dense_share"] == pytest.approx(t["dense"] / t["total"], rel=1e-12)


@pytest.mark.parametrize("sid", IDS)
def test_the_key_is_the_torch_network(sid):
    _assert_key_matches_torch(sid)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_key_is_the_torch_network_for_any_id(sid):
    _assert_key_matches_torch(sid)


def _floors(n, k, s, p, d=1) -> bool:
    """Does ⌊(n + 2p − d(k − 1) − 1)/s⌋ drop a remainder? (by hand, not the module's code)"""
    return (n + 2 * p - d * (k - 1) - 1) % s != 0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_draw_lets_the_slips_show(sid):
    p = VARIANT.parameters(sid)
    t = _torch_key(sid)
    c, h, w = p["input_shape"]
    assert c > 1 and h != w
    layers = {x["name"]: x for x in p["layers"]}
    channels = [c] + [layers[n]["out"] for n in CONVS]
    assert len(set(channels)) == 4  # C_in never equals C_out: a swap changes the bias count
    for name in ("conv1", "conv2", "pool1", "conv3"):
        x = layers[name]
        _, hin, win = t["inputs"][name]
        _, hout, wout = t["shapes"][name]
        assert hout != wout and min(hout, wout) >= 2
        d = x.get("dilation", 1)
        # some axis floors: an exact division or a rounding would be an off-by-one
        assert _floors(hin, x["kernel"], x["stride"], x["padding"], d) or _floors(
            win, x["kernel"], x["stride"], x["padding"], d
        )
        assert x["stride"] >= 2 and x["padding"] >= 1
        if x["kind"] == "conv":
            assert d >= 2 and x["kernel"] >= 3
        else:
            assert x["kernel"] > x["stride"]
    # the biases are out of the grader's tolerance, for the total and for every layer
    tol = Tolerance()
    assert not tol.ok("total", t["total"] - t["biases"], t["total"])
    for name in (*CONVS, "fc1", "fc2"):
        out = layers[name]["out"]
        assert not tol.ok(name, t["params"][name] - out, t["params"][name])


def test_the_module_margin_is_the_graders_tolerance():
    # the draw guards against the grader's defaults; if those move, the draw must follow
    assert (arch.RTOL, arch.ATOL) == (Tolerance().rtol, Tolerance().atol)


def test_the_draw_is_deterministic_and_pinned():
    assert arch.draw(80) == arch.draw(80) == VARIANT.parameters(80)
    assert arch.answer_key(80)["total"] == arch.answer_key(80)["total"]
    # pinned: a change of numpy's stream or of the draw changes every student's question, so
    # it must be deliberate (and the class told). The key for it is torch's, above.
    p = arch.draw(80)
    assert p["input_shape"] == [3, 105, 68]
    assert [
        (x["out"], x["kernel"], x["stride"], x["padding"], x["dilation"])
        for x in p["layers"]
        if x["kind"] == "conv"
    ] == [(6, 3, 2, 1, 3), (8, 3, 2, 1, 3), (10, 3, 2, 2, 3)]
    assert [x["out"] for x in p["layers"] if x["kind"] == "dense"] == [32, 5]
    # by hand: 3·3·3·6+6, 3·3·6·8+8, 3·3·8·10+10, (10·3·2)·32+32, 32·5+5
    assert arch.answer_key(80)["total"] == 168 + 440 + 730 + 1952 + 165


def test_a_fresh_interpreter_draws_the_same_network():
    code = "from derivations.architectures import variant as v; print(v.draw(4242)['spec'])"
    r = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == arch.draw(4242)["spec"]


def test_different_ids_give_different_networks():
    specs = [(tuple(arch.draw(s)["input_shape"]), arch.draw(s)["spec"]) for s in range(150)]
    assert len(set(specs)) == len(specs)
    # and its own stream: the ridge question's draw does not move it
    assert variants.rng(80, arch.SALT).random() != variants.rng(80, builtin.RIDGE_SALT).random()


@pytest.mark.parametrize(
    "bad, error",
    [(-1, ValueError), (2**32, ValueError), (1.5, TypeError), ("80", TypeError), (True, TypeError)],
)
def test_bad_ids_are_refused(bad, error):
    for call in (arch.draw, arch.answer_key, arch.worked_key):
        with pytest.raises(error, match="student_id"):
            call(bad)
    with pytest.raises(ValueError, match="options"):
        arch.answer_key(3, hidden=(4,))


def _cli(module: str, *args):
    from derivations.__main__ import main as derivations_main
    from verify.__main__ import main as verify_main

    main = {"derivations": derivations_main, "verify": verify_main}[module]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_check_answer_takes_the_total_and_refuses_it_without_biases():
    t = _torch_key(80)
    assert check_variant("architecture", "total", 80, str(t["total"])).passed
    ev = check_variant("architecture", "total", 80, str(t["total"] - t["biases"]))
    assert not ev.passed and ev.witness.point == {"student_id": 80, "entry": "total"}
    code, out, _ = _cli(
        "verify", "check-answer", "--student-id", "80", "architecture.total", str(t["total"])
    )
    assert code == 0 and out.startswith("equivalent")
    code, out, _ = _cli(
        "verify",
        "check-answer",
        "--student-id",
        "80",
        "architecture.total",
        str(t["total"] - t["biases"]),
    )
    assert code == 1 and "not equivalent" in out
    # a shape whole, and one entry of it (1-based: [2] is the height)
    c, h, w = t["shapes"]["conv2"]
    assert check_variant("architecture", "conv2_shape", 80, f"[{c}, {h}, {w}]").passed
    assert not check_variant("architecture", "conv2_shape", 80, f"[{c}, {w}, {h}]").passed
    assert check_variant("architecture", "conv2_shape[2]", 80, str(h)).passed
    code, _, err = _cli("verify", "check-answer", "--student-id", "-3", "architecture.total", "1")
    assert code == 2 and "student_id" in err
    code, _, err = _cli("verify", "check-answer", "--student-id", "80", "architecture.totl", "1")
    assert code == 2 and "total" in err


def _row(sid: int, t: dict) -> dict:
    row = {"student_id": str(sid)}
    for name in ("conv1", "conv2", "pool1", "conv3"):
        for i, v in enumerate(t["shapes"][name], 1):
            row[f"{name}_shape[{i}]"] = str(v)
    for name in CONVS:
        row[f"{name}_params"] = str(t["params"][name])
    row["fc1_inputs"] = str(t["inputs"]["fc1"][0])
    row["fc1_params"], row["fc2_params"] = str(t["params"]["fc1"]), str(t["params"]["fc2"])
    row["total"] = str(t["total"])
    row["dense_share"] = f"{t['dense'] / t['total']:.4f}"
    return row


def test_grade_flags_exactly_the_planted_mistakes(tmp_path):
    ids = (3, 80, 2**32 - 1)
    rows = [_row(s, _torch_key(s)) for s in ids]
    t80, tlast = _torch_key(80), _torch_key(2**32 - 1)
    rows[1]["total"] = str(t80["total"] - t80["biases"])  # the biases forgotten
    # a rounded-up division in conv1, on an axis whose division leaves a remainder (the
    # draw promises one): a ceiling where the formula floors
    p = VARIANT.parameters(2**32 - 1)
    x = p["layers"][0]
    k, st_, pad, d = x["kernel"], x["stride"], x["padding"], x["dilation"]
    axis = next(a for a in (1, 2) if _floors(p["input_shape"][a], k, st_, pad, d))
    num = p["input_shape"][axis] + 2 * pad - d * (k - 1) - 1
    ceil = -(-num // st_) + 1
    assert ceil == tlast["shapes"]["conv1"][axis] + 1
    rows[2][f"conv1_shape[{axis + 1}]"] = str(ceil)
    rows.append({**rows[0], "student_id": "x7"})
    path = tmp_path / "arch.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    book = grade(path, question="architecture")
    assert not book.notes
    verdicts = [
        {q: r["verdict"] for q, r in row["results"].items() if r["verdict"] != "right"}
        for row in book.rows
    ]
    assert verdicts[0] == {}
    assert verdicts[1] == {"total": "wrong"}
    assert verdicts[2] == {"conv1_shape": "wrong"}
    assert book.rows[3]["status"].startswith("bad row")
    # a quantity is a point shared among its entries: one of conv1's three entries is off
    assert [r["score"] for r in book.rows[:3]] == [12.0, 11.0, pytest.approx(11 + 2 / 3)]
    code, out, _ = _cli(
        "verify",
        "grade",
        "--submissions",
        str(path),
        "--question",
        "architecture",
        "--out",
        str(tmp_path / "gb.csv"),
    )
    assert code == 1 and "total: 2 right, 1 wrong" in out


def test_answer_keys_for_a_roster(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\n80,Ada\n7,Bo\n80,Ada again\n")
    code, out, err = _cli(
        "derivations",
        "answer-key",
        "--roster",
        str(roster),
        "--question",
        "architecture",
        "--out",
        str(tmp_path / "keys"),
    )
    assert code == 1 and "duplicate" in err and "wrote 2 answer keys" in out
    with open(tmp_path / "keys" / "summary.csv") as f:
        summary = {r["student_id"]: r for r in csv.DictReader(f)}
    for sid in (80, 7):
        t = _torch_key(sid)
        assert float(summary[str(sid)]["total"]) == t["total"]
        assert float(summary[str(sid)]["conv3_shape[3]"]) == t["shapes"]["conv3"][2]
    # the class's own key file grades full marks
    book = grade(tmp_path / "keys" / "summary.csv", question="architecture")
    assert [r["score"] for r in book.rows] == [12.0, 12.0]


def test_the_worked_keys(tmp_path):
    t = _torch_key(80)
    code, md, _ = _cli(
        "derivations", "answer-key", "--student-id", "80", "--question", "architecture"
    )
    assert code == 0 and md.startswith("# Answer key — student 80")
    assert arch.draw(80)["spec"] in md
    c, h, w = t["shapes"]["conv1"]
    assert f"**{c}×{h}×{w}**" in md and f"**{t['total']}**" in md
    # the substitution is shown: conv1's count with its numbers, as the rule writes it
    c_in = arch.draw(80)["input_shape"][0]
    x = arch.draw(80)["layers"][0]
    assert f"{x['kernel']}·{x['kernel']}·{c_in}·{c} + {c}" in md
    tex = arch.worked_key(80, "latex")
    assert "\\begin{align*}" in tex and "\\left\\lfloor" in tex and f"= {t['total']} \\\\" in tex
    doc = json.loads(arch.worked_key(80, "json"))
    assert doc["question"] == "architecture" and doc["key"]["total"] == t["total"]
    assert doc["key"]["conv1_shape"] == [[c], [h], [w]]
    assert [s["quantity"] for s in doc["work"]] == list(arch.answer_key(80))
    code, _, err = _cli(
        "derivations",
        "answer-key",
        "--student-id",
        "80",
        "--question",
        "architecture",
        "--lr",
        "0.5",
    )
    assert code == 2 and "mlp" in err


@pytest.mark.parametrize("sid", [80, 4711])
def test_counts_and_shapes_are_graded_exactly(sid):
    # a count one off (a single bias forgotten) is wrong, though within 0.1% of the key
    t = _torch_key(sid)
    assert check_variant("architecture", "total", sid, str(t["total"])).passed
    assert not check_variant("architecture", "total", sid, str(t["total"] + 1)).passed
    assert not check_variant("architecture", "fc1_params", sid, str(t["params"]["fc1"] - 1)).passed
    # the share of the dense layers is a ratio: read to the usual tolerance
    share = (t["params"]["fc1"] + t["params"]["fc2"]) / t["total"]
    assert check_variant("architecture", "dense_share", sid, f"{share:.5f}").passed
