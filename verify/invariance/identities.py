"""Claims of the invariance topic on concrete groups: the groups, the Reynolds operator, the
loss, the solutions and the identities they satisfy.

The measured side never calls the derivation's formulas. The reference solutions are the
least-squares solutions of the *stacked* augmented problems, ``[X G₁ᵀ; …; X G_mᵀ] w ≈ [y; …; y]``
(and its matrix analogue), from ``numpy.linalg.lstsq`` in float64, or for groups of integer
matrices from the stacked normal equations solved in rational arithmetic (SymPy). The groups are
checked against NumPy's own image operations (``np.rot90``, ``np.fliplr``, ``np.roll``).

Float comparisons are relative, as equivariance libraries test them: ``‖a − b‖ / ‖b‖``. The
data are Gaussian with more rows than columns (condition numbers of the stacked problems below
about 30), so a backward-stable solver's error is about ``30 · 2⁻⁵³ ≈ 4e-15``; the tolerance
:data:`RTOL` = 1e-9 is far above that and far below the O(1) errors of the wrong answers.

>>> from verify.claims import get
>>> get("invariance.solution").check().passed
True
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import invariance as inv
from verify.claims import Evidence, Witness, claim
from verify.evidence import worst_entry

#: Relative tolerance of the float64 comparisons (see the module docstring).
RTOL = 1e-9
#: Exact groups (integer entries: permutations and signed permutations).
EXACT = ("c4", "d4", "shifts", "flips")
#: Their expected orders.
ORDERS = {"c4": 4, "d4": 8, "shifts": 5, "flips": 4, "c3_plane": 3}


@lru_cache
def float_groups() -> dict[str, inv.Group]:
    """Groups whose entries are not rational: C3 turning a plane of R³, and D4 on 2×2 images
    seen in a random orthonormal basis ``Q D4 Qᵀ`` (fixed seed).

    >>> sorted(float_groups())
    ['c3_plane', 'd4_rotated']
    """
    q, _ = np.linalg.qr(np.random.default_rng(140).standard_normal((4, 4)))
    rotated = inv.as_group([q @ g @ q.T for g in inv.dihedral(2)], "group", label="Q D4 Qᵀ on R^4")
    return {"c3_plane": inv.planar_rotations(3, 3), "d4_rotated": rotated}


@lru_cache
def all_groups() -> dict[str, inv.Group]:
    """Every group a claim runs over: the exact four, then the float ones.

    >>> list(all_groups())
    ['c4', 'd4', 'shifts', 'flips', 'c3_plane', 'd4_rotated']
    """
    return {**{k: inv.GROUPS[k]() for k in EXACT}, **float_groups()}


def rel_error(a, b) -> float:
    """``‖a − b‖ / ‖b‖`` (Frobenius), inf when the shapes differ or ``a`` is not finite.

    >>> rel_error([1.0, 2.0], [1.0, 2.0]), rel_error([1.0], [1.0, 2.0])
    (0.0, inf)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.all(np.isfinite(a)):
        return float("inf")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def _data(group: inv.Group, seed: int, rows: int = 12, integer: bool = False):
    rng = np.random.default_rng([seed, group.d, group.order, 14])
    if integer:
        return rng.integers(-3, 4, size=(rows, group.d)).astype(float), rng.integers(
            -3, 4, size=rows
        ).astype(float)
    return rng.standard_normal((rows, group.d)), rng.standard_normal(rows)


def stacked(X, y, elements, weights=None):
    """The stacked augmented problem ``A w ≈ b``: one block ``√p_G X Gᵀ``, ``√p_G y`` per
    element (``p_G = 1`` unweighted).

    >>> A, b = stacked(np.ones((2, 3)), np.ones(2), inv.cyclic_shifts(3).elements)
    >>> A.shape, b.shape
    ((6, 3), (6,))
    """
    p = np.ones(len(elements)) if weights is None else np.asarray(weights, dtype=float)
    A = np.concatenate([np.sqrt(pg) * X @ g.T for pg, g in zip(p, elements, strict=True)])
    b = np.concatenate([np.sqrt(pg) * y for pg in p])
    return A, b


