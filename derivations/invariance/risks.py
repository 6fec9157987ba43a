"""The risks of OLS, projected OLS and augmented least squares with an invariant truth.

Rows ``x ~ N(0, I_d)``, ``y = Xβ + ε`` with ``ε ~ N(0, σ² I_n)`` and ``Gβ = β`` for every
element (Elesedy and Zaidi 2021; Chen, Dobriban and Lee 2020). The risk is ``E‖ŵ − β‖²``
(the excess test error, as ``𝔼[xxᵀ] = I``). Three facts carry it:

- ``ŵ − β`` is linear in ``ε``: ``(XᵀX)⁻¹Xᵀε`` for OLS, ``P(XᵀX)⁻¹Xᵀε`` projected
  (``Pβ = β``), and for augmentation ``U(ZᵀZ)⁻¹Zᵀε`` with ``Z = XU``, ``U`` an orthonormal
  basis of the invariant subspace: the minimizer of ``L₁`` is invariant, and on invariant
  ``w = Uc`` the loss is ``|𝒢|·½‖y − XUc‖²``;
- ``𝔼[εᵀAε] = σ² tr A`` and cyclic trace give ``σ² E tr((XᵀX)⁻¹ …)``;
- the inverse-Wishart mean ``𝔼[(ZᵀZ)⁻¹] = I_k/(n − k − 1)`` for ``n × k`` standard normal
  ``Z`` (``n > k + 1``); ``Z = XU`` is one (``UᵀU = I``, rotation invariance).

:func:`risk_chain` carries out the trace steps with the concrete projector of C4 on 3×3
images (``d = 9``, ``d_G = 3``), in exact arithmetic, from the inverse-Wishart mean on.

>>> [dv.check().ok for dv in risk_chains().values()]
[True, True, True]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from derivations.core import Derivation, Step
from derivations.invariance.groups import rotations
from derivations.printing import Equation, Notation
from derivations.render import Reason

sigma2 = sp.Symbol("sigma^2", positive=True)
n = sp.Symbol("n", positive=True, integer=True)
d = sp.Symbol("d", positive=True, integer=True)
d_G = sp.Symbol("d_G", positive=True, integer=True)

#: The three risks, for any d, d_G, n.
RISK_OLS = sigma2 * d / (n - d - 1)
RISK_PROJECTED = sigma2 * d_G / (n - d - 1)
RISK_AUGMENTED = sigma2 * d_G / (n - d_G - 1)


def _orbit_basis(group) -> sp.Matrix:
    """Orthonormal basis of the invariant subspace of a permutation group: the normalized
    indicator vectors of its orbits (exact, with square roots)."""
    dim = group.d
    seen, cols = set(), []
    for i in range(dim):
        if i in seen:
            continue
        orbit = {int(np.argmax(g[:, i])) for g in group}
        seen |= orbit
        col = sp.zeros(dim, 1)
        for j in orbit:
            col[j] = 1 / sp.sqrt(len(orbit))
        cols.append(col)
    return sp.Matrix.hstack(*cols)


@lru_cache
def risk_chains() -> dict[str, Derivation]:
    """The trace steps of each risk for C4 on 3×3 images (``d = 9``, ``d_G = 3``).

    >>> risk_chains()["projected"].result
    3*sigma^2/(n - 10)
    """
    group = rotations(3)
    dim = group.d
    P = sum(group.rational(), sp.zeros(dim, dim)) / group.order
    U = _orbit_basis(group)
    k = U.shape[1]
    inv_wishart = 1 / (n - dim - 1)
    inv_wishart_G = 1 / (n - k - 1)
    facts = Reason(
        "{} (inverse Wishart), {}",
        (
            Equation(
                Notation("𝔼[(ZᵀZ)⁻¹]", r"\mathbb{E}[(Z^\top Z)^{-1}]"),
                # N, not n: the book writes the number of samples N (the claims' variable
                # stays n)
                Notation("I_k/(N - k - 1)", r"I_k/(N-k-1)"),
            ),
            Equation(
                Notation("𝔼[εᵀAε]", r"\mathbb{E}[\varepsilon^\top A\varepsilon]"),
                sigma2 * Notation("tr A", r"\operatorname{tr}A"),
            ),
        ),
    )
    ols = Derivation(
        "risk of OLS, d = 9",
        [sigma2, n],
        [
            Step(sigma2 * (inv_wishart * sp.eye(dim)).trace(), facts),
            Step(sigma2 * dim / (n - dim - 1), "trace of the identity"),
        ],
        domain={n: (11, 200)},
    )
    projected = Derivation(
        "risk of projected OLS, C4 on 3×3 images (d = 9, d_G = 3)",
        [sigma2, n],
        [
            Step(sigma2 * (P * inv_wishart * sp.eye(dim) * P.T).trace(), facts),
            Step(sigma2 * inv_wishart * (P * P.T).trace(), "linearity of the trace"),
            Step(sigma2 * inv_wishart * P.trace(), "P symmetric and idempotent"),
            Step(
                sigma2 * k / (n - dim - 1),
                Reason("{}", (Equation(Notation("tr P", r"\operatorname{tr}P"), d_G),)),
            ),
        ],
        domain={n: (11, 200)},
    )
    augmented = Derivation(
        "risk of augmented least squares, C4 on 3×3 images (d_G = 3)",
        [sigma2, n],
        [
            Step(sigma2 * (U * inv_wishart_G * sp.eye(k) * U.T).trace(), facts),
            Step(sigma2 * inv_wishart_G * (U.T * U).trace(), "cyclic trace"),
            Step(
                sigma2 * k / (n - k - 1),
                Reason(
                    "{}", (Equation(Notation("UᵀU", r"U^\top U"), Notation("I_dG", "I_{d_G}")),)
                ),
            ),
        ],
        domain={n: (5, 200)},
    )
    return {"ols": ols, "projected": projected, "augmented": augmented}
