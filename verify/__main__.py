"""``python -m verify``: run the claims, or check one answer.

python -m verify [--only PREFIX] [--method METHOD] [--json PATH] [--seed N] [--seeds K]
python -m verify check-answer CLAIM_ID "EXPR"

``--seeds K`` reruns the chosen claims with the K seeds ``N, N+1, …``: for the Monte Carlo
claims (``--method monte-carlo``) that counts false alarms over fresh randomness.
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
    parser.add_argument("--method", choices=claims.METHODS, help="only claims checked so")
    parser.add_argument("--seed", type=int, default=0, help="seed of every check (default 0)")
    parser.add_argument("--seeds", type=int, default=1, metavar="K", help="run K seeds from N")
    args = parser.parse_args(argv)
    try:
        chosen = claims.select(args.only)
        if args.method:
            chosen = [c for c in chosen if c.method == args.method]
            if not chosen:
                raise ValueError(f"--method: no claim under {args.only!r} is {args.method}")
        if args.seed < 0:
            raise ValueError(f"--seed: a non-negative integer is required, got {args.seed}")
        if args.seeds < 1:
            raise ValueError(f"--seeds: a positive integer is required, got {args.seeds}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    evidence = []
    for seed in range(args.seed, args.seed + args.seeds):
        batch = claims.run(claims=chosen, seed=seed, progress=sys.stderr.isatty())
        evidence += batch
        if args.seeds == 1:
            print(claims.table(batch))
        else:
            bad = [e.claim_id for e in batch if not e.passed]
            print(f"seed {seed}: {len(batch) - len(bad)} passed, {len(bad)} failed {bad or ''}")
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
