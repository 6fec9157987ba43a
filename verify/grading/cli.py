"""``python -m verify grade`` and ``python -m verify check-answer --student-id``.

python -m verify grade --submissions answers.csv [--out gradebook.csv] [--question Q]
                       [--rtol R] [--atol A] [--index-base auto|0|1] [the key's options]
python -m verify check-answer --student-id N QUESTION.QUANTITY ANSWER [the key's options]

The key's options are those of ``python -m derivations answer-key`` (``--hidden``,
``--activation``, ``--slope``, ``--label``, ``--lr``, ``--label-smoothing``, ``--x``) and
choose the variant of the MLP question the class was given. ``grade`` prints the report
(tolerance, file notes, rows not graded, counts) and writes the gradebook
(:mod:`verify.grading.grade`); exit 0 when every row was graded, 1 when some were reported,
2 when the file cannot be read or the arguments are bad. ``check-answer --student-id`` checks
one typed answer to a per-student question (``mlp.loss``, ``mlp.dl_dW2[1,3]``,
``ridge.optimal_mu``, a whole matrix as ``[[…], […]]``) with the same tolerance; exit 0
right, 1 wrong, 2 bad input. Without ``--student-id``, ``check-answer`` is the claims' own
(:mod:`verify.answers.cli`).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from derivations import variants
from verify.evidence import EQUIVALENT, NOT_EQUIVALENT, Evidence, Witness
from verify.grading.grade import Tolerance, grade, report, write
from verify.grading.reading import parse_cell, parse_label, resolve


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _key_options(p: argparse.ArgumentParser) -> None:
    from derivations.mlp import key as mlp_key

    p.add_argument(
        "--question", default="mlp", help="mlp (default), ridge, initialization, architecture"
    )
    p.add_argument("--hidden", metavar="W1,W2,…", help="mlp: hidden widths (default 4)")
    p.add_argument("--activation", choices=mlp_key.ACTIVATIONS, help="mlp: default leaky_relu")
    p.add_argument("--slope", type=float, help="mlp: LeakyReLU's slope (default 0.01)")
    p.add_argument("--label", type=int, help="mlp: the 1-based class (default 3)")
    p.add_argument("--lr", type=float, help="mlp: learning rate (default 0.01)")
    p.add_argument("--label-smoothing", type=float, help="mlp: α in [0, 1) (default 0)")
    p.add_argument("--x", type=float, nargs="+", help="mlp: the input (default 1 -1 1.5)")
    p.add_argument("--rtol", type=float, default=Tolerance.rtol, help="default 1e-3")
    p.add_argument("--atol", type=float, default=Tolerance.atol, help="default 1e-4")


def _options(args) -> dict:
    from derivations.__main__ import _hidden

    given = {
        "hidden": None if args.hidden is None else _hidden(args.hidden),
        "activation": args.activation,
        "slope": args.slope,
        "label": args.label,
        "lr": args.lr,
        "label_smoothing": args.label_smoothing,
        "x": None if args.x is None else tuple(args.x),
    }
    options = {k: v for k, v in given.items() if v is not None}
    if options and args.question != "mlp":
        raise ValueError(
            f"{', '.join('--' + k.replace('_', '-') for k in options)}: "
            f"options of the mlp question, not of {args.question}"
        )
    return options


def grade_main(argv=None) -> int:
    """``grade``'s entry point; returns the exit code.

    >>> grade_main(["--submissions", "/nonexistent.csv"])
    2
    """
    p = _Parser(prog="python -m verify grade", description="Grade a class's submissions CSV.")
    p.add_argument("--submissions", required=True, metavar="CSV", help="one row per student")
    p.add_argument(
        "--out", metavar="CSV", help="the gradebook (default: <submissions>_gradebook.csv)"
    )
    p.add_argument(
        "--index-base",
        choices=("auto", "0", "1"),
        default="auto",
        help="how entry labels count (default auto: 1-based unless the file is 0-based)",
    )
    _key_options(p)
    try:
        args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        tol = Tolerance(args.rtol, args.atol)
        book = grade(
            args.submissions,
            question=args.question,
            tolerance=tol,
            index=args.index_base,
            **_options(args),
        )
        src = Path(args.submissions)
        out = write(book, args.out or src.with_name(f"{src.stem}_gradebook.csv"))
    except (ValueError, TypeError, OverflowError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(book))
    print(f"gradebook: {out}")
    return 0 if all(r["status"] == "graded" for r in book.rows) else 1


def check_variant(question, label, student_id, text, *, tolerance=None, **options) -> Evidence:
    """Check one typed answer to a per-student question: ``label`` is a quantity or an entry
    of it (1-based), ``text`` a number or a bracketed matrix.

    >>> k = variants.key("ridge", 9)
    >>> check_variant("ridge", "optimal_mu", 9, str(k["optimal_mu"])).verdict
    'equivalent'
    >>> print(check_variant("mlp", "dl_dW2[1,3]", 80, "0.1").message)
    not equivalent: for student 80, dl_dW2[1,3]: your answer gives 0.1, the key gives ...
    """
    tol = dataclasses.replace(tolerance or Tolerance(), exact=variants.get(question).exact)
    sid = variants.student_id(student_id)
    key = variants.key(question, sid, **options)
    name, idx = parse_label(label)
    if name not in key:
        raise ValueError(f"quantity: one of {', '.join(key)} is required, got {name!r}")
    ref = np.asarray(key[name], dtype=float)
    pos = resolve(name, idx, ref.shape, 1)
    if pos is None and (idx is not None or ref.ndim == 0):
        raise ValueError(f"{label}: no such entry; {name} has shape {ref.shape} (1-based labels)")
    value = parse_cell(text)
    if value is None:
        raise ValueError("answer: a number (or a bracketed matrix) is required, got nothing")
    answer = np.asarray(value, dtype=float)
    expected = ref[pos] if pos is not None else ref
    if answer.shape != np.shape(expected):
        raise ValueError(f"answer: shape {np.shape(expected)} is required, got {answer.shape}")
    cid = f"{question}.{label.strip()}@{sid}"
    bad = [
        p
        for p in np.ndindex(answer.shape)
        if not tol.ok(name, float(answer[p]), float(np.asarray(expected)[p]))
    ]
    if not bad:
        return Evidence(
            cid,
            "exact",
            True,
            verdict=EQUIVALENT,
            expected=expected.tolist(),
            measured=answer.tolist(),
            message=f"equivalent: within {tol.text([name])}",
        )
    p = bad[0]
    where = (
        variants.labels(name, ref)[int(np.ravel_multi_index(p, ref.shape))][0]
        if pos is None
        else label.strip()
    )
    a, r = float(answer[p]), float(np.asarray(expected)[p])
    return Evidence(
        cid,
        "exact",
        False,
        verdict=NOT_EQUIVALENT,
        expected=expected.tolist(),
        measured=answer.tolist(),
        error=abs(a - r),
        witness=Witness({"student_id": sid, "entry": where}, a, r),
        message=f"not equivalent: for student {sid}, {where}: your answer gives {a:.6g}, the key gives {r:.6g} ({tol.text([name])})",
    )


def check_main(argv=None) -> int:
    """``check-answer``: with ``--student-id`` a per-student question, else the claims'.

    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = check_main(["--student-id", "3", "ridge.nope", "1"])
    >>> code, "got 'nope'" in err.getvalue()
    (2, True)
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check-answer"]:
        argv = argv[1:]
    if not any(a == "--student-id" or a.startswith("--student-id=") for a in argv):
        from verify.answers import main

        code = main(argv)
        if "-h" in argv or "--help" in argv:
            print(
                "\nper-student questions: check-answer --student-id N mlp.loss 0.6963 "
                "(see python -m verify check-answer --student-id 0 --help)"
            )
        return code
    p = _Parser(
        prog="python -m verify check-answer --student-id N",
        description="Check a typed answer to a per-student question.",
    )
    p.add_argument("--student-id", required=True, type=int)
    p.add_argument(
        "quantity", metavar="QUESTION.QUANTITY", help="e.g. mlp.dl_dW2[1,3], ridge.optimal_mu"
    )
    p.add_argument("answer", metavar="ANSWER", help="a number, or a matrix [[…], […]]")
    _key_options(p)
    rest = [a for a in argv]
    try:
        # answers such as -0.25 are positionals, not options
        args, extra = p.parse_known_args(rest)
        if extra:
            raise SystemExit(p.error(f"unrecognized arguments: {' '.join(extra)}"))
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        question, _, label = args.quantity.partition(".")
        args.question = question
        ev = check_variant(
            question,
            label,
            args.student_id,
            args.answer,
            tolerance=Tolerance(args.rtol, args.atol),
            **_options(args),
        )
    except (ValueError, TypeError, OverflowError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(ev.message)
    return 0 if ev.passed else 1
