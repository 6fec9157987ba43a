"""Figures: functions that return matplotlib figures, one module per topic.

Each topic module exposes ``FIGURES``, a dict from a figure id to a function returning a
``matplotlib.figure.Figure``. :func:`save` writes PNG and SVG with fixed metadata so two
runs give identical bytes.

>>> sorted(load("activations"))[:2]
['activations.elu', 'activations.gelu']
"""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from derivations.topics import TOPICS  # noqa: E402 - the one list of topics, in book order

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.family": "DejaVu Sans",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "derived-and-verified",  # fixed ids inside SVG files
    "svg.fonttype": "path",
}


def load(topic: str) -> dict:
    """The ``FIGURES`` dict of one topic (importing that topic only); a ``ValueError`` lists
    the topics otherwise.

    >>> load("nope")
    Traceback (most recent call last):
    ...
    ValueError: topic: unknown topic 'nope'; allowed: activations, mlp, ...
    """
    if topic not in TOPICS:
        raise ValueError(f"topic: unknown topic {topic!r}; allowed: {', '.join(TOPICS)}")
    return importlib.import_module(f"figures.{topic}").FIGURES


def png(fig) -> bytes:
    """The figure as PNG bytes (same settings as :func:`save`), then closed; for pages.

    >>> fig, ax = plt.subplots()
    >>> png(fig)[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def save(fig, stem: Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` with no timestamps; returns the paths.

    >>> import tempfile
    >>> fig, ax = plt.subplots()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.suffix for p in save(fig, Path(d) / "demo")]
    ['.png', '.svg']
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    # Figure ids hold dots (activations.relu): append the suffix, don't replace one.
    paths = [stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.svg"]
    with plt.rc_context(STYLE):
        fig.savefig(paths[0], metadata={"Software": None})
        fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths
