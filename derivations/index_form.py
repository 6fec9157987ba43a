"""The index form of a matrix result: one entry written with indices, such as
``∂l/∂W¹ᵢⱼ = δ¹ᵢ xⱼ``, for a page to show in place of a matrix too wide for its column.

An :class:`IndexForm` keeps the written entry (``rhs``, in :class:`sympy.Indexed` objects with
1-based indices) and what each of its indexed names stands for on the small symbolic instance
(``bindings``, a concrete matrix each). :meth:`IndexForm.matrix` fills in every entry from the
bindings, so a test can compare the index form with the derived matrix entry by entry, exactly.

>>> i, j = sp.symbols("i j", integer=True, positive=True)
>>> a, b = sp.IndexedBase("a"), sp.IndexedBase("b")
>>> u, v = sp.Matrix([1, 2]), sp.Matrix([3, 5, 7])
>>> f = IndexForm(Notation("Pᵢⱼ", "P_{ij}"), (i, j), a[i] * b[j], {a: u, b: v}, (2, 3))
>>> f.matrix() == u * v.T
True
>>> f.disagreements(u * v.T), f.disagreements(sp.Matrix([[3, 5, 7], [6, 10, 0]]))
([], [(2, 3)])
>>> f.disagreements(v * u.T)
Traceback (most recent call last):
...
ValueError: matrix: shape (3, 2) is not the index form's (2, 3)
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from derivations.printing import Equation, Notation

__all__ = ["IndexForm", "Notation"]


@dataclass(frozen=True)
class IndexForm:
    """``lhs`` (the entry's name, shown) ``= rhs`` for every value of ``indices``.

    ``bindings`` maps each :class:`sympy.IndexedBase` of ``rhs`` to a matrix (a vector is a
    one-column matrix, indexed once); a base in ``zero_outside`` reads as 0 at an index outside
    its matrix (a kernel beyond its support), any other base refuses such an index.
    """

    lhs: sp.Basic
    indices: tuple
    rhs: sp.Expr
    bindings: Mapping = field(default_factory=dict)
    shape: tuple = (1, 1)
    zero_outside: frozenset = frozenset()

    def __post_init__(self):
        if not self.indices or not all(isinstance(i, sp.Symbol) for i in self.indices):
            raise TypeError(f"indices: a tuple of SymPy symbols is required, got {self.indices!r}")
        for base, value in self.bindings.items():
            if not isinstance(base, sp.IndexedBase) or not isinstance(value, sp.MatrixBase):
                raise TypeError(
                    f"bindings: IndexedBase -> Matrix is required, got {base!r} -> "
                    f"{type(value).__name__}"
                )
        shape = tuple(self.shape)
        if len(shape) != 2 or (len(self.indices) == 1 and shape[1] != 1):
            raise ValueError(f"shape: (rows, cols), one column for one index, got {self.shape}")

    @property
    def equation(self) -> Equation:
        """What a page shows: ``lhs = rhs``."""
        return Equation(self.lhs, self.rhs)

    def _read(self, indexed: sp.Indexed):
        base, at = indexed.base, [int(k) for k in indexed.indices]
        if base not in self.bindings:
            raise ValueError(f"rhs: {base} has no binding")
        value = self.bindings[base]
        at = at + [1] * (2 - len(at))  # a vector is one column
        if not all(1 <= k <= n for k, n in zip(at, value.shape, strict=True)):
            if base in self.zero_outside:
                return sp.Integer(0)
            raise ValueError(f"rhs: {base}{tuple(at)} lies outside its {value.shape} matrix")
        return value[at[0] - 1, at[1] - 1]

    def entry(self, *at: int) -> sp.Expr:
        """The entry at the 1-based position ``at``, in the instance's symbols."""
        if len(at) != len(self.indices):
            raise ValueError(f"at: {len(self.indices)} indices are required, got {len(at)}")
        written = self.rhs.subs(dict(zip(self.indices, at, strict=True))).doit()
        return written.replace(lambda e: isinstance(e, sp.Indexed), self._read)

    def matrix(self) -> sp.Matrix:
        """Every entry, as a matrix of :attr:`shape` (a single index fills one column)."""
        rows, cols = self.shape
        if len(self.indices) == 1:
            return sp.Matrix(rows, 1, lambda i, _: self.entry(i + 1))
        return sp.Matrix(rows, cols, lambda i, j: self.entry(i + 1, j + 1))

    def disagreements(self, matrix: sp.MatrixBase) -> list[tuple[int, ...]]:
        """The 1-based positions where the index form and ``matrix`` differ (SymPy, exact)."""
        if not isinstance(matrix, sp.MatrixBase):
            raise TypeError(f"matrix: a SymPy Matrix is required, got {type(matrix).__name__}")
        if matrix.shape != tuple(self.shape):
            raise ValueError(f"matrix: shape {matrix.shape} is not the index form's {self.shape}")
        mine = self.matrix()
        out = []
        for i in range(matrix.rows):
            for j in range(matrix.cols):
                gap = sp.expand(mine[i, j] - matrix[i, j])
                if gap != 0 and (_nonzero_somewhere(gap) or sp.simplify(gap) != 0):
                    out.append((i + 1, j + 1) if len(self.indices) == 2 else (i + 1,))
        return out


def _nonzero_somewhere(expr) -> bool:
    """True when ``expr`` is visibly nonzero at a fixed rational point (50 digits).

    A difference that is not zero shows it at almost every point; this spares
    ``sp.simplify`` (minutes on a network's entries) for the differences that are zero.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> _nonzero_somewhere(sp.Function("f")(x) * x - x), _nonzero_somewhere(sp.sin(x)**2 + sp.cos(x)**2 - 1)
    (True, False)
    """
    rng = random.Random(20261201)
    calls = {
        f: sp.Rational(rng.randint(11, 97), rng.randint(13, 89)) for f in expr.atoms(AppliedUndef)
    }
    point = expr.xreplace(calls)
    point = point.xreplace(
        {s: sp.Rational(rng.randint(11, 97), rng.randint(13, 89)) for s in point.free_symbols}
    )
    value = sp.N(point.doit(), 50)
    return bool(value.is_number and abs(value) > sp.Float("1e-30"))
