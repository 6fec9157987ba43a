"""Sums over a finite group of orthogonal matrices, and a checker for chains built from them.

A general finite group cannot be written out, so its properties enter as rules:

- **orthogonal**: every element ``G`` has ``GᵀG = GGᵀ = I`` (so ``G⁻¹ = Gᵀ``);
- **reindex**: for ``U, V`` products of elements (or their transposes),
  ``H ↦ U H V`` and ``H ↦ U Hᵀ V`` are bijections of the group (closure under composition and
  under transposition, i.e. inverses), so ``Σ_H f(H) = Σ_H f(U H V)``;
- **finite sum**: ``Σ_H`` is linear, constants come out, ``Σ_H C = |𝒢| C``.

:class:`GroupSum` is the sum ``Σ_{H∈𝒢} f(H)`` as a SymPy matrix expression. :func:`canonical`
puts an expression into a normal form using only the first and the last rule (and SymPy's own
matrix algebra: expansion, transposes of products, inverses of products of invertible
factors); a step justified by reindexing is checked by applying the declared substitution to
the previous expression (:class:`Reindex`), a step that uses an earlier result by substituting
it (:class:`Lemma`). :class:`derivations.invariance.chains.GroupDerivation` checks each step both ways:
symbolically with the rules above, and exactly (rational arithmetic) on concrete groups with
random integer data.

>>> import sympy as sp
>>> G, H = sp.MatrixSymbol("G", 3, 3), sp.MatrixSymbol("H", 3, 3)
>>> s = GroupSum(G * H * G.T, H)
>>> canonical(s * G, (G,)) == canonical(G * GroupSum(H, H), (G,))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.inverse import Inverse
from sympy.matrices.expressions.matadd import MatAdd
from sympy.matrices.expressions.matmul import MatMul
from sympy.matrices.expressions.transpose import Transpose

#: |𝒢|, the order of the group.
ORDER = sp.Symbol("|G|", positive=True, integer=True)


class GroupSum(sp.MatrixExpr):
    """``Σ_{H∈𝒢} summand``, ``H`` the bound matrix symbol (unevaluated).

    >>> H = sp.MatrixSymbol("H", 2, 2)
    >>> sp.latex(GroupSum(H, H))
    '\\\\sum_{H \\\\in \\\\mathcal{G}} H'
    """

    def __new__(cls, summand, var):
        if not isinstance(var, sp.MatrixSymbol):
            raise TypeError(f"var: a MatrixSymbol is required, got {var!r}")
        return sp.Basic.__new__(cls, sp.sympify(summand), var)

    @property
    def summand(self):
        return self.args[0]

    @property
    def var(self):
        return self.args[1]

    @property
    def shape(self):
        return self.summand.shape

    @property
    def free_symbols(self):
        return self.summand.free_symbols - {self.var}

    def _eval_transpose(self):
        return GroupSum(Transpose(self.summand).doit(), self.var)

    def _latex(self, printer):
        inner = printer._print(self.summand)
        if isinstance(self.summand, MatAdd):
            inner = rf"\left({inner}\right)"
        return rf"\sum_{{{printer._print(self.var)} \in \mathcal{{G}}}} {inner}"


class Grad(sp.MatrixExpr):
    """``∇_w f``: the gradient of a scalar (1×1) matrix expression ``f`` in ``w``.

    :func:`canonical` evaluates it with SymPy's matrix calculus (``sympy.diff``), pushed
    through group sums term by term (a finite sum).

    >>> w = sp.MatrixSymbol("w", 2, 1)
    >>> Grad(w.T * w, w).shape
    (2, 1)
    """

    def __new__(cls, expr, var):
        return sp.Basic.__new__(cls, sp.sympify(expr), var)

    @property
    def shape(self):
        return self.args[1].shape

    def _latex(self, printer):
        return (
            rf"\nabla_{{{printer._print(self.args[1])}}}\left({printer._print(self.args[0])}\right)"
        )


def _factors(term):
    """A product term as (scalar coefficient, list of matrix factors); integer powers are
    written out as products."""
    if isinstance(term, sp.MatPow) and term.exp.is_Integer and term.exp > 0:
        coeff, mats = _factors(term.base)
        return coeff**term.exp, mats * int(term.exp)
    if isinstance(term, MatMul):
        coeff, mats = term.as_coeff_matrices()
        out = []
        for m in mats:
            c, ms = _factors(m)
            coeff, out = coeff * c, out + ms
        return coeff, out
    if isinstance(term, sp.MatrixExpr):
        return sp.Integer(1), [term]
    return term, []


def _terms(expr):
    return list(expr.args) if isinstance(expr, MatAdd) else [expr]


def _product(coeff, mats, shape):
    if not mats:
        return coeff * sp.Identity(shape[0]) if shape[0] == shape[1] else coeff
    out = mats[0] if len(mats) == 1 else MatMul(*mats)
    return out if coeff == 1 else coeff * out


def _cancel(mats, orthogonal):
    """Drop adjacent ``GᵀG``, ``GGᵀ`` pairs and identities; ``G⁻¹ → Gᵀ`` (orthogonal ``G``)."""
    out = []
    for m in mats:
        if isinstance(m, Inverse) and m.arg in orthogonal:
            m = Transpose(m.arg)
        elif isinstance(m, Inverse) and isinstance(m.arg, Transpose) and m.arg.arg in orthogonal:
            m = m.arg.arg
        if isinstance(m, sp.Identity):
            continue
        if out:
            a, b = out[-1], m
            if (isinstance(a, Transpose) and a.arg == b and b in orthogonal) or (
                isinstance(b, Transpose) and b.arg == a and a in orthogonal
            ):
                out.pop()
                continue
        out.append(m)
    return out


def _norm(expr, orthogonal):
    """One pass of the normal form (bottom up)."""
    if isinstance(expr, GroupSum):
        var = expr.var
        inner = _norm(expr.summand, orthogonal | {var})
        pieces = []
        for term in _terms(inner):
            coeff, mats = _factors(term)
            mats = _cancel(mats, orthogonal | {var})
            if any(var in m.free_symbols for m in mats) or (
                coeff != 0 and var in sp.sympify(coeff).free_symbols
            ):
                lo = 0
                while lo < len(mats) and var not in mats[lo].free_symbols:
                    lo += 1
                hi = len(mats)
                while hi > lo and var not in mats[hi - 1].free_symbols:
                    hi -= 1
                middle = _product(sp.Integer(1), mats[lo:hi], term.shape)
                pieces.append(
                    _product(coeff, [*mats[:lo], GroupSum(middle, var), *mats[hi:]], term.shape)
                )
            else:  # a constant: |𝒢| copies of it
                pieces.append(_product(coeff * ORDER, mats, term.shape))
        return MatAdd(*pieces).doit() if len(pieces) > 1 else pieces[0]
    if isinstance(expr, Grad):
        body, var = expr.args
        pieces = []
        for term in _terms(body):
            coeff, mats = _factors(term)
            if len(mats) == 1 and isinstance(mats[0], GroupSum):
                g = mats[0]
                pieces.append(coeff * GroupSum(Grad(g.summand, var), g.var))
            else:
                pieces.append(sp.diff(term, var).doit())
        return _norm(MatAdd(*pieces).doit() if len(pieces) > 1 else pieces[0], orthogonal)
    if isinstance(expr, sp.Trace):
        return sp.Trace(_norm(expr.arg, orthogonal))
    if isinstance(expr, sp.MatrixExpr) and expr.args and not isinstance(expr, sp.MatrixSymbol):
        args = [_norm(a, orthogonal) if isinstance(a, sp.Basic) else a for a in expr.args]
        expr = expr.func(*args)
    expr = expr.doit(deep=False) if isinstance(expr, Transpose | Inverse) else expr
    if isinstance(expr, sp.MatrixExpr):
        expr = sp.expand(expr)
        terms = []
        for term in _terms(expr):
            coeff, mats = _factors(term)
            terms.append(_product(coeff, _cancel(mats, orthogonal), term.shape))
        expr = MatAdd(*terms).doit() if len(terms) > 1 else terms[0]
    return expr


def _bound(depth: int, shape) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(f"H_{depth}", *shape)


def _rename(expr, depth: int = 0):
    """Bound variables renamed by nesting depth (``H_0`` outermost): equal sums look equal."""
    if isinstance(expr, GroupSum):
        new = _bound(depth, expr.var.shape)
        body = expr.summand.xreplace({expr.var: new})
        return GroupSum(_rename(body, depth + 1), new)
    if (
        isinstance(expr, sp.Basic)
        and expr.args
        and not isinstance(expr, sp.MatrixSymbol | sp.Symbol)
    ):
        args = [_rename(a, depth) if isinstance(a, sp.Basic) else a for a in expr.args]
        return expr.func(*args) if args != list(expr.args) else expr
    return expr


def canonical(expr, orthogonal=(), definitions=None):
    """The normal form of ``expr``: definitions expanded, orthogonality and finite-sum rules
    applied until nothing changes (``orthogonal``: the symbols that are group elements).

    >>> G = sp.MatrixSymbol("G", 2, 2)
    >>> canonical(G.T * G * G, (G,))
    G
    """
    orthogonal = frozenset(orthogonal)
    definitions = dict(definitions or {})
    for _ in range(12):
        before = expr
        if definitions:
            expr = expr.xreplace(definitions)
        expr = _rename(_norm(expr, orthogonal))
        if expr == before:
            return expr
    return expr


def _is_word(expr, elements) -> bool:
    """A product of group elements and their transposes (or the identity)."""
    _, mats = _factors(expr) if not isinstance(expr, sp.Identity) else (1, [])
    return all(m in elements or (isinstance(m, Transpose) and m.arg in elements) for m in mats)


@dataclass(frozen=True)
class Reindex:
    """A step justified by ``H ↦ image`` in some of the group sums of the previous line.

    ``image`` must be ``U H V`` or ``U Hᵀ V`` with ``U``, ``V`` words in the group elements:
    a bijection of the group onto itself. The checker tries it on every subset of the sums.
    """

    var: sp.MatrixSymbol
    image: sp.MatrixExpr

    def valid(self, elements) -> bool:
        coeff, mats = _factors(self.image)
        hits = [i for i, m in enumerate(mats) if m == self.var or m == Transpose(self.var)]
        if coeff != 1 or len(hits) != 1:
            return False
        others = [m for i, m in enumerate(mats) if i != hits[0]]
        return all(_is_word(m, elements) for m in others)

    def __str__(self):
        return f"reindex {self.var} -> {self.image}"


@dataclass(frozen=True)
class Lemma:
    """A step that replaces the product ``lhs`` (a factor sequence) by ``rhs``, an earlier
    result; ``name`` says which. The result holds for every element, so the bound variable
    of a sum may stand in for ``G``."""

    name: str
    lhs: sp.MatrixExpr
    rhs: sp.MatrixExpr
    #: the element symbol of the lemma, and what it may be instantiated with
    element: sp.MatrixSymbol | None = None

    def __str__(self):
        return f"lemma {self.name}: {self.lhs} = {self.rhs}"
