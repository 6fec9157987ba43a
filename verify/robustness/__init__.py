"""Claims of the robustness topic: the maximizers, projections and attacks as exact optimizers,
and the robust accuracy of a linear classifier by simulation.

The reference side never uses the derived formulas. The maximizer of ``gᵀδ`` over the ball is
found by ``scipy.optimize.linprog`` (p = 1, ∞: a linear program) and by SLSQP (other p); the
projections by SLSQP on ``½‖z − δ‖²`` under the ball's (and the box's) constraints written out
one by one; the attacks against torch autograd of a small ``torch.nn`` network and a loop
written here with ``torch.clamp``; the robust accuracy by drawing the two Gaussian classes,
attacking every point with the worst perturbation a linear program finds, and counting.

>>> get("robustness.sam.attains").check().passed
True
"""

from __future__ import annotations

import math

import sympy as sp

from derivations import robustness as rb
from derivations.functions import Phi
from verify.claims import claim, get
from verify.robustness.accuracy import (
    ACCURACY_DRAWS,
    ACCURACY_SETTINGS,
    ACCURACY_VARIABLES,
    MU,
    S,
    W,
    _accuracy_check,
    accuracy_point,
    robust_correct_sampler,
    simulated_accuracy,
    worst_direction,
)
from verify.robustness.attacks import (
    MOMENTUM,
    _budget_check,
    _fgsm_check,
    _mim_check,
    _pgd_check,
    _pgd_linear_check,
    linear_model,
    small_cnn,
)
from verify.robustness.optima import (
    DELTAS,
    GRADIENTS,
    P_LP,
    P_SMOOTH,
    PIXEL_CASES,
    _lp_maximum,
    _maximizer_check,
    _projection_check,
    _sam_check,
    _slsqp_maximum,
    parameter_gradient,
    projection_references,
)


