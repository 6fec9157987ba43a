"""Finite groups of orthogonal matrices, as data, and the test that a set is one.

Every group is a :class:`Group`: a name and its elements, ``d × d`` float64 matrices. The image
groups act on ``n × n`` images flattened row by row (``img.ravel()``), as permutation
matrices: :func:`rotations` (C4, quarter turns) and :func:`dihedral` (D4, quarter turns and
mirror images). :func:`cyclic_shifts` shifts the coordinates of ``R^d`` cyclically,
:func:`sign_flips` flips the signs of the first ``k`` coordinates in every combination, and
:func:`planar_rotations` turns the first coordinate plane by multiples of ``2π/k`` (entries
that are not rational: the float64 case). :func:`as_group` accepts a set only if it is a
group: orthogonal elements, no repeats, the identity, closed under products and transposes.

>>> c4 = rotations(3)
>>> c4.order, c4.d, c4.exact
(4, 9, True)
>>> as_group([np.eye(2), np.diag([1.0, -1.0]), np.diag([-1.0, 1.0])], "group")
Traceback (most recent call last):
...
ValueError: group: not closed under composition: element 1 times element 2 is not in the set
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from derivations import arguments as arg

#: Entries of GᵀG within this of I count as orthogonal; products within it of an element count
#: as that element. Round-off in a product of d×d orthogonal matrices is about d·2⁻⁵³ per
#: entry; 1e-9 is far above that for any d below 10⁶ and far below a real difference.
TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Group:
    """A finite group of orthogonal ``d × d`` matrices (checked by :func:`as_group`).

    >>> g = cyclic_shifts(3)
    >>> len(g), g.name
    (3, 'cyclic shifts of R^3')
    """

    name: str
    elements: tuple

    @property
    def order(self) -> int:
        return len(self.elements)

    @property
    def d(self) -> int:
        return self.elements[0].shape[0]

    @property
    def exact(self) -> bool:
        """True when every entry is an integer (permutations, signed permutations)."""
        return all(np.array_equal(g, np.round(g)) for g in self.elements)

    def stacked(self) -> np.ndarray:
        """The elements as one ``(order, d, d)`` array."""
        return np.stack(self.elements)

    def rational(self) -> list:
        """The elements as exact SymPy integer matrices (only for an exact group).

        >>> sign_flips(2).rational()[1]
        Matrix([
        [1,  0],
        [0, -1]])
        """
        if not self.exact:
            raise ValueError(f"group: {self.name} has entries that are not integers")
        return [sp.Matrix(np.round(g).astype(int).tolist()) for g in self.elements]

    def __len__(self):
        return len(self.elements)

    def __iter__(self):
        return iter(self.elements)


def _freeze(matrices) -> tuple:
    out = []
    for m in matrices:
        m = np.array(m, dtype=np.float64)
        m.setflags(write=False)
        out.append(m)
    return tuple(out)


def _permutation(source: np.ndarray) -> np.ndarray:
    """The matrix ``P`` with ``(P v)[i] = v[source[i]]``."""
    n = source.size
    P = np.zeros((n, n))
    P[np.arange(n), source] = 1.0
    return P


def _index_grid(n: int):
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return i, j


def quarter_turn(n: int) -> np.ndarray:
    """The permutation matrix turning an ``n × n`` image a quarter counterclockwise.

    The turned image has ``new[i, j] = old[j, n − 1 − i]`` (the top row becomes the left
    column, read upwards).

    >>> quarter_turn(2) @ np.array([1.0, 2.0, 3.0, 4.0])  # [[1, 2], [3, 4]] -> [[2, 4], [1, 3]]
    array([2., 4., 1., 3.])
    """
    n = arg.count(n, "n", maximum=64)
    i, j = _index_grid(n)
    return _permutation((j * n + (n - 1 - i)).ravel())


def mirror(n: int) -> np.ndarray:
    """The permutation matrix mirroring an ``n × n`` image left to right:
    ``new[i, j] = old[i, n − 1 − j]``.

    >>> mirror(2) @ np.array([1.0, 2.0, 3.0, 4.0])
    array([2., 1., 4., 3.])
    """
    n = arg.count(n, "n", maximum=64)
    i, j = _index_grid(n)
    return _permutation((i * n + (n - 1 - j)).ravel())


def _powers(g: np.ndarray, k: int) -> list:
    out = [np.eye(g.shape[0])]
    for _ in range(k - 1):
        out.append(g @ out[-1])
    return out


def rotations(n: int) -> Group:
    """C4: the four quarter turns of ``n × n`` images (``d = n²``), identity first.

    >>> [int(np.trace(g)) for g in rotations(3)]  # fixed pixels: all, the centre, ...
    [9, 1, 1, 1]
    """
    n = arg.count(n, "n", minimum=2, maximum=64)
    return as_group(_powers(quarter_turn(n), 4), "group", label=f"C4 on {n}×{n} images")


def dihedral(n: int) -> Group:
    """D4: the quarter turns of ``n × n`` images and their mirror images (order 8).

    >>> dihedral(2).order
    8
    """
    n = arg.count(n, "n", minimum=2, maximum=64)
    turns = _powers(quarter_turn(n), 4)
    return as_group(turns + [t @ mirror(n) for t in turns], "group", label=f"D4 on {n}×{n} images")


def cyclic_shifts(d: int) -> Group:
    """The ``d`` cyclic shifts of ``R^d``: ``(S v)[i] = v[(i − 1) mod d]`` and its powers.

    >>> cyclic_shifts(3).elements[1] @ np.array([1.0, 2.0, 3.0])
    array([3., 1., 2.])
    """
    d = arg.count(d, "d", minimum=2, maximum=256)
    return as_group(
        _powers(_permutation((np.arange(d) - 1) % d), d), "group", label=f"cyclic shifts of R^{d}"
    )


def sign_flips(d: int, k: int | None = None) -> Group:
    """The ``2^k`` sign flips of the first ``k`` coordinates of ``R^d`` (``k = d`` by default).

    >>> [np.diag(g).tolist() for g in sign_flips(3, 1)]
    [[1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]]
    """
    d = arg.count(d, "d", maximum=256)
    k = d if k is None else arg.count(k, "k", maximum=min(d, 8))
    signs = []
    for bits in range(2**k):
        s = np.ones(d)
        s[:k] = [(-1.0) ** ((bits >> (k - 1 - b)) & 1) for b in range(k)]
        signs.append(np.diag(s))
    return as_group(signs, "group", label=f"sign flips of {k} of {d} coordinates")


def planar_rotations(k: int, d: int = 2) -> Group:
    """C_k turning the first two coordinates of ``R^d`` by ``2πj/k``, the rest fixed.

    >>> g = planar_rotations(3, 3)
    >>> g.order, g.exact
    (3, False)
    """
    k = arg.count(k, "k", minimum=2, maximum=360)
    d = arg.count(d, "d", minimum=2, maximum=256)
    out = []
    for j in range(k):
        c, s = math.cos(2 * math.pi * j / k), math.sin(2 * math.pi * j / k)
        m = np.eye(d)
        m[:2, :2] = [[c, -s], [s, c]]
        out.append(m)
    return as_group(out, "group", label=f"C{k} turning a plane of R^{d}")


def _key(m: np.ndarray) -> bytes:
    return np.round(m / TOL * 1e-3).astype(np.int64).tobytes()  # a grid of 1e-6


def _find(m: np.ndarray, elements, index: dict) -> int | None:
    hit = index.get(_key(m))
    if hit is not None and np.max(np.abs(elements[hit] - m)) <= 1e3 * TOL:
        return hit
    # near a grid line the key may differ: compare with every element
    gaps = np.max(np.abs(elements - m), axis=(1, 2))
    best = int(np.argmin(gaps))
    return best if gaps[best] <= 1e3 * TOL else None


def as_group(group, name: str = "group", *, label: str | None = None) -> Group:
    """``group`` (a :class:`Group` or a sequence of ``d × d`` matrices) checked to be a finite
    group of orthogonal matrices; a ``ValueError`` names what fails and where.

    Checked, in order: the shapes, orthogonality (``GᵀG = I``), no element twice, the
    identity, closure under products, and inverses (``Gᵀ`` in the set; for a finite set
    closed under products this follows, and is checked anyway for the message).

    >>> as_group([np.eye(2), 2 * np.eye(2)], "group")
    Traceback (most recent call last):
    ...
    ValueError: group: element 1 is not orthogonal (max |GᵀG − I| = 3)
    >>> as_group([[1.0, 0.0]], "group")
    Traceback (most recent call last):
    ...
    ValueError: group: a sequence of square d × d matrices is required, got an array of shape (1, 2)
    """
    if isinstance(group, Group):
        return group
    if isinstance(group, np.ndarray | list | tuple):
        items = list(group)
        if not items:
            raise ValueError(f"{name}: a non-empty sequence of d × d matrices is required")
        try:
            mats = arg.array(np.stack([np.asarray(m, dtype=float) for m in items]), name)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"{name}: a sequence of square d × d matrices of one size is required ({exc})"
            ) from None
    else:
        raise TypeError(
            f"{name}: a Group or a sequence of d × d matrices is required, got "
            f"{type(group).__name__}"
        )
    if mats.ndim != 3 or mats.shape[1] != mats.shape[2] or mats.shape[1] == 0:
        raise ValueError(
            f"{name}: a sequence of square d × d matrices is required, got an array of shape "
            f"{mats.shape}"
        )
    m, d, _ = mats.shape
    eye = np.eye(d)
    for i, g in enumerate(mats):
        gap = float(np.max(np.abs(g.T @ g - eye)))
        if gap > TOL * d:
            raise ValueError(f"{name}: element {i} is not orthogonal (max |GᵀG − I| = {gap:.3g})")
    index = {}
    for i, g in enumerate(mats):
        j = _find(g, mats[:i], index) if i else None
        if j is not None:
            raise ValueError(f"{name}: element {i} repeats element {j}")
        index.setdefault(_key(g), i)
    if _find(eye, mats, index) is None:
        raise ValueError(f"{name}: the identity is not in the set (a group contains it)")
    for i in range(m):
        for j in range(m):
            if _find(mats[i] @ mats[j], mats, index) is None:
                raise ValueError(
                    f"{name}: not closed under composition: element {i} times element {j} "
                    "is not in the set"
                )
    for i in range(m):
        if _find(mats[i].T, mats, index) is None:
            raise ValueError(f"{name}: the inverse (transpose) of element {i} is not in the set")
    return Group(label or f"a group of order {m} on R^{d}", _freeze(mats))


# --- concrete groups for the exact spot checks of the general derivations ------------------
#: Small exact groups on R^4 and R^3 (integer entries): every step of a general derivation is
#: evaluated on them with random integer data, in rational arithmetic.
SPOT_GROUPS = (
    ("C4 on 2×2 images", rotations(2).rational()),
    ("D4 on 2×2 images", dihedral(2).rational()),
    ("cyclic shifts of R^3", cyclic_shifts(3).rational()),
    ("sign flips of 2 of 3 coordinates", sign_flips(3, 2).rational()),
)


def spot_environment(symbols, elements, group, rng):
    """Random exact values for ``symbols``: an element of ``group`` for each symbol in
    ``elements``, integers in [−3, 3] for data matrices (rows ``N = 3``); None if a matrix
    that must be invertible (a symbol named ``K``) is singular."""
    d = group[0].shape[0]
    env = {}
    for s in symbols:
        if s in elements:
            env[s] = group[rng.randrange(len(group))]
            continue
        if s.name == "v":  # a vector every element fixes: a group average of integers
            u = sp.Matrix(d, 1, lambda i, j: sp.Integer(rng.randint(-3, 3)))
            env[s] = sum((g * u for g in group[1:]), group[0] * u)
            continue
        rows = _dim(s.shape[0], d)
        cols = _dim(s.shape[1], d)
        env[s] = sp.Matrix(rows, cols, lambda i, j: sp.Integer(rng.randint(-3, 3)))
    return env


def _dim(size, d: int) -> int:
    if size == 1:
        return 1
    name = str(size)
    return 3 if name == "N" else d