def _fail(name, what, candidate, reference, error=None, **extra):
    return Evidence(
        passed=False,
        error=error,
        message=f"{name}: {what}",
        witness=Witness({"group": name, **extra}, candidate, reference),
    )


def _call(candidate, *args):
    try:
        return np.asarray(candidate(*args), dtype=float), None
    except Exception as exc:  # noqa: BLE001 - a candidate that raises is a wrong answer
        return None, f"the candidate raised {type(exc).__name__}: {exc}"


# --- the groups --------------------------------------------------------------------------
def _builder(name):
    return inv.GROUPS[name]().elements


def _expected_action(name: str):
    """What each group does to a test input, by NumPy's own operations (a set of outputs)."""
    if name in ("c4", "d4"):
        img = np.arange(1.0, 10.0).reshape(3, 3) ** 2  # distinct pixels, no symmetry
        out = [np.rot90(img, k) for k in range(4)]
        if name == "d4":
            out += [np.rot90(np.fliplr(img), k) for k in range(4)]
        return img.ravel(), {tuple(o.ravel()) for o in out}
    if name == "shifts":
        v = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
        return v, {tuple(np.roll(v, k)) for k in range(5)}
    if name == "flips":
        v = np.array([1.0, 2.0, 3.0, 4.0])
        return v, {(a * 1.0, b * 2.0, 3.0, 4.0) for a in (1, -1) for b in (1, -1)}
    v = np.array([1.0, 2.0, 3.0])
    z = complex(1.0, 2.0)
    turns = [z * np.exp(2j * np.pi * k / 3) for k in range(3)]
    return v, {tuple(np.round([t.real, t.imag, 3.0], 9)) for t in turns}


def _group_failure(name, elements) -> Evidence | None:
    """Independent check that ``elements`` is a group (exact for integer entries)."""
    try:
        mats = [np.asarray(g, dtype=float) for g in elements]
        exact = all(np.array_equal(g, np.round(g)) for g in mats)
    except (TypeError, ValueError):
        return _fail(name, "not a sequence of matrices", str(elements)[:60], "matrices")
    if len(mats) != ORDERS[name]:
        return _fail(
            name, f"{len(mats)} elements, the group has {ORDERS[name]}", len(mats), ORDERS[name]
        )
    d = mats[0].shape[0]

    def key(m):
        return tuple(np.round(m, 0 if exact else 9).ravel().tolist())

    keys = {key(m): i for i, m in enumerate(mats)}
    if len(keys) != len(mats):
        return _fail(name, "an element appears twice", len(keys), len(mats))
    for i, g in enumerate(mats):
        if rel_error(g.T @ g, np.eye(d)) > RTOL:
            return _fail(
                name,
                f"element {i} is not orthogonal",
                rel_error(g.T @ g, np.eye(d)),
                0.0,
                element=i,
            )
    if key(np.eye(d)) not in keys:
        return _fail(name, "no identity", "missing", "I")
    for i, a in enumerate(mats):
        for j, b in enumerate(mats):
            if key(a @ b) not in keys:
                return _fail(
                    name,
                    f"not closed: element {i} times element {j} is not in the set",
                    "not in the set",
                    "in the set",
                    product=(i, j),
                )
        if key(a.T) not in keys:
            return _fail(name, f"the inverse of element {i} is missing", "missing", "Gᵀ", element=i)
    probe, wanted = _expected_action(name)
    got = {tuple(np.round(g @ probe, 9)) for g in mats}
    if got != wanted:
        odd = sorted(got - wanted)
        return _fail(
            name,
            "the elements do not act as NumPy's operations do",
            str(odd[:1]),
            "np.rot90/np.fliplr/np.roll",
        )
    return None


@claim(
    "invariance.groups",
    "C4 and D4 on 3×3 images, the cyclic shifts of R^5, sign flips and C3 on a plane are groups "
    "(orthogonal, identity, closure, inverses) acting as np.rot90, np.fliplr, np.roll do",
    method="exact",
    answer="implementation",
    derived=lambda: _builder,
)
def _groups_check(candidate, seed):
    for name in inv.GROUPS:
        try:
            elements = candidate(name)
        except Exception as exc:  # noqa: BLE001
            return Evidence(passed=False, message=f"{name}: the candidate raised {exc}")
        bad = _group_failure(name, elements)
        if bad is not None:
            return bad
    return Evidence(
        passed=True,
        n=len(inv.GROUPS),
        message=f"{len(inv.GROUPS)} groups, every axiom exact or to 1e-9",
    )