def _declare():
    claim(
        "robustness.maximizer.linprog",
        "the δ with ‖δ‖_p ≤ ε that maximizes gᵀδ is ε sign(g)|g|^{q−1}/‖g‖_q^{q−1} at p = 1 and ∞: "
        "feasible and as good as linprog's optimum, for gradients with ties and zeros",
        method="exact",
        answer="implementation",
        derived=lambda: rb.worst_perturbation,
    )(_maximizer_check(P_LP, _lp_maximum, 1e-9))
    claim(
        "robustness.maximizer.slsqp",
        "the maximizer ε sign(g)|g|^{q−1}/‖g‖_q^{q−1} is feasible and as good as SLSQP's for p = 1.5, 2, 3",
        method="exact",
        answer="implementation",
        derived=lambda: rb.worst_perturbation,
    )(_maximizer_check(P_SMOOTH, _slsqp_maximum, 1e-7))
    for kind, text in (
        ("linf", "clipping to [−ε, ε] is the nearest point of the L∞ ball"),
        ("l2", "εδ/‖δ‖₂ outside the ball (δ inside) is the nearest point of the L2 ball"),
        (
            "box",
            "clipping to [max(−ε, −x), min(ε, 1 − x)] is the nearest δ with ‖δ‖_∞ ≤ ε "
            "and x + δ in [0, 1]",
        ),
    ):
        claim(
            f"robustness.project.{kind}",
            f"{text}: it agrees with SLSQP on ½‖z − δ‖² under the constraints",
            method="exact",
            answer="implementation",
            derived=lambda: rb.project,
        )(_projection_check(kind))
    claim(
        "robustness.fgsm.autograd",
        "FGSM is clip(x + ε sign ∇_x L, 0, 1) with ∇_x L from torch autograd of a small torch.nn CNN "
        "(ε = 0.0313; pixels the loss ignores stay put)",
        method="autograd",
        answer="implementation",
        derived=lambda: rb.fgsm,
    )(_fgsm_check)
    claim(
        "robustness.pgd.ball",
        "PGD (ε = 0.0313, 20 steps of 0.002) follows x ← Π(x + α sign ∇L), never leaves the ε-ball and "
        "[0, 1], and ends at or above FGSM's loss on every example",
        method="autograd",
        answer="implementation",
        derived=lambda: rb.pgd,
    )(_pgd_check)
    claim(
        "robustness.pgd.linear",
        "for a linear model under L∞ the gradient's sign never changes: PGD (20 steps of 0.002 ≥ ε) ends "
        "exactly at FGSM's loss",
        method="autograd",
        answer="implementation",
        derived=lambda: rb.pgd,
    )(_pgd_linear_check)
    claim(
        "robustness.mim.momentum",
        "MIM accumulates m ← μm + ∇L/‖∇L‖₁ and steps α sign m (Dong et al. 2018); with μ = 0 it is BIM",
        method="autograd",
        answer="implementation",
        derived=lambda: rb.mim,
    )(_mim_check)
    claim(
        "robustness.sam.attains",
        "SAM's ε̂ = ρ sign(g)|g|^{q−1}/‖g‖_q^{q−1} (ρ g/‖g‖₂ at p = 2) is in the ρ-ball and attains "
        "ρ‖g‖_q, Hölder's bound",
        method="exact",
        answer="implementation",
        derived=lambda: rb.sam_perturbation,
    )(_sam_check)
    # the assumptions check-answer gives a typed answer (from the domain), so near misses match
    m = sp.Symbol("m", real=True)
    nq, np_, n2, s, eps = sp.symbols(ACCURACY_VARIABLES[1:], nonnegative=True)
    derived = Phi((m - eps * nq) / (s * n2))
    near = {
        Phi(
            (m - eps * np_) / (s * n2)
        ): "p and q swapped: an L_p budget costs the margin ε times the dual norm ‖w‖_q",
        Phi(m / (s * n2)): "ε left out: that is the clean accuracy",
    }
    for name, (p, e) in ACCURACY_SETTINGS.items():
        claim(
            f"robustness.linear_accuracy.{name}",
            f"the robust accuracy of sign(wᵀx) on N(±μ, s²I) under ‖δ‖_{'∞' if math.isinf(p) else f'{p:g}'} "
            f"≤ {e:g} is Φ((wᵀμ − ε‖w‖_q)/(s‖w‖₂)) (simulated, d = {len(W)}, s = {S:g})",
            method="monte-carlo",
            answer="expression",
            variables=ACCURACY_VARIABLES,
            derived=lambda d=derived: d,
            near_misses=near,
            domain={
                "m": (-math.inf, math.inf),
                **{k: (0, math.inf) for k in ACCURACY_VARIABLES[1:]},
            },
        )(_accuracy_check(name))
    claim(
        "robustness.normalized_budget",
        "ε = 0.0313 applied after normalizing pixels to [−1, 1] moves them by ε/2 = 0.01565: half the attack",
        method="autograd",
        answer="number",
        derived=lambda: rb.pixel_budget(rb.EPSILON, 0.5),
        near_misses={
            # typed numbers are read as exact rationals
            sp.Rational(str(rb.EPSILON)): "ε in [−1, 1] is not ε in pixels: that range is twice as "
            "wide as [0, 1]",
            2 * sp.Rational(str(rb.EPSILON)): "the factor goes the other way: x_n = (x − 0.5)/0.5, "
            "so Δx = 0.5 Δx_n",
        },
    )(_budget_check)


_declare()

__all__ = [
    "W",
    "MU",
    "S",
    "ACCURACY_VARIABLES",
    "MOMENTUM",
    "GRADIENTS",
    "DELTAS",
    "PIXEL_CASES",
    "ACCURACY_SETTINGS",
    "ACCURACY_DRAWS",
    "small_cnn",
    "linear_model",
    "projection_references",
    "parameter_gradient",
    "accuracy_point",
    "worst_direction",
    "robust_correct_sampler",
    "simulated_accuracy",
    "get",
]
