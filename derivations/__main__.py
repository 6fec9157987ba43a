"""``python -m derivations show ID [--format text|markdown|latex]`` and
``python -m derivations answer-key (--student-id N | --params FILE) [--activation
relu|leaky_relu] [--slope A] [--hidden W1,W2,…] [--label-smoothing A] [--format …]`` and
``python -m derivations architecture NAME|--spec TEXT [--input CxHxW] [--format
text|markdown|json]``.

An ID names a derivation of some topic: each topic module ``derivations.<topic>`` lists its
own in ``DERIVATIONS`` (id -> zero-argument builder), and ``ids()`` lists them all. ``answer-key`` prints a worked solution of the
course's SGD step for one student: each quantity's formula, substituted values and result.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from derivations.topics import topics_matching

FORMATS = ("text", "markdown", "latex")


def table(prefix: str = "") -> dict[str, Callable]:
    """Id -> builder of every derivation whose id starts with ``prefix``, in book order; only
    the topics the prefix can name are imported.

    >>> list(table("activations.relu"))
    ['activations.relu', 'activations.relu.range']
    """
    out: dict[str, Callable] = {}
    for topic in topics_matching(prefix):
        found = importlib.import_module(f"derivations.{topic}").DERIVATIONS
        out.update({k: v for k, v in found.items() if k.startswith(prefix)})
    return out


def ids() -> list[str]:
    """Every id that ``show`` accepts.

    >>> ids()[:2]
    ['activations.leaky_relu', 'activations.leaky_relu.range']
    """
    return list(table())


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
    if not isinstance(derivation_id, str):
        raise TypeError(f"id: a string is required, got {type(derivation_id).__name__}")
    found = table(derivation_id.split(".", 1)[0]) if "." in derivation_id else {}
    if derivation_id not in found:
        raise ValueError(f"id: unknown derivation {derivation_id!r}; known: {', '.join(ids())}")
    d = found[derivation_id]()
    if hasattr(d, "render"):
        return d.render(fmt)
    body = {"text": d.text, "markdown": d.markdown, "latex": d.latex}[fmt]()
    return f"{body}\n\n{d.check()}"


def _read_params(path: str) -> dict:
    """The weights in a JSON file: an object with ``W1, b1, W2, b2`` (and ``W3, b3``, … for
    more hidden layers) as nested lists of numbers, read strictly
    (:func:`derivations.arguments.json_file`: size-limited, no ``NaN``, no bools or strings
    for numbers).

    >>> _read_params("/nonexistent.json")
    Traceback (most recent call last):
    ...
    ValueError: params: a readable JSON file is required, got /nonexistent.json: ...
    """
    from derivations import arguments as arg

    data = arg.json_file(path, "params")
    if not isinstance(data, dict) or not data:
        raise ValueError(
            f"params: {path} must hold a JSON object with keys W1, b1, W2, b2 (W3, b3, …)"
        )
    for k, v in data.items():
        arg.numbers_only(v, f"params['{k}']", depth=2)
    return data


def _hidden(text: str) -> tuple[int, ...]:
    """``--hidden 4,3`` as widths ``(4, 3)``.

    >>> _hidden("4, 3")
    (4, 3)
    >>> _hidden("4,x")
    Traceback (most recent call last):
    ...
    ValueError: hidden: comma-separated positive integers are required, got '4,x'
    """
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError(f"hidden: comma-separated positive integers are required, got {text!r}")
    if any(len(p) > 6 for p in parts):  # a width of a million is already refused by name
        raise ValueError(f"hidden: widths of at most 6 digits are required, got {text[:40]!r}")
    return tuple(int(p) for p in parts)


def _architecture(name, spec, shape, fmt: str) -> str:
    """The table of a named network or of a spec typed in VGG notation.

    >>> print(_architecture(None, "CONV3-8 POOL2 FC-10", "1x8x8", "markdown"))
    | layer | output | parameters | MACs |
    |---|---|---:|---:|
    | input | 1×8×8 | 0 | 0 |
    | conv1 | 8×8×8 | 80 | 4608 |
    | pool1 | 8×4×4 | 0 | 0 |
    | fc1 | 10 | 1290 | 1280 |
    | **total** |  | **1370** | **5888** |
    <BLANKLINE>
    shares of the parameters: conv 5.84%, dense 94.16%, batchnorm 0.00%
    """
    from derivations import architectures as arch

    if name is not None:
        if name not in arch.NETWORKS:
            raise ValueError(f"name: one of {', '.join(arch.NETWORKS)} is required, got {name!r}")
        network = arch.NETWORKS[name]
    else:
        network = arch.parse(spec)
    return arch.table(network, shape).render(fmt)


class _OneLineParser(argparse.ArgumentParser):
    """Bad arguments get one line naming the argument (and exit code 2), not the usage text."""

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def main(argv=None) -> int:
    """Entry point; returns the exit code (2 for bad arguments).

    >>> main(["show", "activations.nope"])
    2
    >>> main(["answer-key", "--student-id", "7", "--label", "4"])
    2
    """
    # The answer key is the mlp topic's; it loads only when the command line is parsed.
    from derivations.mlp import key as mlp_key
    from derivations.mlp.solution import FORMATS as KEY_FORMATS
    from derivations.mlp.solution import worked_solution

    parser = _OneLineParser(prog="python -m derivations")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print a derivation")
    show.add_argument("id", help="e.g. activations.softplus")
    show.add_argument("--format", choices=FORMATS, default="text")
    key = sub.add_parser(
        "answer-key", help="worked solution of one SGD step of the course network for one student"
    )
    source = key.add_mutually_exclusive_group(required=True)
    source.add_argument("--student-id", type=int, help="weights from the course's generator")
    source.add_argument(
        "--params",
        metavar="FILE",
        help="weights read off a diagram: a JSON object with W1, b1, W2, b2, … as nested lists",
    )
    source.add_argument(
        "--roster", metavar="CSV", help="a class list: one key per student id, into --out DIR"
    )
    key.add_argument("--out", metavar="DIR", help="with --roster: the folder of the keys")
    key.add_argument(
        "--question",
        default="mlp",
        help="the question: mlp (default), ridge, initialization, architecture (derivations.variants)",
    )
    key.add_argument(
        "--x", type=float, nargs="+", default=list(mlp_key.X), help="the input, e.g. --x 1 -1 1.5"
    )
    key.add_argument("--label", type=int, default=mlp_key.LABEL, help="1-based class")
    key.add_argument("--lr", type=float, default=mlp_key.LR, help="learning rate η")
    key.add_argument("--label-smoothing", type=float, default=0.0, help="α in [0, 1)")
    key.add_argument(
        "--activation",
        choices=mlp_key.ACTIVATIONS,
        default="leaky_relu",
        help="of every hidden layer (default leaky_relu)",
    )
    key.add_argument(
        "--slope", type=float, help="LeakyReLU's negative slope a in [0, 1) (default 0.01)"
    )
    key.add_argument(
        "--hidden",
        metavar="W1,W2,…",
        help="hidden widths, e.g. 4,4 for 3 → 4 → 4 → 3 (default 4; with --params, as given)",
    )
    key.add_argument("--format", choices=KEY_FORMATS, default="markdown")
    key.add_argument("--digits", type=int, default=5, help="decimals shown (json: all)")
    arch = sub.add_parser(
        "architecture", help="per-layer output shapes, parameters and MACs of a network"
    )
    which = arch.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?", help="a named network, e.g. vgg11")
    which.add_argument("--spec", help='a network in VGG notation, e.g. "CONV3-64 POOL2 FC-10"')
    arch.add_argument("--input", help="input shape C×H×W, e.g. 3x224x224 (default: the network's)")
    arch.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        if args.command == "answer-key" and (args.roster or args.question != "mlp"):
            return _instructors(args)
        if args.command == "architecture":
            print(_architecture(args.name, args.spec, args.input, args.format))
            return 0
        if args.command == "answer-key":
            print(
                worked_solution(
                    args.student_id,
                    params=None if args.params is None else _read_params(args.params),
                    x=tuple(args.x),
                    fmt=args.format,
                    digits=args.digits,
                    label=args.label,
                    lr=args.lr,
                    label_smoothing=args.label_smoothing,
                    activation=args.activation,
                    slope=args.slope,
                    hidden=None if args.hidden is None else _hidden(args.hidden),
                ),
                end="",
            )
            return 0
        print(render(args.id, args.format))
    except (ValueError, TypeError, OverflowError) as exc:  # bad input: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _instructors(args) -> int:
    """``answer-key --roster`` (a class's keys) and ``--question`` (a per-student variant)."""
    from derivations import roster, variants

    variants.get(args.question)  # an unknown question is refused by name
    if args.question != "mlp":
        from derivations.mlp import key as mlp_key

        changed = [
            name
            for name, value, default in (
                ("--hidden", args.hidden, None),
                ("--activation", args.activation, "leaky_relu"),
                ("--slope", args.slope, None),
                ("--label-smoothing", args.label_smoothing, 0.0),
                ("--label", args.label, mlp_key.LABEL),
                ("--lr", args.lr, mlp_key.LR),
                ("--x", tuple(args.x), mlp_key.X),
            )
            if value != default
        ]
        if changed:
            raise ValueError(
                f"{', '.join(changed)}: options of the mlp question, not of {args.question}"
            )
    if args.hidden is not None:
        args.hidden = _hidden(args.hidden)
    if args.roster is None:
        if args.params is not None:
            raise ValueError(f"params: only the mlp question reads weights, not {args.question}")
        fmt = "markdown" if args.format == "text" else args.format
        print(variants.worked(args.question, args.student_id, fmt), end="")
        return 0
    if args.out is None:
        raise ValueError("out: --roster needs --out DIR, the folder the keys are written to")
    if args.format == "text":
        raise ValueError("format: --roster writes markdown, latex or json keys, got text")
    return roster.main_roster(args)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:
        # the reader stopped early (`| head`): nothing more to say, and no traceback; stdout
        # goes to /dev/null so that the interpreter's final flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
