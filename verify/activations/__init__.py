"""Claims about activations, checked against torch's own implementations.

The measured side is always torch: ``torch.nn.functional`` functions differentiated by
autograd in float64, sampled densely for ranges, and ``torch.autograd.functional.jacobian``
for softmax. The derived side comes from :mod:`derivations.activations`; a candidate (a
mutation or a student's answer) takes its place in the very same comparison.

>>> e = get("activations.tanh.derivative").check()
>>> e.passed, e.n >= 10_000
(True, True)
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import activations as act
from verify.claims import Evidence, claim, get
from verify.evidence import Witness
from verify.lazy import F, lazy, torch

# torch and the SymPy-to-torch translation load when a check runs, not when the claims are
# declared: reading a declaration (to compare a typed answer) stays quick.
autograd = lazy("verify.autograd")

#: torch's implementation of each activation at the default parameters of the table.
TORCH = {
    "leaky_relu": lambda t: F.leaky_relu(
        t, negative_slope=act.TABLE["leaky_relu"].params["a"].default
    ),
    "softplus": lambda t: F.softplus(t),
    "sigmoid": lambda t: torch.sigmoid(t),
    "tanh": lambda t: torch.tanh(t),
    "relu": lambda t: F.relu(t),
    "elu": lambda t: F.elu(t, alpha=act.TABLE["elu"].params["alpha"].default),
    "gelu": lambda t: F.gelu(t, approximate="none"),
    "silu": lambda t: F.silu(t),
}

#: torch's softplus returns x itself when x > threshold (default 20).
SOFTPLUS_THRESHOLD = 20.0

# float64 rounding: each side is a handful of correctly rounded operations, so both agree
# to a few ulps of their magnitude; 2**-40 (≈ 9e-13, thousands of ulps) leaves room for the
# cancellation in 1 - tanh² and e^x - 1 without hiding any real discrepancy (the smallest
# mutation we test is off by ≥ 1e-3).
RTOL = 2.0**-40
ATOL = 2.0**-40
HALF_WIDTH = 50.0


def points(name: str, seed: int) -> np.ndarray:
    """The float64 points for a derivative check, chosen deliberately.

    A uniform grid over ``[-50, 50]`` (step 0.01), seeded normal draws, every kink exactly
    (where the derivative is the convention torch's autograd follows, so a wrong value at the
    kink is caught) and points just beside it, and points around the thresholds where torch
    switches formulas.

    >>> p = points("relu", 0)
    >>> len(p) >= 10_000, 0.0 in p, 1e-12 in p, -1e-300 in p
    (True, True, True, True)
    """
    grid = np.linspace(-HALF_WIDTH, HALF_WIDTH, 10_001)
    rng = np.random.default_rng(seed)
    draws = rng.normal(0.0, 3.0, 2_000)
    near = [s * d for s in (-1, 1) for d in (1e-300, 1e-12, 1e-8, 1e-4)]
    special = [SOFTPLUS_THRESHOLD + d for d in (-1e-6, 0.0, 1e-9, 1e-6, 0.5)]
    kinks = [float(k.point) for k in act.get(name).kinks] if name in act.TABLE else []
    return np.unique(np.concatenate([grid, draws, near, special, kinks, [0.0]]))


def _candidate_values(candidate, pts: np.ndarray) -> np.ndarray:
    if isinstance(candidate, sp.Basic):
        return autograd.to_torch(candidate, [act.x])(torch.as_tensor(pts)).numpy()
    if callable(candidate):
        return np.asarray(candidate(pts), dtype=np.float64)
    raise TypeError(
        "candidate: a SymPy expression in x or a function of a NumPy array is "
        f"required, got {type(candidate).__name__}"
    )


def _derivative_check(name: str):
    def check(candidate, seed):
        chosen = candidate
        pts = points(name, seed)
        kinks = [float(k.point) for k in act.get(name).kinks]
        reference = autograd.autograd_derivative(TORCH[name], pts)
        values = _candidate_values(chosen, pts)
        # Where torch's softplus is the identity, its derivative is 1, while the true one is
        # σ(x) = 1 - σ(-x): allow exactly that gap, σ(-threshold) ≈ 2.1e-9, and only there.
        above = pts > SOFTPLUS_THRESHOLD if name == "softplus" else np.zeros(pts.shape, bool)
        gap_allowed = 1.0 / (1.0 + np.exp(SOFTPLUS_THRESHOLD))
        main = autograd.compare(values[~above], reference[~above], atol=ATOL, rtol=RTOL)
        passed = main.passed
        message = ""
        details = {}
        if above.any():
            upper = autograd.compare(
                values[above], reference[above], atol=gap_allowed + ATOL, rtol=0
            )
            passed = passed and upper.passed
            message = (
                f"above x = {SOFTPLUS_THRESHOLD:g} torch's softplus returns x, so autograd "
                f"gives 1 where σ(x) = 1 - σ(-x): gap {upper.max_error:.2g} ≤ "
                f"σ(-{SOFTPLUS_THRESHOLD:g}) = {gap_allowed:.2g} on {int(above.sum())} "
                "points; "
            )
            details["threshold_gap"] = upper.max_error
        where = pts[~above][main.worst_index]
        cand_v, ref_v = values[~above][main.worst_index], reference[~above][main.worst_index]
        if passed:
            message += (
                f"agrees with autograd of torch's {name} on {len(pts)} float64 points in "
                f"[-{HALF_WIDTH:g}, {HALF_WIDTH:g}] (max error {main.max_error:.2g})"
            )
            for b in kinks:  # say what was compared at the kink, from the numbers compared
                i = int(np.flatnonzero(pts == b)[0])
                message += f"; at the kink x = {b:g} both give {reference[i]:g}"
        else:
            message += (
                f"differs at x = {where:.6g}: candidate {cand_v:.12g}, torch autograd {ref_v:.12g}"
            )
        return Evidence(
            f"activations.{name}.derivative",
            "autograd",
            passed,
            expected=sp.sstr(chosen) if isinstance(chosen, sp.Basic) else repr(chosen),
            measured=f"torch autograd of {name}",
            error=main.max_error,
            tolerance=ATOL,
            n=len(pts),
            message=message,
            details=details,
            witness=Witness({"x": float(where)}, float(cand_v), float(ref_v)),
        )

    return check


# --- range against dense sampling ----------------------------------------------------------
INNER, MID, OUTER = 15.0, 30.0, 50.0  # float64 still resolves every tail inside ±15


def _unbounded(sign, e15, e30, e50) -> bool:
    """Growth that does not die out: the extreme's gain per unit of x over [30, 50] is at
    least half its gain over [15, 30] (a bounded tail's gains shrink exponentially)."""
    gain_far, gain_near = sign * (e50 - e30) / 20, sign * (e30 - e15) / 15
    return gain_far > 0 and gain_far >= 0.5 * gain_near


def _end_checks(interval, inner_vals, outer_vals, mid_vals):
    """Each end of ``interval`` against the sampled extremes; returns the problems found."""
    problems = []
    for side, end, is_open in (
        ("lower", interval.inf, interval.left_open),
        ("upper", interval.sup, interval.right_open),
    ):
        pick = np.min if side == "lower" else np.max
        sign = -1.0 if side == "lower" else 1.0
        e_in, e_out = pick(inner_vals), pick(outer_vals)
        if end.is_infinite:
            if not (sign * float(end) > 0 and _unbounded(sign, e_in, pick(mid_vals), e_out)):
                problems.append(f"{side} end {end}: samples stay bounded near {e_out:.6g}")
            continue
        e = float(end)
        # Still moving beyond ±15 (by more than rounding): the extreme is only approached.
        grows = sign * (e_out - e_in) > 1e-15
        if is_open:
            if not grows or abs(e_out - e) > 1e-9:
                problems.append(
                    f"{side} end {e:.6g} open: sampled extreme {e_out:.10g} "
                    f"{'is attained inside ±15' if not grows else 'does not approach it'}"
                )
        elif grows or abs(e_in - e) > 1e-6:
            problems.append(
                f"{side} end {e:.6g} closed: no sample attains it "
                f"(inside ±15 the extreme is {e_in:.10g})"
            )
    return problems


def _range_check(name: str):
    def check(candidate, seed):
        chosen = candidate
        inner = np.concatenate([np.linspace(-INNER, INNER, 300_001), [0.0]])
        outer = np.linspace(-OUTER, OUTER, 200_001)
        mid = np.linspace(-MID, MID, 120_001)
        inner_vals, outer_vals = (
            autograd.torch_values(TORCH[name], inner),
            autograd.torch_values(TORCH[name], outer),
        )
        mid_vals = autograd.torch_values(TORCH[name], mid)
        lo, hi = chosen.inf, chosen.sup
        inside = np.ones(inner_vals.shape, bool)
        if lo.is_finite:
            inside &= (
                inner_vals > float(lo) if chosen.left_open else inner_vals >= float(lo) - 1e-12
            )
        if hi.is_finite:
            inside &= (
                inner_vals < float(hi) if chosen.right_open else inner_vals <= float(hi) + 1e-12
            )
        problems = []
        extremes = (float(outer_vals.min()), float(outer_vals.max()))
        witness = Witness({}, str(chosen), f"[{extremes[0]:.17g}, {extremes[1]:.17g}] sampled")
        if not inside.all():
            i = int(np.argmin(inside))
            witness = Witness({"x": float(inner[i])}, str(chosen), float(inner_vals[i]))
            problems.append(f"{name}({inner[i]:.6g}) = {inner_vals[i]:.10g} lies outside {chosen}")
        problems += _end_checks(chosen, inner_vals, outer_vals, mid_vals)
        msg = (
            (
                f"sampled extremes {extremes[0]:.6g} .. {extremes[1]:.6g} on "
                f"{len(inner) + len(mid) + len(outer)} points; every sample inside, ends approached "
                "or attained as stated"
            )
            if not problems
            else "; ".join(problems)
        )
        return Evidence(
            f"activations.{name}.range",
            "enumeration",
            not problems,
            expected=str(chosen),
            measured=f"[{extremes[0]:.6g}, {extremes[1]:.6g}]",
            n=len(inner) + len(mid) + len(outer),
            message=msg,
            witness=witness,
        )

    return check


# --- kinks ----------------------------------------------------------------------------------
# So close to the kink that each branch's derivative equals its one-sided limit in float64.
KINK_STEP = 1e-300


def _kink_check(name: str):
    def check(candidate, seed):
        kink = act.get(name).kinks[0]
        left, right = float(kink.left), float(kink.right)
        expected_at = float(candidate)
        b = float(kink.point)
        measured = autograd.autograd_derivative(TORCH[name], [b - KINK_STEP, b, b + KINK_STEP])
        got = (float(measured[0]), float(measured[1]), float(measured[2]))
        errors = [abs(got[0] - left), abs(got[1] - expected_at), abs(got[2] - right)]
        passed = max(errors) <= ATOL
        kind = (
            "differentiable"
            if kink.differentiable
            else f"kink, generalized gradient [{kink.generalized_gradient.inf}, {kink.generalized_gradient.sup}]"
        )
        msg = (
            f"at x = {b:g}: one-sided derivatives {left:g} (left), {right:g} (right) — {kind}; "
            f"torch autograd returns {got[1]:g} at the point"
            + ("" if passed else f", expected {expected_at:g}")
        )
        return Evidence(
            f"activations.{name}.kink",
            "autograd",
            passed,
            expected=(left, expected_at, right),
            measured=got,
            error=max(errors),
            tolerance=ATOL,
            n=3,
            message=msg,
            witness=Witness({"x": b}, expected_at, got[1]),
        )

    return check


# --- softmax Jacobian -----------------------------------------------------------------------
def _softmax_check(candidate, seed):
    s = act.softmax(3)
    chosen = candidate
    if chosen.shape != (3, 3):
        raise TypeError("candidate: a 3×3 SymPy Matrix in z1, z2, z3 is required")
    fns = [[autograd.to_torch(chosen[i, j], s.logits) for j in range(3)] for i in range(3)]
    rng = np.random.default_rng(seed)
    logits = np.concatenate(
        [
            rng.normal(0, 2, (200, 3)),
            rng.normal(0, 30, (50, 3)),
            [[0, 0, 0], [50, -50, 0], [1e-8, 0, -1e-8]],
        ]
    )
    worst = 0.0
    worst_at = None
    for z in logits:
        zt = torch.as_tensor(z, dtype=torch.float64)
        ref = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), zt).numpy()
        got = np.array([[float(fns[i][j](*zt)) for j in range(3)] for i in range(3)])
        err = float(np.max(np.abs(got - ref)))
        if not np.isfinite(err):
            err = np.inf
        if err >= worst:
            worst, worst_at = err, (z, got, ref)
    passed = worst <= ATOL
    z, got, ref = worst_at
    msg = (
        f"agrees with torch.autograd.functional.jacobian of torch.softmax at {len(logits)} "
        f"logit vectors (max error {worst:.2g})"
        if passed
        else f"differs at z = {np.round(z, 6).tolist()}: candidate {np.round(got, 8).tolist()}, "
        f"torch {np.round(ref, 8).tolist()}"
    )
    return Evidence(
        "activations.softmax.jacobian",
        "autograd",
        passed,
        expected="diag(p) - p pᵀ",
        measured="torch jacobian",
        error=worst,
        tolerance=ATOL,
        n=len(logits),
        message=msg,
        witness=Witness(
            {f"z{i + 1}": float(v) for i, v in enumerate(z)},
            tuple(map(tuple, got.tolist())),
            tuple(map(tuple, ref.tolist())),
        ),
    )


