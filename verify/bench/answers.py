"""``python -m verify.bench answers``: how long ``check-answer`` takes, and its worst case.

1. **Cold command line, per topic**: ``python -m verify check-answer CLAIM ANSWER`` in a fresh
   process each run (best of ``--runs``), for one typed claim of every topic that has one
   (an equivalent answer, so the whole comparison runs). Target: ≤ 1.0 s for an activation
   claim. The largest imports of that run (``-X importtime``) are listed: they are the floor.
2. **Hostile inputs**: every answer of :data:`HOSTILE` and :data:`HOSTILE_MULTI` (nested
   exact powers, huge literals, factorials, deep nesting, many break points, long sums of
   ``where``), parsed and checked in this process with SymPy's cache emptied first; CPU
   seconds and wall seconds of one run, peak traced memory of another.
   Target: every one ≤ 2 s (CPU: two cores are shared by many jobs here, and waiting for
   one is not work) and ≤ 200 MB.

Each figure is printed with whether its target holds; the exit status is 0 either way (a
benchmark reports, the tests assert).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"activation_cli": 1.0, "hostile_seconds": 2.0, "hostile_mb": 200.0}

#: A typed answer for a claim of these topics; other topics get one made from the derived
#: result (see :func:`typed_claim`).
SAMPLES = {
    "activations": ("activations.tanh.derivative", "1 - tanh(x)^2"),
    "ridge": ("ridge.optimal_mu", "d*sigma_eps^2/sigma_w^2"),
}

#: Answers built to make a checker work hard: each is at most 1000 characters.
HOSTILE = [
    "((0.999999^100)^100)^100",
    "((0.999999^100)^100)^100*x",
    "(1e-300)^(-100)",
    "999999^100/999998^100",
    "(x + 1)^100*(x + 2)^100*(x + 3)^100",
    "(x + sigmoid(x) + tanh(x) + exp(x))^100",
    "exp(exp(exp(exp(x))))",
    "sech(x)^2*(x^2 + 2*x + 2)^50/((x + 1)^2 + 1)^50",
    "+".join(f"where(x < {i}, {i}, 0)" for i in range(40)),
    "sech(x)^2 + " + "+".join(f"0*abs(x - {i})" for i in range(60)),
    "+".join(f"abs(x - {i / 7:.5f})" for i in range(57)),
    "sigmoid(" * 38 + "x" + ")" * 38,
    "+".join(f"exp({i}*x)/(1 + exp({i}*x))^{i % 7 + 1}" for i in range(1, 30)),
    "max(" + ", ".join(f"x^{i}" for i in range(1, 17)) + ")",
    "9" * 999,
    "((((x!)!)!)!)",
    "factorial(factorial(99))",
    "x^100^100",
    "(" * 40 + "x" + ")" * 40 + "^" + "2^" * 30 + "2",
]
#: The same for a claim in five variables (``ridge.bayes_risk.*``): many break points along
#: many lines.
HOSTILE_MULTI = [
    "+".join(f"where(mu < {i}, lam, se2*sw2/d)" for i in range(30)),
    "+".join(f"abs(lam - mu*{i})" for i in range(50)),
    "+".join(f"max(se2, sw2/{i + 1}, lam)" for i in range(5)),
    "(sw2/d*mu^2 + se2*lam)/(lam + mu)^2*("
    + "+".join(f"sigmoid(se2 - {i})" for i in range(40))
    + ")",
]
MULTI_CLAIM = "ridge.bayes_risk.tall_large_mu"


def typed_claim(topic: str):
    """``(claim_id, answer)`` for one typed claim of ``topic`` with a derived result, or None.

    The answer is the derived result written out, kept only if the parser reads it back.

    >>> typed_claim("activations")
    ('activations.tanh.derivative', '1 - tanh(x)^2')
    """
    import sympy as sp

    from verify import claims
    from verify.answers import parse_answer

    if topic in SAMPLES:
        return SAMPLES[topic] if claims.get(SAMPLES[topic][0]).derived is not None else None

    for c in claims.select(topic + "."):
        if c.answer not in claims.TYPED_KINDS or c.derived is None:
            continue
        try:
            ref = c.reference()
            if isinstance(ref, tuple | list):
                text = "[" + ", ".join(sp.sstr(v) for v in ref) + "]"
            elif isinstance(ref, dict):
                text = "{" + ", ".join(f"{k}: {sp.sstr(p)}" for k, p in ref.items()) + "}"
            elif isinstance(ref, sp.Interval):
                text = f"{'(' if ref.left_open else '['}{ref.start}, {ref.end}{')' if ref.right_open else ']'}"
            else:
                text = sp.sstr(ref)
            parse_answer(text, c.answer, c.variables)
        except (ValueError, TypeError):
            continue
        return c.id, text
    return None


def cold(claim_id: str, answer: str, runs: int) -> tuple[float, float, int]:
    """Best wall time and best CPU time (user + system) of ``runs`` fresh
    ``python -m verify check-answer`` processes, and the exit status of the last."""
    best, best_cpu, code = math.inf, math.inf, -1
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "verify", "check-answer", claim_id, answer],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu = min(best_cpu, cpu)
        code = done.returncode
    return best, best_cpu, code


def largest_imports(claim_id: str, answer: str, count: int = 8) -> list[tuple[str, float]]:
    """The top-level imports of one run, by cumulative seconds (from ``-X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "verify", "check-answer", claim_id, answer],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith(" ") and not name.startswith("  "):  # one level: top-level
            rows.append((name.strip(), int(cumulative) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:count]


def hostile():
    """``[(text, cpu_s, wall_s, peak_mb, outcome)]`` for every answer of :data:`HOSTILE`
    (against tanh′) and :data:`HOSTILE_MULTI` (against a ridge risk)."""
    from sympy.core.cache import clear_cache

    from verify.answers import check_answer

    # warm: imports, the claims, SymPy's caches
    check_answer("activations.tanh.derivative", "sech(x)^2")
    check_answer(MULTI_CLAIM, "(sw2/d*mu^2 + se2*lam)/(lam + mu)^2")
    out = []
    cases = [("activations.tanh.derivative", t) for t in HOSTILE]
    for claim_id, text in cases + [(MULTI_CLAIM, t) for t in HOSTILE_MULTI]:

        def once(claim_id=claim_id, text=text):
            try:
                return check_answer(claim_id, text).verdict
            except ValueError:
                return "refused"

        # timed without tracemalloc (it slows SymPy's allocations several times over), then
        # run again for the memory; SymPy's cache is emptied before each, so both are cold
        clear_cache()
        cpu, wall = time.process_time(), time.perf_counter()
        outcome = once()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        clear_cache()
        tracemalloc.start()
        once()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        out.append((text, cpu, wall, peak, outcome))
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv=None) -> int:
    """Run the benchmark and print its figures (see the module docstring).

    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: python -m verify.bench answers ...
    0
    """
    parser = argparse.ArgumentParser(prog="python -m verify.bench answers")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per claim")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.runs < 1:
        print("error: --runs: a positive integer is required", file=sys.stderr)
        return 2
    from derivations.topics import TOPICS

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"check-answer, cold (best of {args.runs} fresh processes; load average {load:.1f} "
        f"on {os.cpu_count()} cores: wall time waits for a core, cpu time does not)"
    )
    activation_time = None
    for topic in TOPICS:
        chosen = typed_claim(topic)
        if chosen is None:
            print(f"  {topic:16s} (no typed claim with a derived result: skipped)")
            continue
        seconds, cpu, code = cold(*chosen, args.runs)
        if topic == "activations":
            activation_time = seconds
        print(
            f"  {topic:16s} {seconds:5.2f} s wall {cpu:5.2f} s cpu  exit {code}  "
            f"{chosen[0]}  {chosen[1]!r}"
        )
    if activation_time is not None:
        ok = activation_time <= TARGETS["activation_cli"]
        print(f"target: activation claim <= {TARGETS['activation_cli']:g} s: {_met(ok)}")
        print("largest imports of that run (cumulative s):")
        for name, seconds in largest_imports(*SAMPLES["activations"]):
            print(f"  {seconds:6.2f}  {name}")
    print(
        "\nhostile inputs (in process, SymPy's cache emptied first): cpu s, wall s, peak MB, outcome"
    )
    rows = hostile()
    for text, cpu, wall, peak, outcome in rows:
        shown = text if len(text) <= 48 else text[:45] + "..."
        print(f"  {cpu:5.2f} {wall:6.2f} {peak:7.1f}  {outcome:15s} {shown!r} ({len(text)} chars)")
    worst_cpu = max(r[1] for r in rows)
    worst_mb = max(r[3] for r in rows)
    print(f"worst: {worst_cpu:.2f} s cpu, {max(r[2] for r in rows):.2f} s wall, {worst_mb:.1f} MB")
    print(
        f"target: every hostile input <= {TARGETS['hostile_seconds']:g} s: "
        f"{_met(worst_cpu <= TARGETS['hostile_seconds'])}; <= {TARGETS['hostile_mb']:g} MB: "
        f"{_met(worst_mb <= TARGETS['hostile_mb'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
