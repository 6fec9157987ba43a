"""``python -m verify check-answer CLAIM_ID ANSWER [--seed N] [--thorough]``.

Exit codes: 0 equivalent, 1 not equivalent, 2 bad input (unknown claim, unreadable answer,
bad seed or arguments), 3 cannot check (the reason is printed). Nothing the user typed is
printed back raw: control characters are refused, and every echo goes through
:func:`verify.answers.tokens.printable`.

An answer may start with ``-`` (``-x``): :func:`main` reads every argument that is not one
of its options as a positional. (As a subcommand of another parser, write ``-- -x``.)
"""

from __future__ import annotations

import argparse
import sys

from verify.answers.tokens import printable
from verify.evidence import CANNOT_CHECK, EQUIVALENT, NOT_EQUIVALENT

#: Exit code of each verdict; 2 is bad input.
EXIT = {EQUIVALENT: 0, NOT_EQUIVALENT: 1, CANNOT_CHECK: 3}
BAD_INPUT = 2


def _seed(text: str) -> int:
    from derivations.arguments import seed

    try:
        return seed(int(text) if text.strip().lstrip("-").isdigit() else text)
    except (TypeError, ValueError) as exc:
        message = str(exc).replace("seed:", "--seed:", 1)
        if isinstance(exc, TypeError):
            message = f"--seed: an integer with 0 <= seed < 2**63 is required, got {text!r}"
        raise argparse.ArgumentTypeError(printable(message)) from None


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add check-answer's arguments to ``parser`` (a subcommand's parser, or a fresh one).

    Its error messages are made safe to print: argparse would echo a stray argument raw.

    >>> p = add_arguments(argparse.ArgumentParser(prog="check-answer"))
    >>> a = p.parse_args(["activations.tanh.derivative", "1 - tanh(x)^2", "--seed", "3"])
    >>> a.claim_id, a.answer, a.seed, a.thorough
    ('activations.tanh.derivative', '1 - tanh(x)^2', 3, False)
    """
    parser.add_argument("claim_id", metavar="CLAIM_ID", help="e.g. activations.tanh.derivative")
    parser.add_argument("answer", metavar="ANSWER", help='the answer, e.g. "1 - tanh(x)^2"')
    parser.add_argument("--seed", type=_seed, default=0, help="0 <= N < 2**63 (default 0)")
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="run the claim's own independent check (torch, simulation) on the answer",
    )
    raw_error = parser.error

    def error(message):
        raw_error(printable(message))

    parser.error = error
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Check the answer named by ``args``; print the verdict; return the exit code.

    >>> run(argparse.Namespace(claim_id="activations.tanh.derivative", answer="sech(x)^2",
    ...                        seed=0, thorough=False))
    equivalent: proved equal by SymPy
      claim:  activations.tanh.derivative
      answer: sech(x)**2
      (method exact, seed 0)
    0
    """
    from verify.answers.checking import check_answer

    try:
        evidence = check_answer(args.claim_id, args.answer, seed=args.seed, thorough=args.thorough)
    except (ValueError, TypeError) as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        position = getattr(exc, "position", None)
        if position is not None and getattr(exc, "text", ""):
            shown = "".join(" " if c.isspace() else c for c in printable(exc.text))
            print(f"  {shown}\n  {' ' * position}^", file=sys.stderr)
        return BAD_INPUT
    print(printable(evidence.message))
    print(f"  claim:  {evidence.claim_id}")
    if "parsed" in evidence.details:
        print(f"  answer: {printable(evidence.details['parsed'])}")
    facts = [f"method {evidence.method}"]
    if evidence.n and evidence.n > 1:
        facts.append(f"{evidence.n} points")
    facts.append(f"seed {evidence.seed}")
    print("  (" + ", ".join(facts) + ")")
    return EXIT[evidence.verdict]


def _answers_after_options(args: list[str]) -> list[str]:
    """The options first, then ``--`` and the positionals: so ``-x`` reads as an answer.

    >>> _answers_after_options(["c.id", "-x", "--seed", "3"])
    ['--seed', '3', '--', 'c.id', '-x']
    """
    options, positionals = [], []
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            positionals += list(rest)
        elif arg == "--seed":
            options += [arg, next(rest, "")]
        elif arg.startswith("--") or arg in ("-h",):
            options.append(arg)  # an unknown one is argparse's to refuse
        else:
            positionals.append(arg)
    return [*options, "--", *positionals]


def main(argv=None) -> int:
    """``check-answer``'s own entry point; a leading ``check-answer`` in ``argv`` is skipped.

    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = main(["check-answer", "no.such.claim", "x"])
    >>> code, err.getvalue().startswith("error: claim_id: unknown claim 'no.such.claim'")
    (2, True)
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["check-answer"]:
        args = args[1:]
    args = _answers_after_options(args)
    parser = add_arguments(
        argparse.ArgumentParser(
            prog="python -m verify check-answer",
            description="Is my answer right? Compares it with a claim's derived result.",
            epilog="exit status: 0 equivalent, 1 not equivalent, 2 bad input, 3 cannot check",
        )
    )
    try:
        parsed = parser.parse_args(args)
    except SystemExit as exc:  # argparse's own exit: --help (0) or a usage error (2)
        return int(exc.code or 0)
    return run(parsed)
