"""Claims on the augmented loss, the invariant and equivariant solutions and the identities
they satisfy, against the stacked augmented problems solved independently
(``numpy.linalg.lstsq``, or exactly in rational arithmetic for the integer groups).

>>> from verify.claims import get
>>> get("invariance.solution").check().passed
True
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import invariance as inv
from verify.claims import Evidence, claim
from verify.evidence import worst_entry
from verify.invariance.common import (
    EXACT,
    RTOL,
    _call,
    _data,
    _fail,
    _rational,
    all_groups,
    float_groups,
    rel_error,
    stacked,
)


# --- the loss ----------------------------------------------------------------------------
@claim(
    "invariance.loss",
    "L1(w) = ½ Σ_G ‖y − X Gᵀ w‖² is the stacked augmented loss, and L1(Gw) = L1(w) for every G "
    "(relative error ≤ 1e-9)",
    method="enumeration",
    answer="implementation",
    derived=lambda: inv.augmented_loss,
)
def _loss_check(candidate, seed):
    worst = 0.0
    for name, group in all_groups().items():
        X, y = _data(group, seed)
        w = np.random.default_rng([seed, 7]).standard_normal(group.d)
        A, b = stacked(X, y, group.elements)
        reference = 0.5 * float(np.sum((b - A @ w) ** 2))
        value, raised = _call(candidate, w, X, y, group)
        if raised:
            return Evidence(passed=False, message=f"{name}: {raised}")
        err = rel_error(value, reference)
        if err > RTOL:
            return _fail(
                name,
                f"L1(w) is not the stacked loss (relative error {err:.3g})",
                float(value),
                reference,
                err,
            )
        for i, g in enumerate(group):
            moved, raised = _call(candidate, g @ w, X, y, group)
            err = rel_error(moved, value) if raised is None else float("inf")
            worst = max(worst, err)
            if err > RTOL:
                return _fail(
                    name,
                    f"L1(Gw) ≠ L1(w) for element {i} (relative {err:.3g})",
                    None if moved is None else float(moved),
                    float(value),
                    err,
                    element=i,
                )
    return Evidence(
        passed=True,
        error=worst,
        tolerance=RTOL,
        message=f"largest relative |L1(Gw) − L1(w)|: {worst:.2g}",
    )


# --- the invariant solution --------------------------------------------------------------
@claim(
    "invariance.solution",
    "w1* = K⁻¹ R Xᵀ y is the least-squares solution of the stacked augmented problem "
    "(numpy.linalg.lstsq) and G w1* = w1* for every G",
    method="enumeration",
    answer="implementation",
    derived=lambda: inv.invariant_solution,
)
def _solution_check(candidate, seed):
    worst = 0.0
    for name, group in all_groups().items():
        X, y = _data(group, seed)
        A, b = stacked(X, y, group.elements)
        reference = np.linalg.lstsq(A, b, rcond=None)[0]
        w, raised = _call(candidate, X, y, group)
        if raised:
            return Evidence(passed=False, message=f"{name}: {raised}")
        err = rel_error(w, reference)
        if err > RTOL:
            ev = _fail(
                name,
                f"not the stacked least-squares solution (relative error {err:.3g})",
                None,
                None,
                err,
            )
            ev.witness = worst_entry(w, reference, {"group": name})
            return ev
        inv_err = max(rel_error(g @ w, w) for g in group)
        worst = max(worst, err, inv_err)
        if inv_err > RTOL:
            return _fail(
                name, f"not invariant: max ‖Gw − w‖/‖w‖ = {inv_err:.3g}", inv_err, 0.0, inv_err
            )
    return Evidence(
        passed=True, error=worst, tolerance=RTOL, message=f"largest relative error: {worst:.2g}"
    )


@claim(
    "invariance.predictor",
    "the predictor x ↦ xᵀw1* is invariant: max |f(Gx) − f(x)| / max |f(x)| ≤ 1e-9 over test "
    "inputs, for every group",
    method="enumeration",
    answer="implementation",
    derived=lambda: inv.invariant_solution,
)
def _predictor_check(candidate, seed):
    worst = 0.0
    for name, group in all_groups().items():
        X, y = _data(group, seed)
        w, raised = _call(candidate, X, y, group)
        if raised:
            return Evidence(passed=False, message=f"{name}: {raised}")
        if w.shape != (group.d,):
            return _fail(name, f"shape {w.shape}", w.shape, (group.d,))
        tests = np.random.default_rng([seed, 11]).standard_normal((20, group.d))
        f = tests @ w
        scale = np.max(np.abs(f))
        for i, g in enumerate(group):
            err = float(np.max(np.abs(tests @ g.T @ w - f)) / scale)
            worst = max(worst, err)
            if err > RTOL:
                return _fail(
                    name,
                    f"f(Gx) ≠ f(x) for element {i} (relative {err:.3g})",
                    err,
                    0.0,
                    err,
                    element=i,
                )
    return Evidence(
        passed=True,
        error=worst,
        tolerance=RTOL,
        message=f"largest relative invariance error: {worst:.2g}",
    )


# --- the identities, exactly and in float64 ----------------------------------------------
def _exact_solution(X, y, elements):
    """The stacked normal equations ``AᵀA w = Aᵀb`` solved in rational arithmetic."""
    A, b = stacked(X, y, elements)
    Aq = sp.Matrix(np.round(A).astype(int).tolist())
    bq = sp.Matrix(np.round(b).astype(int).tolist())
    return (Aq.T * Aq).LUsolve(Aq.T * bq)


@claim(
    "invariance.identities.exact",
    "for the integer groups, exactly: G R = R, G K⁻¹ Gᵀ = K⁻¹, and K⁻¹ R Xᵀ y solves the stacked "
    "normal equations (rational arithmetic)",
    method="exact",
    answer="implementation",
    derived=lambda: inv.augmentation_matrices,
)
def _identities_exact(candidate, seed):
    for name in EXACT:
        group = all_groups()[name]
        X, y = _data(group, seed, integer=True)
        try:
            K, R = candidate(X, group)
        except Exception as exc:  # noqa: BLE001 - a candidate that raises is a wrong answer
            return Evidence(passed=False, message=f"{name}: the candidate raised {exc}")
        Kq, Rq = _rational(K, 1), _rational(R, 1)
        if Kq is None or Rq is None:
            return _fail(
                name, "K or R has entries that are not integers (integer data)", None, "integers"
            )
        Gs = group.rational()
        Xq, yq = sp.Matrix(X.astype(int).tolist()), sp.Matrix(y.astype(int).tolist())
        for i, g in enumerate(Gs):
            if g * Rq != Rq:
                diff = g * Rq - Rq
                return _fail(
                    name, f"G R ≠ R for element {i}", str(diff.tolist())[:60], 0, element=i
                )
        if Kq.det() == 0:
            return _fail(name, "K is singular", 0, "det ≠ 0")
        Ki = Kq.inv()
        for i, g in enumerate(Gs):
            if g * Ki * g.T != Ki:
                return _fail(name, f"G K⁻¹ Gᵀ ≠ K⁻¹ for element {i}", "≠", "=", element=i)
        w = Ki * Rq * Xq.T * yq
        reference = _exact_solution(X, y, group.elements)
        if w != reference:
            k = next(i for i in range(len(w)) if w[i] != reference[i])
            return _fail(
                name,
                "K⁻¹ R Xᵀ y is not the stacked least-squares solution",
                str(w[k]),
                str(reference[k]),
                index=k,
            )
    return Evidence(
        passed=True,
        error=0.0,
        n=len(EXACT),
        message="every identity holds exactly for the 4 integer groups",
    )


@claim(
    "invariance.identities.float",
    "for groups with irrational entries (C3 on a plane, Q D4 Qᵀ), in float64 relative error ≤ 1e-9: "
    "G R = R, G K⁻¹ Gᵀ = K⁻¹, and K⁻¹ R Xᵀ y matches numpy.linalg.lstsq of the stacked problem",
    method="enumeration",
    answer="implementation",
    derived=lambda: inv.augmentation_matrices,
)
def _identities_float(candidate, seed):
    worst = 0.0
    for name, group in float_groups().items():
        X, y = _data(group, seed)
        try:
            K, R = (np.asarray(m, dtype=float) for m in candidate(X, group))
        except Exception as exc:  # noqa: BLE001
            return Evidence(passed=False, message=f"{name}: the candidate raised {exc}")
        Ki = np.linalg.inv(K)
        for i, g in enumerate(group):
            errs = {"G R = R": rel_error(g @ R, R), "G K⁻¹ Gᵀ = K⁻¹": rel_error(g @ Ki @ g.T, Ki)}
            for what, err in errs.items():
                worst = max(worst, err)
                if err > RTOL:
                    return _fail(
                        name,
                        f"{what} fails for element {i} (relative {err:.3g})",
                        err,
                        0.0,
                        err,
                        element=i,
                    )
        A, b = stacked(X, y, group.elements)
        err = rel_error(Ki @ R @ X.T @ y, np.linalg.lstsq(A, b, rcond=None)[0])
        worst = max(worst, err)
        if err > RTOL:
            return _fail(
                name, f"K⁻¹ R Xᵀ y is not the lstsq solution (relative {err:.3g})", err, 0.0, err
            )
    return Evidence(
        passed=True, error=worst, tolerance=RTOL, message=f"largest relative error: {worst:.2g}"
    )


# --- the equivariant solution ------------------------------------------------------------
@claim(
    "invariance.equivariant",
    "W* = (Σ G YᵀX Gᵀ)(Σ G XᵀX Gᵀ)⁻¹ is the least-squares solution of the stacked problem "
    "G y ≈ W G x (numpy.linalg.lstsq) and is equivariant: W G x = G W x (relative ≤ 1e-9)",
    method="enumeration",
    answer="implementation",
    derived=lambda: inv.equivariant_solution,
)
def _equivariant_check(candidate, seed):
    worst = 0.0
    for name, group in all_groups().items():
        X, _ = _data(group, seed)
        Y = np.random.default_rng([seed, 5, group.d]).standard_normal(X.shape)
        A = np.concatenate([X @ g.T for g in group])
        B = np.concatenate([Y @ g.T for g in group])
        reference = np.linalg.lstsq(A, B, rcond=None)[0].T
        W, raised = _call(candidate, X, Y, group)
        if raised:
            return Evidence(passed=False, message=f"{name}: {raised}")
        err = rel_error(W, reference)
        if err > RTOL:
            ev = _fail(
                name,
                f"not the stacked least-squares solution (relative {err:.3g})",
                None,
                None,
                err,
            )
            ev.witness = worst_entry(W, reference, {"group": name})
            return ev
        tests = np.random.default_rng([seed, 13]).standard_normal((20, group.d))
        scale = np.max(np.linalg.norm(tests @ W.T, axis=1))
        for i, g in enumerate(group):
            e = float(np.max(np.linalg.norm(tests @ g.T @ W.T - tests @ W.T @ g.T, axis=1)) / scale)
            worst = max(worst, e)
            if e > RTOL:
                return _fail(
                    name, f"W(Gx) ≠ G(Wx) for element {i} (relative {e:.3g})", e, 0.0, e, element=i
                )
    return Evidence(
        passed=True, error=worst, tolerance=RTOL, message=f"largest relative error: {worst:.2g}"
    )


# --- weighted augmentation: where Σ Gᵀ and Σ G differ -------------------------------------
#: Unequal weights with p_G ≠ p_{Gᵀ}: the quarter turn and its inverse weigh differently.
WEIGHTS = {"c4": (0.4, 0.3, 0.2, 0.1), "shifts": (5.0, 4.0, 3.0, 2.0, 1.0)}


@claim(
    "invariance.weighted",
    "with weights p_G (p_G ≠ p_{Gᵀ}), the minimizer of ½ Σ p_G ‖y − X Gᵀ w‖² is "
    "(Σ p_G G XᵀX Gᵀ)⁻¹ (Σ p_G G) Xᵀ y: numpy.linalg.lstsq of the weighted stacked problem",
    method="enumeration",
    answer="implementation",
    derived=lambda: inv.invariant_solution,
)
def _weighted_check(candidate, seed):
    worst = 0.0
    for name, weights in WEIGHTS.items():
        group = all_groups()[name]
        X, y = _data(group, seed)
        A, b = stacked(X, y, group.elements, weights)
        reference = np.linalg.lstsq(A, b, rcond=None)[0]
        w, raised = _call(candidate, X, y, group, np.array(weights))
        if raised:
            return Evidence(passed=False, message=f"{name}: {raised}")
        err = rel_error(w, reference)
        worst = max(worst, err)
        if err > RTOL:
            ev = _fail(
                name,
                f"not the weighted least-squares solution (relative {err:.3g})",
                None,
                None,
                err,
            )
            ev.witness = worst_entry(w, reference, {"group": name, "weights": weights})
            return ev
    return Evidence(
        passed=True, error=worst, tolerance=RTOL, message=f"largest relative error: {worst:.2g}"
    )
