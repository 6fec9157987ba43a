"""The closed forms: the invariant and equivariant least-squares solutions, the Reynolds
operator, the augmented losses, and the three risks with an invariant truth.

>>> import numpy as np
>>> from derivations.invariance.groups import cyclic_shifts
>>> P = reynolds(cyclic_shifts(3))
>>> np.allclose(P, np.full((3, 3), 1 / 3))
True
"""

from __future__ import annotations

import numpy as np

from derivations import arguments as arg
from derivations.invariance.groups import Group, as_group

#: K counts as singular when its smallest eigenvalue is below this times its largest: the
#: solve would then lose every digit (condition number past 1/(d·2⁻⁵³) for small d).
SINGULAR_RTOL = 1e-12


def _data(X, y, group, y_name: str, y_ndim: int):
    G = as_group(group, "group")
    X = arg.array(X, "X", ndim=2)
    y = arg.array(y, y_name, ndim=y_ndim)
    if X.shape[1] != G.d:
        raise ValueError(
            f"X: {X.shape[1]} columns, but the group acts on R^{G.d} (X must be N × {G.d})"
        )
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{y_name}: {y.shape[0]} rows, but X has {X.shape[0]} (one per sample)")
    if y_ndim == 2 and y.shape[1] != G.d:
        raise ValueError(f"{y_name}: {y.shape[1]} columns, but the group acts on R^{G.d}")
    return X, y, G


def _weights(weights, G: Group) -> np.ndarray:
    if weights is None:
        return np.ones(G.order)
    p = arg.array(weights, "weights", shape=(G.order,))
    if np.any(p <= 0):
        raise ValueError(f"weights: every weight must be > 0, got {p.tolist()}")
    return p


def _solve(K: np.ndarray, rhs: np.ndarray, what: str) -> np.ndarray:
    eig = np.linalg.eigvalsh((K + K.T) / 2)
    if eig[-1] <= 0 or eig[0] <= SINGULAR_RTOL * eig[-1]:
        raise ValueError(
            f"X: K = {what} is singular (eigenvalues from {eig[0]:.3g} to {eig[-1]:.3g}): the "
            "augmented problem has no unique solution; use more or more varied samples"
        )
    return np.linalg.solve(K, rhs)


