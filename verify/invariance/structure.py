"""Claims on the groups themselves and on the Reynolds operator.

The groups are checked against NumPy's own image operations (``np.rot90``, ``np.fliplr``,
``np.roll``), the axioms in integer arithmetic where the entries are integers; the Reynolds
operator against the fixed space found independently (the null space of the stacked
``G − I``, its dimension an exact rank).

>>> from verify.claims import get
>>> get("invariance.reynolds").check().passed
True
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from derivations import invariance as inv
from verify.claims import Evidence, claim
from verify.invariance.common import (
    ORDERS,
    RTOL,
    _call,
    _fail,
    _rational,
    all_groups,
    rel_error,
)


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
