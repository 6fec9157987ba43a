"""Chains over a general finite group, checked by the rules of
:mod:`derivations.invariance.algebra` and, exactly, on concrete groups.

>>> from derivations.invariance import general
>>> general.sandwich().check().ok
True
"""

from __future__ import annotations

import itertools
import random

import sympy as sp
from sympy.matrices.expressions.inverse import Inverse
from sympy.matrices.expressions.matadd import MatAdd
from sympy.matrices.expressions.matmul import MatMul
from sympy.matrices.expressions.transpose import Transpose

from derivations.core import FAILED, NUMERIC_ONLY, PROVED, Derivation, StepCheck
from derivations.invariance.algebra import (
    ORDER,
    Grad,
    GroupSum,
    Lemma,
    Reindex,
    _factors,
    _product,
    canonical,
)


def _group_sums(expr):
    return sorted(expr.atoms(GroupSum), key=sp.default_sort_key)


def _replace_run(expr, pattern, replacement):
    """Replace the consecutive factors ``pattern`` inside every product of ``expr``."""
    _, pat = _factors(pattern)
    n = len(pat)

    def visit(e):
        if isinstance(e, MatMul):
            coeff, mats = _factors(e)
            mats = [visit(m) for m in mats]
            i = 0
            out = []
            while i < len(mats):
                if mats[i : i + n] == pat:
                    out.append(replacement)
                    i += n
                else:
                    out.append(mats[i])
                    i += 1
            return _product(coeff, out, e.shape)
        if isinstance(e, sp.Basic) and e.args and not isinstance(e, sp.MatrixSymbol | sp.Symbol):
            if e == pattern:
                return replacement
            return e.func(*[visit(a) if isinstance(a, sp.Basic) else a for a in e.args])
        return replacement if e == pattern else e

    return visit(expr)


def _lemma_variants(lemma, expr, elements):
    """The lemma instantiated with each element symbol and each bound variable in ``expr``."""
    if lemma.element is None:
        yield lemma.lhs, lemma.rhs
        return
    candidates = list(elements) + [g.var for g in expr.atoms(GroupSum)]
    for c in candidates:
        for image in (c, Transpose(c)):
            sub = {lemma.element: image}
            yield lemma.lhs.xreplace(sub).doit(), lemma.rhs.xreplace(sub).doit()


class GroupDerivation(Derivation):
    """A chain of matrix expressions over a general finite group, checked by its rules.

    ``elements``: the symbols that stand for arbitrary group elements; ``definitions``:
    abbreviations such as ``K`` and ``R``; ``justify``: one entry per step, None (algebra and
    the finite-sum rules), a :class:`Reindex` or a :class:`Lemma`. The numeric check
    substitutes concrete groups (:data:`derivations.invariance.groups.SPOT_GROUPS`) and random
    integer data and compares both sides exactly.
    """

    def __init__(
        self, title, symbols, steps, *, elements, definitions, justify, notes=(), points=4
    ):
        super().__init__(title, symbols, steps, notes=notes, points=points)
        self.elements = tuple(elements)
        self.definitions = dict(definitions)
        self.justify = list(justify)
        if len(self.justify) != len(self.steps):
            raise ValueError("justify: one entry per step is required")

    def _expand(self, expr):
        for _ in range(6):
            new = expr.xreplace(self.definitions)
            if new == expr:
                return expr
            expr = new
        return expr

    def _canon(self, expr):
        return canonical(expr, self.elements, self.definitions)

    def _same(self, a, b) -> bool:
        ca, cb = self._canon(a), self._canon(b)
        if ca == cb:
            return True
        diff = self._canon(MatAdd(ca, -cb).doit())
        return diff == 0 or isinstance(diff, sp.ZeroMatrix)

    def prove_step(self, index: int) -> bool:
        """Whether the rules prove ``steps[index - 1] == steps[index]``."""
        a, b = self.steps[index - 1].expr, self.steps[index].expr
        how = self.justify[index]
        if how is None:
            return self._same(a, b)
        if isinstance(how, Reindex):
            if not how.valid(self.elements):
                return False
            for start in (a, self._canon(a)):
                sums = _group_sums(start)
                for k in range(1, len(sums) + 1):
                    for chosen in itertools.combinations(sums, k):
                        sub = {
                            g: GroupSum(
                                g.summand.xreplace({g.var: how.image.xreplace({how.var: g.var})}),
                                g.var,
                            )
                            for g in chosen
                        }
                        if self._same(start.xreplace(sub), b):
                            return True
            return False
        if isinstance(how, Lemma):
            for lhs, rhs in _lemma_variants(how, a, self.elements):
                replaced = _replace_run(a, lhs, rhs)
                if replaced != a and self._same(replaced, b):
                    return True
            return False
        raise TypeError(f"justify[{index}]: None, a Reindex or a Lemma is required, got {how!r}")

    def check_step(self, index: int, *, seed: int = 0) -> StepCheck:
        from derivations.invariance import groups

        a, b = self.steps[index - 1].expr, self.steps[index].expr
        shown = dict(lhs=str(a), rhs=str(b))
        rng = random.Random(f"{self.title}|{index}|{seed}")
        checked = 0
        for k in range(3 * self.points):
            if checked >= self.points:
                break
            name, elements = groups.SPOT_GROUPS[k % len(groups.SPOT_GROUPS)]
            env = groups.spot_environment(self.symbols, self.elements, elements, rng)
            if env is None:
                continue
            try:
                va, vb = (_as_matrix(evaluate(self._expand(e), env, elements)) for e in (a, b))
            except ValueError:  # a singular K for this draw: draw another
                continue
            checked += 1
            if va.shape != vb.shape or (va - vb).applyfunc(sp.expand) != sp.zeros(*va.shape):
                point = {
                    "group": name,
                    **{str(s): str(v.tolist()) for s, v in env.items() if s in self.elements},
                }
                return StepCheck(
                    index,
                    FAILED,
                    **shown,
                    point=point,
                    lhs_value=str(va.tolist())[:80],
                    rhs_value=str(vb.tolist())[:80],
                    points_checked=checked,
                )
        if checked == 0:
            return StepCheck(
                index, FAILED, **shown, point={}, lhs_value="no point", rhs_value="no point"
            )
        status = PROVED if self.prove_step(index) else NUMERIC_ONLY
        return StepCheck(index, status, **shown, points_checked=checked)