def augmentation_matrices(X, group, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """``K = Σ_G p_G G XᵀX Gᵀ`` and ``R = Σ_G p_G G`` (``p_G = 1`` by default).

    With equal weights ``K = Σ_G GᵀXᵀXG`` too: ``G ↦ Gᵀ`` runs over the group.

    >>> from derivations.invariance.groups import sign_flips
    >>> K, R = augmentation_matrices(np.array([[1.0, 2.0]]), sign_flips(2, 1))
    >>> K.tolist(), R.tolist()
    ([[2.0, 0.0], [0.0, 8.0]], [[0.0, 0.0], [0.0, 2.0]])
    """
    G = as_group(group, "group")
    X = arg.array(X, "X", ndim=2)
    if X.shape[1] != G.d:
        raise ValueError(f"X: {X.shape[1]} columns, but the group acts on R^{G.d}")
    p = _weights(weights, G)
    H = X.T @ X
    K = sum(w * g @ H @ g.T for w, g in zip(p, G, strict=True))
    R = sum(w * g for w, g in zip(p, G, strict=True))
    return K, R


def invariant_solution(X, y, group, weights=None) -> np.ndarray:
    """``w₁* = K⁻¹ R Xᵀ y``, the minimizer of ``L₁(w) = ½ Σ_G p_G ‖y − X Gᵀ w‖²``.

    ``X`` is ``N × d``, ``y`` has ``N`` entries, ``group`` acts on ``R^d``; ``weights``
    (one ``p_G > 0`` per element, in the group's order) weight the augmented copies.

    >>> from derivations.invariance.groups import cyclic_shifts
    >>> X = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
    >>> # invariant w = c(1, 1, 1): row sums 1 and 3, so c minimizes (1 − c)² + (3 − 3c)²
    >>> invariant_solution(X, np.array([1.0, 3.0]), cyclic_shifts(3)).round(12).tolist()
    [1.0, 1.0, 1.0]
    >>> invariant_solution(X[:, :2], np.array([1.0, 3.0]), cyclic_shifts(3))
    Traceback (most recent call last):
    ...
    ValueError: X: 2 columns, but the group acts on R^3 (X must be N × 3)
    """
    X, y, G = _data(X, y, group, "y", 1)
    K, R = augmentation_matrices(X, G, weights)
    return _solve(K, R @ X.T @ y, "Σ_G p_G G XᵀX Gᵀ")


def equivariant_solution(X, Y, group) -> np.ndarray:
    """``W* = (Σ_G G YᵀX Gᵀ)(Σ_G G XᵀX Gᵀ)⁻¹``, the minimizer of
    ``L₂(W) = ½ Σ_G Σ_n ‖G y⁽ⁿ⁾ − W G x⁽ⁿ⁾‖²`` (rows of ``X``, ``Y`` are the samples).

    >>> from derivations.invariance.groups import cyclic_shifts
    >>> X = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
    >>> W = equivariant_solution(X, X[:, ::-1], cyclic_shifts(3))
    >>> S = cyclic_shifts(3).elements[1]
    >>> bool(np.allclose(W @ S, S @ W))
    True
    """
    X, Y, G = _data(X, Y, group, "Y", 2)
    K, _ = augmentation_matrices(X, G)
    C = sum(g @ Y.T @ X @ g.T for g in G)
    return _solve(K, C.T, "Σ_G G XᵀX Gᵀ").T  # W K = C, K symmetric


def reynolds(group) -> np.ndarray:
    """The Reynolds operator ``R/|𝒢| = (1/|𝒢|) Σ_G G``: the orthogonal projector onto the
    vectors every element fixes.

    >>> from derivations.invariance.groups import sign_flips
    >>> reynolds(sign_flips(3, 2)).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    >>> reynolds([np.eye(2), np.array([[0.0, -1.0], [1.0, 0.0]])])
    Traceback (most recent call last):
    ...
    ValueError: group: not closed under composition: element 1 times element 1 is not in the set
    """
    G = as_group(group, "group")
    return sum(G.elements) / G.order


def invariant_dimension(group) -> int:
    """``d_G = tr(R/|𝒢|)``, the dimension of the invariant subspace.

    >>> from derivations.invariance.groups import rotations
    >>> invariant_dimension(rotations(3))  # centre, corners, edge midpoints
    3
    """
    return int(round(float(np.trace(reynolds(group)))))


def augmented_loss(w, X, y, group) -> float:
    """``L₁(w) = ½ Σ_G ‖y − X Gᵀ w‖²``.

    >>> from derivations.invariance.groups import sign_flips
    >>> augmented_loss(np.array([1.0, 1.0]), np.eye(2), np.zeros(2), sign_flips(2))
    4.0
    """
    X, y, G = _data(X, y, group, "y", 1)
    w = arg.array(w, "w", shape=(G.d,))
    return float(sum(0.5 * np.sum((y - X @ g.T @ w) ** 2) for g in G))


def equivariant_loss(W, X, Y, group) -> float:
    """``L₂(W) = ½ Σ_G Σ_n ‖G y⁽ⁿ⁾ − W G x⁽ⁿ⁾‖²``.

    >>> from derivations.invariance.groups import sign_flips
    >>> equivariant_loss(np.eye(2), np.eye(2), np.eye(2), sign_flips(2))
    0.0
    """
    X, Y, G = _data(X, Y, group, "Y", 2)
    W = arg.array(W, "W", shape=(G.d, G.d))
    return float(sum(0.5 * np.sum((Y @ g.T - X @ g.T @ W.T) ** 2) for g in G))


def _risk_args(sigma2, n, dims):
    sigma2 = arg.positive(sigma2, "sigma2")
    n = arg.count(n, "n")
    out = [arg.count(v, name) for name, v in dims]
    return sigma2, n, out


def risk_ols(sigma2, n, d) -> float:
    """``E‖ŵ − β‖² = σ² d/(n − d − 1)`` for OLS with ``x ~ N(0, I_d)``, ``n > d + 1`` samples.

    >>> risk_ols(0.5, 40, 9)
    0.15
    """
    sigma2, n, (d,) = _risk_args(sigma2, n, [("d", d)])
    if n <= d + 1:
        raise ValueError(f"n: must exceed d + 1 = {d + 1} (finite risk), got {n}")
    return sigma2 * d / (n - d - 1)


def risk_projected(sigma2, n, d, d_G) -> float:
    """``σ² d_G/(n − d − 1)``: OLS projected onto the invariant subspace (``Pβ = β``).

    >>> round(risk_projected(0.5, 40, 9, 3), 12)
    0.05
    """
    sigma2, n, (d, d_G) = _risk_args(sigma2, n, [("d", d), ("d_G", d_G)])
    if d_G > d:
        raise ValueError(f"d_G: at most d = {d}, got {d_G}")
    if n <= d + 1:
        raise ValueError(f"n: must exceed d + 1 = {d + 1} (finite risk), got {n}")
    return sigma2 * d_G / (n - d - 1)


def risk_augmented(sigma2, n, d_G) -> float:
    """``σ² d_G/(n − d_G − 1)``: augmented least squares ``w₁*`` (an invariant truth).

    >>> round(risk_augmented(0.5, 40, 3), 6)
    0.041667
    """
    sigma2, n, (d_G,) = _risk_args(sigma2, n, [("d_G", d_G)])
    if n <= d_G + 1:
        raise ValueError(f"n: must exceed d_G + 1 = {d_G + 1} (finite risk), got {n}")
    return sigma2 * d_G / (n - d_G - 1)