# --- the Reynolds operator ---------------------------------------------------------------
def _fixed_dimension(elements, exact: bool) -> int:
    """``d − rank[G₁ − I; …]``: the dimension of the common fixed space (exact rank when the
    entries are integers)."""
    d = elements[0].shape[0]
    if exact:
        stacked_ = sp.Matrix(
            np.concatenate(
                [np.round(g).astype(int) - np.eye(d, dtype=int) for g in elements]
            ).tolist()
        )
        return d - stacked_.rank()
    stacked_ = np.concatenate([g - np.eye(d) for g in elements])
    return d - int(np.linalg.matrix_rank(stacked_, tol=1e-9))


def _rational(a: np.ndarray, denominator: int):
    """``a`` as an exact matrix, every entry the nearest multiple of ``1/denominator``; None
    when an entry is more than 1e-9 from one (so not the value it should be)."""
    scaled = np.asarray(a, dtype=float) * denominator
    if np.max(np.abs(scaled - np.round(scaled))) > 1e-9 * max(1.0, np.max(np.abs(scaled))):
        return None
    return sp.Matrix(np.round(scaled).astype(int).tolist()) / denominator


@claim(
    "invariance.reynolds",
    "R/|G| is symmetric, idempotent, fixes every invariant vector, is absorbed by every G, and "
    "has trace d_G = d − rank[G − I] (exactly for the integer groups)",
    method="exact",
    answer="implementation",
    derived=lambda: inv.reynolds,
)
def _reynolds_check(candidate, seed):
    for name, group in all_groups().items():
        P, raised = _call(candidate, group)
        if raised:
            return Evidence(passed=False, message=f"{name}: {raised}")
        d = group.d
        if P.shape != (d, d):
            return _fail(name, f"shape {P.shape}, not {(d, d)}", P.shape, (d, d))
        d_G = _fixed_dimension(group.elements, group.exact)
        if group.exact:
            # the right entries are multiples of 1/|G|; a wrong average may have another
            # small denominator, so read the entries as multiples of 1/lcm(1..|G|) and let the
            # properties below say what fails
            Pq = _rational(P, math.lcm(*range(1, group.order + 1)))
            if Pq is None:
                return _fail(
                    name, "entries are not fractions k/m with m ≤ |G|", float(P.ravel()[0]), "k/|G|"
                )
            Gs = group.rational()
            checks = {
                "symmetric": Pq.T == Pq,
                "idempotent": Pq * Pq == Pq,
                f"trace = d_G = {d_G}": Pq.trace() == d_G,
                "G P = P": all(g * Pq == Pq for g in Gs),
            }
            values = {"trace": str(Pq.trace())}
        else:
            tr = float(np.trace(P))
            checks = {
                "symmetric": rel_error(P.T, P) <= RTOL,
                "idempotent": rel_error(P @ P, P) <= RTOL,
                f"trace = d_G = {d_G}": abs(tr - d_G) <= RTOL * d,
                "G P = P": all(rel_error(g @ P, P) <= RTOL for g in group),
            }
            values = {"trace": tr}
        # every fixed vector is kept (range ⊇ fixed space): a basis of the null space
        stacked_ = np.concatenate([g - np.eye(d) for g in group])
        _, s, vt = np.linalg.svd(stacked_)
        basis = vt[int(np.sum(s > 1e-9)) :].T
        checks["P v = v on the fixed space"] = (
            rel_error(P @ basis, basis) <= RTOL if basis.size else True
        )
        failed = [k for k, ok in checks.items() if not ok]
        if failed:
            return _fail(name, f"fails: {', '.join(failed)}", values["trace"], d_G)
    return Evidence(
        passed=True, n=len(all_groups()), message="projector onto the fixed space for every group"
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
