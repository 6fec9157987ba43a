"""``python -m verify``: run the claims, or one of the subcommands.

python -m verify [run] [--only PREFIX] [--method METHOD] [--json PATH] [--seed N] [--seeds K]
                       [--workers N | --scheduler ADDRESS]
python -m verify check-answer CLAIM_ID "EXPR"
python -m verify check-answer --student-id N QUESTION.QUANTITY ANSWER
python -m verify grade --submissions CSV [--out CSV] [--question Q] [key options]
python -m verify audit-grader [--checks JSON] [--json PATH]
python -m verify export-references --out PATH

Without a subcommand the claims run. ``--workers N`` shares them among N processes
(default: one per core, fewer for a short run), ``--scheduler tcp://host:port`` sends them to
a running Dask scheduler (see :mod:`verify.runner`); the evidence is the same either way,
timings aside. ``--seeds K`` reruns the chosen claims with the K seeds ``N, N+1, …``: for the
Monte Carlo claims (``--method monte-carlo``) that counts false alarms over fresh randomness,
per seed and per claim. Exit status: 0 when every claim passed, 1 when one failed, 2 on bad
arguments (nothing is run then: an unwritable ``--json`` path is found before the first
claim).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from verify import claims

#: The false-alarm level of every Monte Carlo claim (DESIGN: 1e-6 per claim).
MONTE_CARLO_LEVEL = 1e-6

#: Subcommands that own their arguments: name -> (one-line help, "module:function"), the
#: function taking the arguments after the name and returning the exit status. Imported only
#: when used, so ``python -m verify check-answer`` loads no claim it does not check.
SUBCOMMANDS = {
    "check-answer": ("check a typed answer against a claim", "verify.grading.cli:check_main"),
    "grade": ("grade a class's submissions CSV into a gradebook", "verify.grading.cli:grade_main"),
    "audit-grader": (
        "which wrong implementations a course's checks let through",
        "verify.audit:main",
    ),
    "export-references": (
        "write every claim's derived result for the in-page answer checker",
        "verify.answers.offline:main",
    ),
}


def _parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<14} {text}" for name, (text, _) in SUBCOMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="python -m verify",
        description="Check the claims (the default command, also spelt `run`).",
        epilog=f"other commands (python -m verify COMMAND --help):\n{commands}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--only", default="", metavar="PREFIX", help="claim ids starting so")
    parser.add_argument("--method", choices=claims.METHODS, help="only claims checked so")
    parser.add_argument("--json", metavar="PATH", help="write the evidence as JSON")
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of every check (default 0)"
    )
    parser.add_argument("--seeds", type=int, default=1, metavar="K", help="run K seeds from N")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes to run on (default: one per core, fewer for a short run)",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="a Dask scheduler to run on (tcp://host:port)"
    )
    return parser


def _partial(path: Path) -> Path:
    # Beside the target, so the final rename stays on one file system.
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def _check_writable(path: Path) -> None:
    """Raise ``ValueError`` unless a file can be written at ``path`` (creating its folder)."""
    if path.is_dir():
        raise ValueError(f"--json: {path} is a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A real probe of what the final write does (see _write_json): permission bits alone
        # are not one (root ignores them; a read-only mount does not).
        probe = _partial(path)
        probe.write_text("", encoding="utf-8")
        probe.unlink()
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(f"{path} is read-only")
    except OSError as exc:
        raise ValueError(f"--json: cannot write {path}: {exc}") from None


def _write_json(path: Path, evidence) -> None:
    """Write the evidence to a file beside ``path``, then rename it into place.

    A failed write leaves the previous file whole, and the evidence goes to a temporary file
    whose name is printed, so a long run is never lost.
    """
    text = json.dumps([e.to_dict() for e in evidence], indent=2) + "\n"
    partial = _partial(path)
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", prefix="verify-evidence-", suffix=".json", delete=False, encoding="utf-8"
        ) as keep:
            keep.write(text)
        raise OSError(
            f"--json: writing {path} failed ({exc}); the evidence is in {keep.name}"
        ) from None


def run_main(argv) -> int:
    """Run claims, print a table, write JSON; 1 if any claim failed, 2 on bad arguments.

    >>> run_main(["--only", "activations.relu.range", "--workers", "1"])
    claim ...
    activations.relu.range ... PASS ...
    <BLANKLINE>
    1 passed, 0 failed
    0
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = run_main(["--only", "activations", "--seed", "-1"])
    >>> code, err.getvalue()
    (2, 'error: --seed: an integer with 0 <= --seed < 2**63 is required, got -1\\n')
    """
    from derivations.arguments import SEED_LIMIT, count, seed

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed why
        return 0 if exc.code == 0 else 2
    try:
        first = seed(args.seed, "--seed")
        k = count(args.seeds, "--seeds")
        if first + k > SEED_LIMIT:
            raise ValueError(f"--seeds: the seeds {first}, …, {first + k - 1} pass 2**63 - 1")
        workers = 1 if args.scheduler else args.workers
        if workers is not None:
            count(workers, "--workers")
        if args.scheduler is not None and not args.scheduler.strip():
            raise ValueError("--scheduler: an address such as tcp://host:8786 is required")
        if args.json:
            _check_writable(Path(args.json))
        chosen = claims.select(args.only)
        if args.method:
            chosen = [c for c in chosen if c.method == args.method]
            if not chosen:
                raise ValueError(f"--method: no claim under {args.only!r} is {args.method}")
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from verify.runner import run_claims

    seeds = range(first, first + k)
    try:
        evidence = run_claims(
            chosen,
            seeds=seeds,
            workers=workers,
            scheduler=args.scheduler,
            progress=sys.stderr.isatty(),
        )
    except (TypeError, ValueError, ImportError, ConnectionError, RuntimeError) as exc:
        # Arguments refused by the runner, or a Dask cluster that cannot be used: no claim
        # has been checked (a check that raises is a failed claim, not an exception here).
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if k == 1:
        print(claims.table(evidence))
    else:
        _print_false_alarms(evidence, seeds, len(chosen))
    failed = sum(not e.passed for e in evidence)
    print(f"\n{len(evidence) - failed} passed, {failed} failed")
    if args.json:
        try:
            _write_json(Path(args.json), evidence)
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return 1 if failed else 0


def _print_false_alarms(evidence, seeds, per_seed: int) -> None:
    """One line per seed, then how many seeds each failing claim failed at."""
    for j, s in enumerate(seeds):
        batch = evidence[j * per_seed : (j + 1) * per_seed]
        bad = [e.claim_id for e in batch if not e.passed]
        print(f"seed {s}: {len(batch) - len(bad)} passed, {len(bad)} failed {bad or ''}".rstrip())
    alarms = Counter(e.claim_id for e in evidence if not e.passed)
    for claim_id, n in alarms.items():
        print(f"{claim_id}: failed at {n} of {len(seeds)} seeds")
    statistical = [e for e in evidence if e.method == "monte-carlo"]
    if statistical:
        k = sum(not e.passed for e in statistical)
        print(_false_alarm_line(len(statistical), k))


def _false_alarm_line(runs: int, alarms: int, level: float = MONTE_CARLO_LEVEL) -> str:
    """What ``alarms`` failures among ``runs`` Monte Carlo runs of true claims would mean.

    Each run of a true claim fails with probability at most ``level``, so the count of false
    alarms is at most Binomial(runs, level) in distribution; the line gives its tail.

    >>> _false_alarm_line(1800, 0)
    'Monte Carlo runs: 1800, failed: 0 (at the level 1e-06 per run: expected ≤ 0.0018; P(≥ 0 failures) ≤ 1)'
    >>> _false_alarm_line(1800, 1)
    'Monte Carlo runs: 1800, failed: 1 (at the level 1e-06 per run: expected ≤ 0.0018; P(≥ 1 failures) ≤ 0.0018)'
    """
    # P(X >= k) for X ~ Binomial(runs, level), as 1 - P(X < k) summed exactly in floats.
    below = sum(math.comb(runs, j) * level**j * (1.0 - level) ** (runs - j) for j in range(alarms))
    tail = max(0.0, 1.0 - below)
    return (
        f"Monte Carlo runs: {runs}, failed: {alarms} (at the level {level:g} per run: "
        f"expected ≤ {runs * level:.2g}; P(≥ {alarms} failures) ≤ {tail:.2g})"
    )


def main(argv=None) -> int:
    """Dispatch to a subcommand of :data:`SUBCOMMANDS`, or run the claims.

    >>> main(["check-answer", "activations.tanh.derivative", "1 - tanh(x)^2"])
    equivalent: ...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        return run_main(argv[1:])
    if argv and argv[0] in SUBCOMMANDS:
        module, function = SUBCOMMANDS[argv[0]][1].split(":")
        return getattr(importlib.import_module(module), function)(argv[1:])
    return run_main(argv)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:
        # the reader stopped early (`| head`): nothing more to say, and no traceback; stdout
        # goes to /dev/null so that the interpreter's final flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
