"""The derivations for a general finite group 𝒢 of orthogonal matrices.

Each chain is a :class:`~derivations.invariance.algebra.GroupDerivation`: its steps are SymPy
matrix expressions in matrix symbols (``G`` any element, ``H`` the index of a sum over 𝒢,
data ``X``, ``y``, ``w``, ``Y``, ``W``), and the group's properties enter only as the stated
rules of :mod:`derivations.invariance.algebra` (orthogonality, reindexing by closure and
inverses, finite sums) and as earlier results (lemmas). Every step is also evaluated exactly
on concrete groups (C4 and D4 on 2×2 images, cyclic shifts of R³, sign flips) with random
integer data.

>>> group_average().check().ok
True
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.invariance.algebra import ORDER, Grad, GroupSum, Lemma, Reindex
from derivations.invariance.chains import GroupDerivation
from derivations.printing import Notation
from derivations.render import Reason

d, N = sp.symbols("d N", positive=True, integer=True)
G = sp.MatrixSymbol("G", d, d)
H = sp.MatrixSymbol("H", d, d)
X = sp.MatrixSymbol("X", N, d)
y = sp.MatrixSymbol("y", N, 1)
Y = sp.MatrixSymbol("Y", N, d)
w = sp.MatrixSymbol("w", d, 1)
W = sp.MatrixSymbol("W", d, d)
x = sp.MatrixSymbol("x", d, 1)
v = sp.MatrixSymbol("v", d, 1)
K = sp.MatrixSymbol("K", d, d)
R = sp.MatrixSymbol("R", d, d)
C = sp.MatrixSymbol("C", d, d)
P = sp.MatrixSymbol("P", d, d)
w_star = sp.MatrixSymbol("w_1^*", d, 1)
W_star = sp.MatrixSymbol("W^*", d, d)

#: The abbreviations: K = Σ HᵀXᵀXH, R = Σ H, C = Σ H YᵀX Hᵀ, P = R/|𝒢|, w₁* = K⁻¹RXᵀy,
#: W* = C K⁻¹.
DEFINITIONS = {
    K: GroupSum(H.T * X.T * X * H, H),
    R: GroupSum(H, H),
    C: GroupSum(H * Y.T * X * H.T, H),
    P: R / ORDER,
    w_star: K.I * R * X.T * y,
    W_star: C * K.I,
}
DATA = (G, X, y, w, Y, W, x, v)


def _chain(title, steps, *, symbols=DATA, notes=(), lhs=None):
    justify = [j for _, _, j in steps]
    from derivations.core import Step

    out = GroupDerivation(
        title,
        [s for s in symbols if s is not None],
        [Step(e, r, str(j) if j is not None else "") for e, r, j in steps],
        elements=(G,),
        definitions=DEFINITIONS,
        justify=justify,
        notes=notes,
    )
    out.lhs = lhs
    return out


def _eq(a, b):
    from derivations.printing import Equation

    return Equation(a, b)


def _loss(vec):
    r = y - X * H.T * vec
    return GroupSum(r.T * r, H) / 2


@lru_cache
def loss_invariance() -> GroupDerivation:
    """``L₁(Gw) = L₁(w)`` for every ``G`` in the group.

    >>> loss_invariance().check().ok
    True
    """
    r_g = y - X * (G.T * H).T * w
    return _chain(
        "the augmented loss is invariant: L1(Gw) = L1(w)",
        [
            (_loss(G * w), "definition of L1 at Gw", None),
            (GroupSum(r_g.T * r_g, H) / 2, Reason("{}", (_eq(H.T * G, (G.T * H).T),)), None),
            (
                _loss(w),
                Reason("reindex: H replaced by {}: a bijection of the group", (G * H,)),
                Reindex(H, G * H),
            ),
        ],
        lhs=Notation("L1(G·w)", r"L_{1}(G w)"),
    )


@lru_cache
def normal_equations() -> GroupDerivation:
    """``∇L₁(w) = K w − R Xᵀ y``: ``∇L₁ = 0`` gives ``K w = R Xᵀ y``.

    >>> normal_equations().check().ok
    True
    """
    r = y - X * H.T * w
    return _chain(
        "the gradient of the augmented loss",
        [
            (Grad(_loss(w), w), "definition", None),
            (GroupSum(Grad((r.T * r) / 2, w), H), "a finite sum: the gradient of each term", None),
            (GroupSum(H * X.T * X * H.T * w - H * X.T * y, H), "SymPy's matrix derivative", None),
            (
                K * w - R * X.T * y,
                Reason("reindex: H replaced by {} in the first sum; definitions of K, R", (H.T,)),
                Reindex(H, H.T),
            ),
        ],
        notes=("∇L1 = 0 gives K w = R Xᵀy, so w1* = K⁻¹ R Xᵀ y when K is invertible",),
        lhs=Notation("∇_w L1", r"\nabla_{w} L_{1}"),
    )


@lru_cache
def group_average() -> GroupDerivation:
    """``G R = R``: averaging over the group absorbs any element.

    >>> group_average().result
    R
    """
    return _chain(
        "G R = R",
        [
            (G * R, "start", None),
            (G * GroupSum(H, H), "definition of R", None),
            (GroupSum(G * H, H), "linearity of the finite sum", None),
            (GroupSum(H, H), Reason("reindex: H replaced by {}", (G.T * H,)), Reindex(H, G.T * H)),
            (R, "definition of R", None),
        ],
    )


@lru_cache
def symmetric_average() -> GroupDerivation:
    """``Rᵀ = R``: the group is closed under transposition.

    >>> symmetric_average().check().ok
    True
    """
    return _chain(
        "R is symmetric",
        [
            (R.T, "start", None),
            (GroupSum(H.T, H), "definition; transpose of a sum", None),
            (GroupSum(H, H), Reason("reindex: H replaced by {}", (H.T,)), Reindex(H, H.T)),
            (R, "definition of R", None),
        ],
    )


@lru_cache
def sandwich() -> GroupDerivation:
    """``Gᵀ K G = K``.

    >>> sandwich().check().ok
    True
    """
    return _chain(
        "K commutes with the group: Gᵀ K G = K",
        [
            (G.T * K * G, "start", None),
            (GroupSum(G.T * H.T * X.T * X * H * G, H), "definition of K; linearity", None),
            (GroupSum((H * G).T * X.T * X * (H * G), H), "transpose of a product", None),
            (
                GroupSum(H.T * X.T * X * H, H),
                Reason("reindex: H replaced by {}", (H * G.T,)),
                Reindex(H, H * G.T),
            ),
            (K, "definition of K", None),
        ],
    )


#: Gᵀ K G = K, as an earlier result for later chains (any element in place of G).
SANDWICH = Lemma("sandwich", G.T * K * G, K, element=G)
#: G R = R.
ABSORB = Lemma("G R = R", G * R, R, element=G)
#: Rᵀ = R.
SYMMETRIC = Lemma("R symmetric", R.T, R)


@lru_cache
def inverse_sandwich() -> GroupDerivation:
    """``G K⁻¹ Gᵀ = K⁻¹`` (``K`` invertible).

    >>> inverse_sandwich().result
    K**(-1)
    """
    return _chain(
        "G K⁻¹ Gᵀ = K⁻¹",
        [
            (G * K.I * G.T, "start", None),
            ((G.T).I * K.I * G.I, Reason("orthogonal: {}", (_eq(G.I, G.T),)), None),
            (sp.Inverse(G * K * G.T), "inverse of a product", None),
            (K.I, Reason("{} for every element, here {}", (_eq(G.T * K * G, K), G.T)), SANDWICH),
        ],
    )


INVERSE_SANDWICH = Lemma("G K⁻¹ Gᵀ = K⁻¹", G * K.I * G.T, K.I, element=G)


@lru_cache
def solution_invariant() -> GroupDerivation:
    """``G w₁* = w₁*``: the minimizer is a fixed vector of the group.

    >>> solution_invariant().check().ok
    True
    """
    return _chain(
        "the solution is invariant (G fixes it)",
        [
            (G * w_star, "start", None),
            (G * K.I * R * X.T * y, "definition of the solution", None),
            (G * K.I * G.T * G * R * X.T * y, Reason("{}", (_eq(G.T * G, sp.Identity(d)),)), None),
            (K.I * G * R * X.T * y, Reason("{}", (_eq(G * K.I * G.T, K.I),)), INVERSE_SANDWICH),
            (K.I * R * X.T * y, Reason("{}", (_eq(G * R, R),)), ABSORB),
            (w_star, "definition of the solution", None),
        ],
    )


@lru_cache
def predictor_invariant() -> GroupDerivation:
    """``(Gx)ᵀ w₁* = xᵀ w₁*``: the learned predictor is invariant.

    >>> predictor_invariant().check().ok
    True
    """
    return _chain(
        "the predictor is invariant: f(Gx) = f(x)",
        [
            ((G * x).T * w_star, "start", None),
            (x.T * G.T * w_star, "transpose of a product", None),
            (
                x.T * w_star,
                Reason("{} for every element, here {}", (_eq(G * w_star, w_star), G.T)),
                Lemma("the solution is invariant", G * w_star, w_star, element=G),
            ),
        ],
    )


@lru_cache
def projector() -> tuple[GroupDerivation, GroupDerivation, GroupDerivation]:
    """``P = R/|𝒢|`` is symmetric, idempotent, and fixes every invariant ``v``.

    >>> [dv.check().ok for dv in projector()]
    [True, True, True]
    """
    sym = _chain(
        "P is symmetric",
        [
            (P.T, "start", None),
            (R.T / ORDER, "definition of P", None),
            (R / ORDER, Reason("{}", (_eq(R.T, R),)), SYMMETRIC),
            (P, "definition of P", None),
        ],
    )
    idem = _chain(
        "P is idempotent",
        [
            (P * P, "start", None),
            (R * R / ORDER**2, "definition of P", None),
            (GroupSum(H * R, H) / ORDER**2, "definition of R; linearity", None),
            (GroupSum(R, H) / ORDER**2, Reason("{} with {}", (_eq(G * R, R), sp.Eq(G, H))), ABSORB),
            (R / ORDER, "a sum of |G| equal terms", None),
            (P, "definition of P", None),
        ],
    )
    fixes = _chain(
        "P fixes every invariant vector",
        [
            (P * v, Reason("{} for every element", (_eq(G * v, v),)), None),
            (GroupSum(H * v, H) / ORDER, "definitions of P, R; linearity", None),
            (
                GroupSum(v, H) / ORDER,
                Reason("{} with {}", (_eq(G * v, v), sp.Eq(G, H))),
                Lemma("v invariant", G * v, v, element=G),
            ),
            (v, "a sum of |G| equal terms", None),
        ],
        notes=(
            "G P = P (from G R = R) puts the range of P inside the invariant vectors, and P v = v "
            "puts every invariant vector in it: P projects onto the invariant subspace, "
            "orthogonally (P symmetric), and tr P is its dimension d_G",
        ),
    )
    return sym, idem, fixes


@lru_cache
def equivariant_gradient() -> GroupDerivation:
    """``∇L₂(W) = W K − C`` with ``C = Σ_H H YᵀX Hᵀ``: the minimizer is ``W* = C K⁻¹``.

    >>> equivariant_gradient().check().ok
    True
    """
    E = H * Y.T - W * H * X.T
    return _chain(
        "the gradient of the equivariant loss",
        [
            (
                GroupSum(Grad(sp.Trace(E.T * E) / 2, W), H),
                "L2 = ½ Σ_H ‖H Yᵀ − W H Xᵀ‖²_F; the gradient of each term",
                None,
            ),
            (
                GroupSum(W * H * X.T * X * H.T - H * Y.T * X * H.T, H),
                "SymPy's matrix derivative",
                None,
            ),
            (
                W * K - C,
                Reason("reindex: H replaced by {} in the first sum; definitions of K, C", (H.T,)),
                Reindex(H, H.T),
            ),
        ],
        notes=("∇L2 = 0 gives W K = C, so W* = C K⁻¹",),
        lhs=Notation("∇_W L2", r"\nabla_{W} L_{2}"),
    )


@lru_cache
def equivariant_commutes() -> tuple[GroupDerivation, GroupDerivation]:
    """``G C Gᵀ = C`` and then ``G W* = W* G``.

    >>> [dv.check().ok for dv in equivariant_commutes()]
    [True, True]
    """
    conj = _chain(
        "G C Gᵀ = C",
        [
            (G * C * G.T, "start", None),
            (
                GroupSum((G * H) * Y.T * X * (G * H).T, H),
                "definition of C; linearity; transpose",
                None,
            ),
            (
                GroupSum(H * Y.T * X * H.T, H),
                Reason("reindex: H replaced by {}", (G.T * H,)),
                Reindex(H, G.T * H),
            ),
            (C, "definition of C", None),
        ],
    )
    comm = _chain(
        "the equivariant solution commutes with every element",
        [
            (G * W_star, "start", None),
            (G * C * K.I, "definition of the solution", None),
            (G * C * G.T * G * K.I, Reason("{}", (_eq(G.T * G, sp.Identity(d)),)), None),
            (
                C * G * K.I,
                Reason("{}", (_eq(G * C * G.T, C),)),
                Lemma("G C Gᵀ = C", G * C * G.T, C, element=G),
            ),
            (C * G * K.I * G.T * G, Reason("{}", (_eq(G.T * G, sp.Identity(d)),)), None),
            (C * K.I * G, Reason("{}", (_eq(G * K.I * G.T, K.I),)), INVERSE_SANDWICH),
            (W_star * G, "definition of the solution", None),
        ],
    )
    return conj, comm