def _declare():
    for name in act.TABLE:
        a = act.get(name)
        at_kinks = "".join(
            f"; at the kink x = {p} it is {v}, the value torch's autograd returns there"
            for p, v in a.at_kinks.items()
        )
        claim(
            f"activations.{name}.derivative",
            f"d/dx {name}(x) = {sp.sstr(a.derivative)}{at_kinks}",
            method="autograd",
            answer="expression",
            variables=("x",),
            derived=lambda n=name: act.get(n).derivative,
        )(_derivative_check(name))
        claim(
            f"activations.{name}.range",
            f"the range of {name}, from its limits and critical points",
            method="enumeration",
            answer="interval",
            derived=lambda n=name: act.get(n).output_range,
        )(_range_check(name))
        if a.kinks:
            claim(
                f"activations.{name}.kink",
                f"{name} at its kink: one-sided derivatives and torch's value there",
                method="autograd",
                answer="number",
                # the convention the derivative's cases encode (the x ≤ 0 case at the kink)
                derived=lambda n=name: act.get(n).kinks[0].by_cases,
            )(_kink_check(name))
    claim(
        "activations.softmax.jacobian",
        "the Jacobian of softmax is diag(p) - p pᵀ",
        method="autograd",
        answer="matrix",
        variables=("z1", "z2", "z3"),
        derived=lambda: act.softmax(3).derivative,
    )(_softmax_check)


_declare()

__all__ = ["TORCH", "points", "get"]
