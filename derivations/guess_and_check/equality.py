"""When two quantized networks compute the same function, decided exactly, and how often.

A network ``f(x) = sign(w₂ᵀ[W₁x]₊)`` with no biases has the pre-sign output
``g(x) = Σ_j w₂_j [w₁_jᵀx]₊``: positively homogeneous (``g(cx) = c g(x)`` for ``c > 0``) and
linear on every cone cut out by the lines ``w₁_jᵀx = 0``. The weights lie in
``Q = {−m, …, m}`` (``q = 2m + 1``), so every such line is one of finitely many: for
``d0 = 2`` the lines orthogonal to the non-zero vectors of ``Q²``, whose directions are the
*universal rays* :func:`rays` (for ``d0 = 1`` the rays ``±1``). Every network of the class is
linear on each sector between consecutive universal rays, so two networks are compared sector
by sector.

**The sign of 0.** ``sign(0) = 0``, as ``torch.sign`` and ``numpy.sign`` compute it: where
``g ≡ 0`` on a cone of positive measure (no hidden unit active there, say) the label is 0,
and a student must output 0 there as well.

**The exact test.** On a sector spanned by rays ``r, r'`` (angle below π) a point is
``x = s r + t r'`` with ``s, t > 0`` and ``g(x) = s g(r) + t g(r')``. Its sign on the open
sector is therefore fixed by ``(g(r), g(r'))``: one sign throughout unless ``g(r)`` and
``g(r')`` have strictly opposite signs, and then it changes once, on the ray
``t/s = −g(r)/g(r')``. Two networks ``g, h`` have the same sign at every point of ``R²`` iff
they have the same sign on every universal ray (``g(0) = h(0) = 0`` at the origin) and, on
every sector where ``g`` changes sign, ``h`` changes sign the same way on the same ray:
``g(r) h(r') = h(r) g(r')``. Equality *up to a null set* (what a Gaussian sample can see)
drops the rays and compares the open sectors only. Both are decided in integer arithmetic.

**The count.** ``g`` on the rays is the sum of the hidden units' contributions
``w₂_j [R w₁_j]₊`` (``R`` the rays as rows), each a function of that unit's ``d0 + 1``
weights alone. The law of the sum over a uniform student is the ``d1``-fold convolution of
one unit's law, which :func:`ray_values` computes as a table of distinct value vectors with
exact counts (the hidden units' order never matters, and many units give the same vector),
instead of enumerating the ``q^(d0·d1 + d1)`` students.

>>> from fractions import Fraction
>>> match_probability([[1]], [1], 3)  # sign(x₊): only w1 = w2 = 1 is positive on x > 0 and 0 on x < 0
Fraction(1, 9)
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cmp_to_key, lru_cache

import numpy as np

from derivations import arguments as arg

#: Largest number of parameters ``d0·d1 + d1`` accepted: the counts stay exact in int64
#: (``q^k < 2⁶³``) and the table of sums stays small.
MAX_PARAMETERS = 24


def odd_q(q) -> int:
    """``q`` as an int if it is an odd integer ≥ 3 (``Q = {−(q−1)/2, …, (q−1)/2}``).

    >>> odd_q(5)
    5
    >>> odd_q(4)
    Traceback (most recent call last):
    ...
    ValueError: q: an odd integer >= 3 is required (Q = {-(q-1)/2, ..., (q-1)/2}), got 4
    """
    q = arg.integer(q, "q")
    if q < 3 or q % 2 == 0:
        raise ValueError(
            f"q: an odd integer >= 3 is required (Q = {{-(q-1)/2, ..., (q-1)/2}}), got {q}"
        )
    return q


def _half_plane(v) -> int:
    # 0 for angles in [0, π), 1 for [π, 2π): the first key of an exact angular order
    return 0 if (v[1] > 0 or (v[1] == 0 and v[0] > 0)) else 1


def _by_angle(u, v) -> int:
    hu, hv = _half_plane(u), _half_plane(v)
    if hu != hv:
        return hu - hv
    cross = u[0] * v[1] - u[1] * v[0]
    return -1 if cross > 0 else (1 if cross < 0 else 0)


@lru_cache
def rays(d0: int, q: int) -> np.ndarray:
    """The universal rays, in counter-clockwise order, as primitive integer rows.

    ``d0 = 1``: ``+1`` and ``−1``. ``d0 = 2``: both directions of every line ``wᵀx = 0`` with
    ``w ∈ Q² \\ {0}``, sorted by angle exactly (half-plane, then cross product).

    >>> rays(2, 3).tolist()
    [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]]
    >>> len(rays(2, 5))
    16
    """
    d0 = arg.choice(d0, "d0", (1, 2))
    q = odd_q(q)
    if d0 == 1:
        return np.array([[1], [-1]], dtype=np.int64)
    m = (q - 1) // 2
    found = set()
    for a in range(-m, m + 1):
        for b in range(-m, m + 1):
            if (a, b) != (0, 0):
                g = math.gcd(a, b)
                found.add((-b // g, a // g))
                found.add((b // g, -a // g))
    ordered = sorted(found, key=cmp_to_key(_by_angle))
    out = np.array(ordered, dtype=np.int64)
    out.setflags(write=False)
    return out


def quantized(value, name: str, shape, q: int) -> np.ndarray:
    """``value`` as an int64 array of ``shape`` whose entries lie in ``Q``.

    >>> quantized([[1, -1]], "W1", (1, 2), 3).tolist()
    [[1, -1]]
    >>> quantized([[2, 0]], "W1", (1, 2), 3)
    Traceback (most recent call last):
    ...
    ValueError: W1: entries in Q = {-1, ..., 1} (q = 3) are required, got 2 at index (0, 0)
    """
    a = arg.array(value, name, shape=shape, dtype=int)
    m = (q - 1) // 2
    bad = np.argwhere(np.abs(a) > m)
    if bad.size:
        at = tuple(int(i) for i in bad[0])
        raise ValueError(
            f"{name}: entries in Q = {{{-m}, ..., {m}}} (q = {q}) are required, got "
            f"{int(a[at])} at index {at}"
        )
    return a


def teacher(W1, w2, q) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated ``(W1, w2, q)``: ``W1`` of shape ``(d1, d0)`` with ``d0 ∈ {1, 2}``, ``w2`` of
    shape ``(d1,)``, entries in ``Q``, at most :data:`MAX_PARAMETERS` parameters.

    >>> teacher([[1, 0], [0, -1]], [1, 1], 3)[0].shape
    (2, 2)
    >>> teacher([[1, 0]], [1, 1], 3)
    Traceback (most recent call last):
    ...
    ValueError: w2: an integer array of shape (1,) is required, got shape (2,)
    """
    q = odd_q(q)
    W1a = arg.array(W1, "W1", ndim=2, dtype=int)
    d1, d0 = W1a.shape
    if d0 not in (1, 2) or d1 < 1:
        raise ValueError(
            f"W1: shape (d1, d0) with d1 >= 1 and d0 in (1, 2) is required (the exact test "
            f"enumerates the cones of R^d0 for d0 <= 2), got shape {W1a.shape}"
        )
    if d0 * d1 + d1 > MAX_PARAMETERS:
        raise ValueError(
            f"W1: at most {MAX_PARAMETERS} parameters d0·d1 + d1 are supported, got "
            f"{d0 * d1 + d1} (shape {W1a.shape})"
        )
    W1a = quantized(W1a, "W1", (d1, d0), q)
    w2a = quantized(w2, "w2", (d1,), q)
    return W1a, w2a, q


