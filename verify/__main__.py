"""``python -m verify``: run the claims, or check one answer.

python -m verify [--only PREFIX] [--json PATH] [--seed N]
python -m verify check-answer CLAIM_ID "EXPR"
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from verify import claims


def run_main(argv) -> int:
    """Run claims, print a table, write JSON; 1 if any claim failed, 2 on bad arguments.

    >>> run_main(["--only", "nope"])
    2
    """
    parser = argparse.ArgumentParser(prog="python -m verify", description="Check every claim.")
    parser.add_argument("--only", default="", metavar="PREFIX", help="claim ids starting so")
    parser.add_argument("--json", metavar="PATH", help="write the evidence as JSON")
    parser.add_argument("--seed", type=int, default=0, help="seed of every check (default 0)")
    args = parser.parse_args(argv)
    try:
        chosen = claims.select(args.only)
        if args.seed < 0:
            raise ValueError(f"--seed: a non-negative integer is required, got {args.seed}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    evidence = claims.run(claims=chosen, seed=args.seed, progress=sys.stderr.isatty())
    print(claims.table(evidence))
    failed = sum(not e.passed for e in evidence)
    print(f"\n{len(evidence) - failed} passed, {failed} failed")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([e.to_dict() for e in evidence], indent=2) + "\n")
    return 1 if failed else 0


def main(argv=None) -> int:
    """Dispatch to ``check-answer`` or to the claim run.

    >>> main(["check-answer", "activations.tanh.derivative", "1 - tanh(x)^2"])
    equivalent: ...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "check-answer":
        from verify import answers

        return answers.main(argv[1:])
    return run_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
