"""What the claims of the invariance topic on concrete groups share: the groups they run over,
the data, the stacked augmented problem, relative errors and failure evidence.

The measured side never calls the derivation's formulas. The reference solutions are the
least-squares solutions of the *stacked* augmented problems, ``[X G₁ᵀ; …; X G_mᵀ] w ≈ [y; …; y]``
(and its matrix analogue), from ``numpy.linalg.lstsq`` in float64, or for groups of integer
matrices from the stacked normal equations solved in rational arithmetic (SymPy). The groups are
checked against NumPy's own image operations (``np.rot90``, ``np.fliplr``, ``np.roll``).

Float comparisons are relative, as equivariance libraries test them: ``‖a − b‖ / ‖b‖``. The
data are Gaussian with more rows than columns (condition numbers of the stacked problems below
about 30), so a backward-stable solver's error is about ``30 · 2⁻⁵³ ≈ 4e-15``; the tolerance
:data:`RTOL` = 1e-9 is far above that and far below the O(1) errors of the wrong answers.

>>> rel_error([1.0, 2.0], [1.0, 2.5]) < 0.2
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import invariance as inv
from verify.claims import Evidence, Witness

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


def _rational(a: np.ndarray, denominator: int):
    """``a`` as an exact matrix, every entry the nearest multiple of ``1/denominator``; None
    when an entry is more than 1e-9 from one (so not the value it should be)."""
    scaled = np.asarray(a, dtype=float) * denominator
    if np.max(np.abs(scaled - np.round(scaled))) > 1e-9 * max(1.0, np.max(np.abs(scaled))):
        return None
    return sp.Matrix(np.round(scaled).astype(int).tolist()) / denominator