def _as_matrix(value):
    return value if isinstance(value, sp.MatrixBase) else sp.Matrix([[value]])


def evaluate(expr, env, elements):
    """``expr`` with its symbols replaced by the explicit matrices of ``env`` and every
    :class:`GroupSum` summed over ``elements`` (exact: SymPy rational matrices)."""
    if isinstance(expr, GroupSum):
        total = None
        for g in elements:
            v = evaluate(expr.summand, {**env, expr.var: g}, elements)
            total = v if total is None else total + v
        return total
    if isinstance(expr, Grad):
        body, var = expr.args
        at = env[var]
        out = sp.zeros(*at.shape)
        for i in range(at.shape[0]):
            for j in range(at.shape[1]):

                def along(t, i=i, j=j):
                    moved = sp.Matrix(at)
                    moved[i, j] += t
                    return _as_matrix(evaluate(body, {**env, var: moved}, elements))[0, 0]

                f = {t: along(t) for t in (-1, 0, 1, 2)}
                # the bodies differentiated here are squared norms of affine maps: quadratic
                # along every line, so the central difference is the derivative exactly; a
                # third difference that is not zero would say otherwise
                if f[2] - 3 * f[1] + 3 * f[0] - f[-1] != 0:
                    raise TypeError(f"Grad: {body} is not quadratic in {var}")
                out[i, j] = (f[1] - f[-1]) / 2
        return out
    if isinstance(expr, sp.MatrixSymbol):
        return env[expr]
    if expr == ORDER:
        return sp.Integer(len(elements))
    if isinstance(expr, sp.Symbol):
        return env.get(expr, expr)
    if isinstance(expr, sp.Identity):
        return sp.eye(expr.shape[0])
    if isinstance(expr, sp.ZeroMatrix):
        return sp.zeros(*expr.shape)
    if isinstance(expr, MatMul):
        coeff, mats = expr.as_coeff_matrices()
        out = evaluate(mats[0], env, elements)
        for m in mats[1:]:
            out = out * evaluate(m, env, elements)
        return evaluate(coeff, env, elements) * out
    if isinstance(expr, MatAdd):
        vals = [evaluate(t, env, elements) for t in expr.args]
        return sum(vals[1:], vals[0])
    if isinstance(expr, Transpose):
        return evaluate(expr.arg, env, elements).T
    if isinstance(expr, Inverse):
        return evaluate(expr.arg, env, elements).inv()
    if isinstance(expr, sp.Trace):
        return evaluate(expr.arg, env, elements).trace()
    if isinstance(expr, sp.MatPow):
        return evaluate(expr.base, env, elements) ** expr.exp
    if isinstance(expr, sp.Mul | sp.Add) and expr.has(sp.MatrixExpr):
        vals = [evaluate(a, env, elements) for a in expr.args]
        out = vals[0]
        for val in vals[1:]:
            out = out * val if isinstance(expr, sp.Mul) else out + val
        return out
    if isinstance(expr, sp.Expr) and not isinstance(expr, sp.MatrixExpr):
        return expr.xreplace({s: evaluate(s, env, elements) for s in expr.free_symbols})
    raise TypeError(f"cannot evaluate {type(expr).__name__}: {expr}")
