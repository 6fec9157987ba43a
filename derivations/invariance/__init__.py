"""Invariance and equivariance by group averaging (SPEC §9).

Linear regression ``ŷ = xᵀw`` trained on the augmented loss
``L₁(w) = ½ Σ_{G∈𝒢} ‖y − X Gᵀ w‖²`` for a finite group 𝒢 of orthogonal matrices: the loss
is invariant, its minimizer is ``w₁* = K⁻¹ R Xᵀ y`` with ``K = Σ GᵀXᵀXG``, ``R = Σ G``, and
both the minimizer and the predictor are invariant; ``R/|𝒢|`` is the orthogonal projector onto
the invariant subspace. For ``ŷ = Wx`` the loss ``L₂(W) = ½ Σ_G Σ_n ‖G y⁽ⁿ⁾ − W G x⁽ⁿ⁾‖²`` has
a minimizer that commutes with every ``G``. With an invariant truth, the risks of OLS,
projected OLS and augmented least squares are ``σ²d/(n − d − 1)``, ``σ²d_G/(n − d − 1)`` and
``σ²d_G/(n − d_G − 1)``.

The general derivations are :mod:`derivations.invariance.general` (a general finite group,
its properties as stated rules, :mod:`derivations.invariance.algebra`); the groups as data
are :mod:`derivations.invariance.groups`; the closed forms :mod:`.solutions`; the risks
:mod:`.risks`.

>>> import numpy as np
>>> c4 = rotations(3)
>>> X = np.random.default_rng(0).normal(size=(3, 9))
>>> w = invariant_solution(X, np.array([1.0, -2.0, 0.5]), c4)
>>> bool(np.allclose(c4.elements[1] @ w, w))
True
"""

from __future__ import annotations

from derivations.invariance import general, risks
from derivations.invariance.groups import (
    TOL,
    Group,
    as_group,
    cyclic_shifts,
    dihedral,
    mirror,
    planar_rotations,
    quarter_turn,
    rotations,
    sign_flips,
)
from derivations.invariance.risks import RISK_AUGMENTED, RISK_OLS, RISK_PROJECTED
from derivations.invariance.solutions import (
    augmentation_matrices,
    augmented_loss,
    equivariant_loss,
    equivariant_solution,
    invariant_dimension,
    invariant_solution,
    reynolds,
    risk_augmented,
    risk_ols,
    risk_projected,
)

#: The groups of the topic, as data: name -> builder (each verified to be a group).
GROUPS = {
    "c4": lambda: rotations(3),
    "d4": lambda: dihedral(3),
    "shifts": lambda: cyclic_shifts(5),
    "flips": lambda: sign_flips(4, 2),
    "c3_plane": lambda: planar_rotations(3, 3),
}

#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {
    "invariance.loss_invariance": general.loss_invariance,
    "invariance.normal_equations": general.normal_equations,
    "invariance.group_average": general.group_average,
    "invariance.symmetric_average": general.symmetric_average,
    "invariance.sandwich": general.sandwich,
    "invariance.inverse_sandwich": general.inverse_sandwich,
    "invariance.solution_invariant": general.solution_invariant,
    "invariance.predictor_invariant": general.predictor_invariant,
    "invariance.projector_symmetric": lambda: general.projector()[0],
    "invariance.projector_idempotent": lambda: general.projector()[1],
    "invariance.projector_fixes": lambda: general.projector()[2],
    "invariance.equivariant_gradient": general.equivariant_gradient,
    "invariance.equivariant_conjugate": lambda: general.equivariant_commutes()[0],
    "invariance.equivariant_commutes": lambda: general.equivariant_commutes()[1],
    "invariance.risk_ols": lambda: risks.risk_chains()["ols"],
    "invariance.risk_projected": lambda: risks.risk_chains()["projected"],
    "invariance.risk_augmented": lambda: risks.risk_chains()["augmented"],
}

__all__ = [
    "DERIVATIONS",
    "GROUPS",
    "Group",
    "RISK_AUGMENTED",
    "RISK_OLS",
    "RISK_PROJECTED",
    "TOL",
    "as_group",
    "augmentation_matrices",
    "augmented_loss",
    "cyclic_shifts",
    "dihedral",
    "equivariant_loss",
    "equivariant_solution",
    "invariant_dimension",
    "invariant_solution",
    "mirror",
    "planar_rotations",
    "quarter_turn",
    "reynolds",
    "risk_augmented",
    "risk_ols",
    "risk_projected",
    "rotations",
    "sign_flips",
]
