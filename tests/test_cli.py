"""The command lines: python -m verify, python -m derivations."""

import json
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
