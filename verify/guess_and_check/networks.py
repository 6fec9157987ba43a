"""The raw objects of guess and check, built without the derivation's helpers.

Students are enumerated or drawn as weight arrays and run on inputs; whether two networks
compute the same function is decided here by a route of its own, pair by pair: the
*critical directions* of the pair (both networks' kink lines ``w₁_jᵀx = 0``, the axes, and
the ray inside each arc where either network's linear piece vanishes) cut the circle into arcs
on which neither network changes sign, so the signs at the critical directions and at one
direction inside each arc decide, in integer arithmetic. The error of a student under
isotropic Gaussian inputs (``d0 = 2``) is the angle of the arcs where the signs differ,
over ``2π``. Nothing here uses :mod:`derivations.guess_and_check`.

>>> W1, w2 = all_students(1, 1, 3)
>>> W1.shape, w2.shape
((9, 1, 1), (9, 1))
"""

from __future__ import annotations

import math
from functools import cmp_to_key, lru_cache

import numpy as np


def all_students(d0: int, d1: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Every parameter vector of ``Q^(d0·d1 + d1)``, as ``W1`` of shape ``(n, d1, d0)`` and
    ``w2`` of shape ``(n, d1)``; row ``i`` is the base-``q`` number ``i`` (digits minus
    ``m = (q−1)/2``, ``W1`` row-major first, then ``w2``), so :func:`index_of` inverts it.

    >>> W1, w2 = all_students(1, 1, 3)
    >>> W1[:, 0, 0].tolist(), w2[:, 0].tolist()
    ([-1, -1, -1, 0, 0, 0, 1, 1, 1], [-1, 0, 1, -1, 0, 1, -1, 0, 1])
    """
    k = d0 * d1 + d1
    m = (q - 1) // 2
    digits = np.indices((q,) * k).reshape(k, -1).T - m
    return digits[:, : d0 * d1].reshape(-1, d1, d0), digits[:, d0 * d1 :]


def index_of(W1: np.ndarray, w2: np.ndarray, q: int) -> np.ndarray:
    """The row of :func:`all_students` holding each student (batch axes first).

    >>> W1, w2 = all_students(2, 1, 3)
    >>> bool(np.all(index_of(W1, w2, 3) == np.arange(27)))
    True
    """
    m = (q - 1) // 2
    flat = np.concatenate([W1.reshape(*W1.shape[:-2], -1), w2], axis=-1) + m
    weights = q ** np.arange(flat.shape[-1] - 1, -1, -1)
    return flat @ weights


def draw_students(rng: np.random.Generator, n: int, d0: int, d1: int, q: int):
    """``n`` students with every weight i.i.d. uniform on ``Q``.

    >>> W1, w2 = draw_students(np.random.default_rng(0), 5, 2, 3, 3)
    >>> W1.shape, w2.shape, int(np.abs(W1).max()) <= 1
    ((5, 3, 2), (5, 3), True)
    """
    m = (q - 1) // 2
    W1 = rng.integers(-m, m + 1, size=(n, d1, d0))
    w2 = rng.integers(-m, m + 1, size=(n, d1))
    return W1, w2


def labels(W1: np.ndarray, w2: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``sign(w₂ᵀ[W₁x]₊)`` for every student (leading axes of ``W1``, ``w2``) and every row
    ``x`` of ``X``; ``sign(0) = 0``.

    >>> labels(np.array([[[1.0]]]), np.array([[1.0]]), np.array([[2.0], [-1.0]])).tolist()
    [[1.0, 0.0]]
    """
    hidden = np.maximum(np.einsum("...jd,nd->...nj", W1, X), 0)
    return np.sign(np.einsum("...nj,...j->...n", hidden, w2))


# --- one pair of networks, exactly ---------------------------------------------------------
def _units(W1, w2):
    """The units that contribute: ``w₂_j ≠ 0`` and ``w₁_j ≠ 0``, as a sorted tuple."""
    return tuple(
        sorted(
            (tuple(int(v) for v in W1[j]), int(w2[j]))
            for j in range(len(w2))
            if w2[j] != 0 and any(W1[j])
        )
    )


def _value(units, x) -> int:
    return sum(b * max(0, sum(a_i * x_i for a_i, x_i in zip(a, x, strict=True))) for a, b in units)


def _upper(v) -> bool:
    return v[1] > 0 or (v[1] == 0 and v[0] > 0)


def _angle_order(u, v) -> int:
    if _upper(u) != _upper(v):
        return -1 if _upper(u) else 1
    cross = u[0] * v[1] - u[1] * v[0]
    return -1 if cross > 0 else (1 if cross < 0 else 0)


def _primitive(v):
    g = math.gcd(*v)
    return (v[0] // g, v[1] // g)


def _sorted_directions(vectors):
    unique = {_primitive(v) for v in vectors if v != (0, 0)}
    return sorted(unique, key=cmp_to_key(_angle_order))


def _strictly_between(r, v, s) -> bool:
    # v inside the open arc from r counter-clockwise to s (the arc is less than π here)
    return r[0] * v[1] - r[1] * v[0] > 0 and v[0] * s[1] - v[1] * s[0] > 0


def _gradient(units, x):
    """The gradient of ``g`` at a point ``x`` where no unit is at its kink."""
    gx = gy = 0
    for a, b in units:
        if a[0] * x[0] + a[1] * x[1] > 0:
            gx, gy = gx + b * a[0], gy + b * a[1]
    return gx, gy


@lru_cache(maxsize=200_000)
def arcs(units_t, units_s):
    """The pair's critical directions (in angular order) and one direction inside each arc
    after each of them; each network has a single sign on every open arc.

    >>> crit, mids = arcs(((((1, 0), 1),)), ((((1, 0), 1),)))
    >>> crit[:3], mids[0]
    ([(1, 0), (0, 1), (-1, 0)], (1, 1))
    """
    base = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    for a, _ in (*units_t, *units_s):
        base += [(-a[1], a[0]), (a[1], -a[0])]
    crit = _sorted_directions(base)
    extra = []
    for i, r in enumerate(crit):
        s = crit[(i + 1) % len(crit)]
        mid = (r[0] + s[0], r[1] + s[1])
        for units in (units_t, units_s):
            gx, gy = _gradient(units, mid)
            for z in ((-gy, gx), (gy, -gx)):
                if z != (0, 0) and _strictly_between(r, z, s):
                    extra.append(z)
    crit = _sorted_directions(crit + extra)
    mids = [(r[0] + s[0], r[1] + s[1]) for r, s in zip(crit, crit[1:] + crit[:1], strict=True)]
    return crit, mids


def same_function(t, s, *, everywhere: bool = True) -> bool:
    """Whether networks ``t = (W1, w2)`` and ``s`` have the same sign at every ``x`` of
    ``R^d0`` (``everywhere``) or at every ``x`` off a null set (``d0 ∈ {1, 2}``).

    >>> t = (np.array([[1, 0], [0, 1]]), np.array([1, -1]))
    >>> s = (np.array([[1, 0], [0, 1], [1, 1]]), np.array([1, -1, 0]))
    >>> same_function(t, s), same_function(t, (t[0], -t[1]))
    (True, False)
    """
    ut, us = _units(*t), _units(*s)
    if ut == us:
        return True
    d0 = np.shape(t[0])[1]
    if d0 == 1:  # g is linear on each half-line: its sign at 1 and -1 decides
        return all(np.sign(_value(ut, (x,))) == np.sign(_value(us, (x,))) for x in (1, -1))
    crit, mids = arcs(ut, us)
    points = mids + (crit if everywhere else [])
    return all(np.sign(_value(ut, x)) == np.sign(_value(us, x)) for x in points)


def error(t, s) -> float:
    """``P(f_t(x) ≠ f_s(x))`` for ``x ~ N(0, I_2)``: the direction of ``x`` is uniform and
    both functions are positively homogeneous, so it is the angle of disagreement over 2π.

    >>> t = (np.array([[1, 0]]), np.array([1]))
    >>> error(t, (np.array([[0, 1]]), np.array([1])))  # disagree on two quarter planes
    0.5
    """
    ut, us = _units(*t), _units(*s)
    if ut == us:
        return 0.0
    crit, mids = arcs(ut, us)
    total = 0.0
    for r, v, s_ in zip(crit, mids, crit[1:] + crit[:1], strict=True):
        if np.sign(_value(ut, v)) != np.sign(_value(us, v)):
            total += (math.atan2(s_[1], s_[0]) - math.atan2(r[1], r[0])) % (2 * math.pi)
    return total / (2 * math.pi)


def canonical(W1, w2):
    """A hashable form of a network: its contributing units, sorted (what ``g`` depends on).

    >>> canonical(np.array([[0, 1], [1, 0]]), np.array([2, 0]))
    (((0, 1), 2),)
    """
    return _units(W1, w2)
