"""``python -m verify audit-grader``: which plausible mistakes a course's own checks let through.

Given a course's checks (:mod:`verify.audit.checks` describes the file; the built-in example
is ECE 288's, :mod:`verify.audit.ece288`), the audit runs the correct layers and every wrong
implementation of :mod:`verify.audit.mutations` on exactly the course's inputs, with the
course's pass rules, and reports per check which mistakes pass it, each with the reason read
off the inputs (no negative input to the ReLU, no exact zero, no score that overflows, a
gradient check that differentiates the implementation's own forward pass …).

python -m verify audit-grader [--checks FILE.json] [--json PATH]

>>> relu_only = {"data": {"r": ECE288["data"]["relu_backward"]},
...              "checks": [{"name": "relu grad", "data": "r", "test": "relu_gradient"}]}
>>> [r["implementation"] for r in audit(relu_only)["rows"] if not r["caught"]][:1]
['ReLU missing (identity forward, dout passed back)']
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from verify.audit import checks as C
from verify.audit.ece288 import CHECKS as ECE288
from verify.audit.mutations import CORRECT, LIBRARY, Implementation

OVERFLOW = float(np.log(np.finfo(np.float64).max))  # ≈ 709.78


def applies(impl: Implementation, check: dict) -> bool:
    """Can ``impl``'s mistake show in ``check``: does the check look at a part it changes?

    >>> missing = LIBRARY[0]
    >>> applies(missing, {"test": "net_scores"}), applies(missing, {"test": "affine_output"})
    (True, False)
    """
    return bool(set(impl.parts) & C.SEES[check["test"]])


def why_passed(impl: Implementation, check: dict, data: dict, result: C.Result) -> str:
    """Why ``impl`` passes ``check``, read off the check's inputs."""
    test, shows = check["test"], impl.shows_on
    where = "hidden pre-activation" if test.startswith("net") else "input x"
    u = C.relu_inputs(check, data)
    if "negative" in shows and u is not None and (u < 0).sum() == 0:
        low = float(u.min())
        return (
            f"every {where} in the data is positive (the smallest is {low:.3g}); ReLU is the "
            "identity there, so this implementation computes the very same numbers"
        )
    if "zero" in shows and u is not None and (u == 0).sum() == 0:
        return f"no {where} is exactly 0, the only place where this ReLU′ differs"
    top = C.largest_score(check, data)
    if "overflow" in shows and top is not None and top < OVERFLOW:
        return (
            f"the largest score is {top:.3g}: e^x only overflows past {OVERFLOW:.0f}, so the "
            "missing max shift changes nothing here"
        )
    if "ndim" in shows:
        shape = np.shape(data[check["data"]].get("X", data[check["data"]].get("x")))
        return f"the input is already 2-D {shape}: flattening changes nothing"
    if "reg" in shows and float(check.get("reg", 0.0)) == 0.0:
        return "the check runs at reg = 0, where the penalty and its gradient vanish"
    if "consistent" in shows and test.endswith("gradient"):
        return (
            "a gradient check compares the backward pass with a numerical gradient of the same "
            "implementation's forward pass: forward and backward wrong together agree"
        )
    shown = "nothing" if result.measured is None else f"{result.measured:.2g}"
    return f"it agrees within the check's threshold ({shown} < {check.get('below', 1e-7):g})"


def audit(spec=None) -> dict:
    """Run the audit on ``spec`` (a checks dict; ECE 288's by default) and return
    ``{"course", "checks", "correct", "rows"}``: per check whether the correct layers pass
    it (if not, the check or its data are wrong), and one row per (check, applicable wrong
    implementation) with ``caught``, ``measured`` and, when not caught, ``why``."""
    spec = C.validate(ECE288 if spec is None else spec)
    data = C.build(spec)
    correct, rows, cache = {}, [], {}
    for check in spec["checks"]:
        r = C.run(check, data, CORRECT, cache)
        correct[check["name"]] = {"passed": r.passed, "measured": r.measured, "detail": r.detail}
        for impl in LIBRARY:
            if not applies(impl, check):
                continue
            res = C.run(check, data, impl, cache)
            row = {
                "check": check["name"],
                "implementation": impl.name,
                "origin": impl.origin,
                "caught": not res.passed,
                "measured": res.measured,
                "detail": res.detail,
            }
            if res.passed:
                row["why"] = why_passed(impl, check, data, res)
            rows.append(row)
    return {
        "course": spec.get("course", ""),
        "checks": spec["checks"],
        "correct": correct,
        "rows": rows,
    }


def report(result: dict) -> str:
    """The audit in words: the checks, what each lets through and why, then per mistake
    whether any check catches it.

    >>> relu_only = {"data": {"r": ECE288["data"]["relu_forward"]}, "course": "toy",
    ...              "checks": [{"name": "relu out", "data": "r", "test": "relu_output",
    ...                          "expected": ECE288["checks"][2]["expected"]}]}
    >>> print(report(audit(relu_only)).splitlines()[0])
    Audit of toy: 1 checks, 2 wrong implementations
    """
    rows, lines = result["rows"], []
    n_impl = len({r["implementation"] for r in rows})
    lines.append(
        f"Audit of {result['course'] or 'the course'}: {len(result['checks'])} checks, "
        f"{n_impl} wrong implementations"
    )
    bad = [name for name, c in result["correct"].items() if not c["passed"]]
    if bad:
        lines.append(
            "the CORRECT layers fail: " + "; ".join(bad) + " (the check or its data are wrong)"
        )
    else:
        lines.append("the correct layers pass every check")
    for check in result["checks"]:
        mine = [r for r in rows if r["check"] == check["name"]]
        through = [r for r in mine if not r["caught"]]
        lines.append("")
        lines.append(
            f"{check['name']}: catches {len(mine) - len(through)} of {len(mine)}"
            + (f"; lets through {len(through)}:" if through else "")
        )
        lines += [f"  - {r['implementation']}: {r['why']}" for r in through]
    never = sorted(
        {r["implementation"] for r in rows} - {r["implementation"] for r in rows if r["caught"]}
    )
    lines.append("")
    lines.append(
        "caught by no check: "
        + ("; ".join(never) if never else "none (every mistake fails some check)")
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    """``audit-grader``'s entry point: 0 when the audit ran, 2 on a bad checks file."""
    p = argparse.ArgumentParser(
        prog="python -m verify audit-grader",
        description="Run plausible wrong implementations on a course's own checks.",
    )
    p.add_argument("--checks", metavar="JSON", help="the course's checks (default: ECE 288's)")
    p.add_argument("--json", metavar="PATH", help="also write the audit as JSON")
    try:
        args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        result = audit(None if args.checks is None else C.load(args.checks))
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(result))
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(result, f, indent=2, default=float)
        except OSError as exc:
            print(f"error: --json: cannot write {args.json} ({exc.strerror})", file=sys.stderr)
            return 2
    return 0