def on_rays(W1, w2, R) -> np.ndarray:
    """``g(r) = Σ_j w₂_j [w₁_jᵀ r]₊`` at every row ``r`` of ``R`` (exact integers); ``W1`` may
    carry leading batch axes (``(..., d1, d0)`` with ``w2`` of shape ``(..., d1)``).

    >>> on_rays(np.array([[1, 0]]), np.array([-1]), rays(2, 3)).tolist()
    [-1, -1, 0, 0, 0, 0, 0, -1]
    """
    pre = np.einsum("...jd,rd->...rj", W1, R)
    return np.einsum("...rj,...j->...r", np.maximum(pre, 0), w2)


@lru_cache(maxsize=32)
def unit_table(d0: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct contributions ``w₂ [R w₁]₊`` of one uniform hidden unit to ``g`` on the
    rays, with how many of the ``q^(d0+1)`` weight choices give each.

    >>> vectors, counts = unit_table(1, 3)
    >>> sorted(zip(map(tuple, vectors.tolist()), counts.tolist()))
    [((-1, 0), 1), ((0, -1), 1), ((0, 0), 5), ((0, 1), 1), ((1, 0), 1)]
    """
    R = rays(d0, q)
    m = (q - 1) // 2
    grid = np.array(np.meshgrid(*[np.arange(-m, m + 1)] * (d0 + 1), indexing="ij"))
    units = grid.reshape(d0 + 1, -1).T  # one row (w1..., w2) per weight choice
    values = np.maximum(units[:, :d0] @ R.T, 0) * units[:, d0:]
    return _merge(values, np.ones(len(values), dtype=np.int64))


def _merge(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal rows merged, their counts added (exactly, in int64)."""
    values = np.ascontiguousarray(values)
    keys = values.view(np.dtype((np.void, values.dtype.itemsize * values.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    total = np.zeros(len(first), dtype=np.int64)
    np.add.at(total, inverse.ravel(), counts)
    return values[first], total


@lru_cache(maxsize=32)
def ray_values(d0: int, d1: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Every value vector ``(g(r))_r`` a student with ``d1`` hidden units takes on the rays,
    and how many of the ``q^(d0·d1 + d1)`` students take it (exact; they sum to ``q^k``).

    Two units of ``d0 = 1``, each adding at most one unit to one of ``g(1)``, ``g(−1)``: the
    13 integer points with ``|a| + |b| ≤ 2``.

    >>> vectors, counts = ray_values(1, 2, 3)
    >>> int(counts.sum()) == 3**4, len(vectors)
    (True, 13)
    """
    unit_v, unit_c = unit_table(d0, q)
    values, counts = unit_v, unit_c
    for _ in range(d1 - 1):
        summed = (values[:, None, :] + unit_v[None, :, :]).reshape(-1, unit_v.shape[1])
        values, counts = _merge(summed, (counts[:, None] * unit_c[None, :]).ravel())
    for a in (values, counts):
        a.setflags(write=False)
    return values, counts


def same_function(G: np.ndarray, t: np.ndarray, *, everywhere: bool = True) -> np.ndarray:
    """Which rows of ``G`` (values on the rays of ``d0 = 2``, or ``±1`` for ``d0 = 1``) give
    the same sign function as ``t``: on every point (``everywhere``) or off a null set.

    The teacher ``[x1]₊ − 2[x2]₊`` changes sign on the ray ``(2, 1)``, inside the sector
    from ``(1, 0)`` to ``(1, 1)``; ``[x1]₊ − [x2]₊`` changes sign on ``(1, 1)`` itself:

    >>> R = rays(2, 3)
    >>> t = on_rays(np.array([[1, 0], [0, 1], [0, 1]]), np.array([1, -1, -1]), R)
    >>> t.tolist()
    [1, -1, -2, -2, 0, 0, 0, 1]
    >>> G = np.array([2 * t, on_rays(np.array([[1, 0], [0, 1]]), np.array([1, -1]), R)])
    >>> same_function(G, t).tolist()  # doubled: the same; the other moves the sign change
    [True, False]
    """
    sg, st = np.sign(G), np.sign(t)
    if G.shape[-1] == 2 and len(t) == 2:  # d0 = 1: two half-lines, g linear on each
        return np.all(sg == st, axis=-1)
    nxt = np.roll(np.arange(len(t)), -1)  # sector i lies between rays i and i + 1 (cyclic)
    split_t = st * st[nxt] < 0
    split_g = sg * sg[..., nxt] < 0
    # where the teacher's sign changes inside a sector: the student's must, on the same ray
    cross = G * t[nxt] == t * G[..., nxt]
    same_split = (sg == st) & (sg[..., nxt] == st[nxt]) & cross
    # elsewhere one sign throughout the open sector: that of g(r) + g(r')
    same_flat = ~split_g & (np.sign(G + G[..., nxt]) == np.sign(t + t[nxt]))
    sectors = np.all(np.where(split_t, same_split, same_flat), axis=-1)
    if not everywhere:
        return sectors
    return sectors & np.all(sg == st, axis=-1)


@lru_cache(maxsize=4096)
def _match(W1_bytes, w2_bytes, shape, q, everywhere) -> Fraction:
    d1, d0 = shape
    W1 = np.frombuffer(W1_bytes, dtype=np.int64).reshape(shape)
    w2 = np.frombuffer(w2_bytes, dtype=np.int64)
    t = on_rays(W1, w2, rays(d0, q))
    values, counts = ray_values(d0, d1, q)
    hits = same_function(values, t, everywhere=everywhere)
    return Fraction(int(counts[hits].sum()), q ** (d0 * d1 + d1))


def match_probability(W1, w2, q, *, everywhere: bool = True) -> Fraction:
    """The exact probability that a uniform student with the teacher's shape computes the
    teacher's function ``sign(w2ᵀ[W1 x]₊)``: at every ``x ∈ R^d0`` (default), or, with
    ``everywhere=False``, at every ``x`` off a Lebesgue-null set (what i.i.d. Gaussian inputs
    can tell apart). ``sign(0) = 0``. Cached per teacher.

    ``W1`` has shape ``(d1, d0)`` (``d0 ∈ {1, 2}``), ``w2`` shape ``(d1,)``, entries in ``Q``.
    A student that copies the teacher, or zeroes an unused unit's output weight, matches:

    >>> p = match_probability([[1, -1], [0, 0]], [1, 0], 3)
    >>> p >= Fraction(1, 3**4), p.denominator == 3**6 // p.numerator * 0 + p.denominator
    (True, True)
    >>> match_probability([[-1, 1]], [1], 3) == match_probability([[-1, 1]], [1], 3, everywhere=False)
    True
    >>> match_probability([[1, 2]], [1], 3)
    Traceback (most recent call last):
    ...
    ValueError: W1: entries in Q = {-1, ..., 1} (q = 3) are required, got 2 at index (0, 1)
    """
    W1a, w2a, q = teacher(W1, w2, q)
    if not isinstance(everywhere, bool):
        raise TypeError(f"everywhere: True or False is required, got {arg.shown(everywhere)}")
    return _match(W1a.tobytes(), w2a.tobytes(), W1a.shape, q, everywhere)
