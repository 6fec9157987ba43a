"""``python -m derivations show ID [--format text|markdown|latex]``.

An ID names a derivation: ``activations.<name>`` (its derivative, step by step),
``activations.<name>.range`` (how its range follows) or ``activations.softmax``.
"""

from __future__ import annotations

import argparse
import sys

import sympy as sp

from derivations import activations as act

FORMATS = ("text", "markdown", "latex")


def ids() -> list[str]:
    """Every id that ``show`` accepts.

    >>> ids()[:2]
    ['activations.leaky_relu', 'activations.leaky_relu.range']
    """
    out = []
    for name in act.TABLE:
        out += [f"activations.{name}", f"activations.{name}.range"]
    return [*out, "activations.softmax"]


def render(derivation_id: str, fmt: str = "text") -> str:
    """The derivation ``derivation_id`` rendered in ``fmt``, with its check verdict.

    >>> print(render("activations.relu.range"))
    Range of relu: [0, oo)
    ...
    >>> render("activations.swish")
    Traceback (most recent call last):
    ...
    ValueError: id: unknown derivation 'activations.swish'; known: ...
    """
    if fmt not in FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if derivation_id not in ids():
        raise ValueError(f"id: unknown derivation {derivation_id!r}; known: {', '.join(ids())}")
    parts = derivation_id.split(".")
    name = parts[1]
    if len(parts) == 3:
        a = act.get(name)
        if fmt == "text":
            head = f"Range of {name}: {_interval_text(a.output_range)}"
            return "\n".join([head, *(f"  {line}" for line in a.range_facts.lines())])
        interval = sp.latex(a.output_range)
        facts = [f"- {line}" for line in a.range_facts.lines(latex=True)]
        return "\n".join([f"**Range of {name}:** ${interval}$, from:", "", *facts])
    d = act.get(name).derivation
    body = {"text": d.text, "markdown": d.markdown, "latex": d.latex}[fmt]()
    return f"{body}\n\n{d.check()}"


def _interval_text(interval) -> str:
    lo = "(" if interval.left_open else "["
    hi = ")" if interval.right_open else "]"
    return f"{lo}{interval.inf}, {interval.sup}{hi}"


def main(argv=None) -> int:
    """Entry point; returns the exit code (2 for bad arguments).

    >>> main(["show", "activations.nope"])
    2
    """
    parser = argparse.ArgumentParser(prog="python -m derivations")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print a derivation")
    show.add_argument("id", help="e.g. activations.softplus")
    show.add_argument("--format", choices=FORMATS, default="text")
    args = parser.parse_args(argv)
    try:
        print(render(args.id, args.format))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
