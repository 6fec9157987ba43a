"""Figures: every one exported as PNG and SVG, byte-identical across runs."""

import subprocess
import sys
from pathlib import Path

import pytest

import figures
from figures import activations as fa

ROOT = Path(__file__).resolve().parents[1]
EXTS = ("png", "svg")


def _export(out: Path, *extra: str) -> dict[str, bytes]:
    subprocess.run(
        [sys.executable, "-m", "figures", "--out", str(out), *extra],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_two_runs_give_identical_bytes(tmp_path):
    first = _export(tmp_path / "a")
    second = _export(tmp_path / "b", "--only", "activations")
    every = {f"{fid}.{ext}" for t in figures.TOPICS for fid in figures.load(t) for ext in EXTS}
    assert set(first) == every
    acts = {f"{fid}.{ext}" for fid in fa.FIGURES for ext in EXTS}
    assert set(second) == acts
    assert {k: first[k] for k in acts} == second
    assert all(len(b) > 1000 for b in first.values())
    assert first["activations.relu.png"].startswith(b"\x89PNG")
    assert b"<svg" in first["activations.relu.svg"][:2000]


def test_unknown_topic_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "figures", "--only", "nope", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "invalid choice: 'nope'" in result.stderr


def test_function_and_derivative_are_plotted_together():
    fig = fa.figure("softplus")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "softplus(x)" in labels and "softplus′(x)" in labels


def test_kinks_are_marked():
    fig = fa.figure("relu")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "autograd at the kink" in labels
    assert "autograd at the kink" not in [
        ln.get_label() for ln in fa.figure("tanh").axes[0].get_lines()
    ]


def test_bad_names():
    with pytest.raises(ValueError, match="name: unknown activation"):
        fa.figure("swish")
    with pytest.raises(ValueError, match="topic: unknown topic"):
        figures.load("nope")
