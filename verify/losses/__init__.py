"""Claims of the losses topic: one-versus-all, mixup and CutMix against torch and the procedure.

The measured side never calls :mod:`derivations.losses`:

- one-versus-all: ``torch.nn.functional.binary_cross_entropy_with_logits`` on one-hot targets,
  its autograd gradient, and the definition written with ``F.logsigmoid``, on logits that
  include ``±1000``, ties and exact zeros;
- mixup: ``F.cross_entropy`` with class-probability (soft) targets built in torch, and its
  autograd gradient; the law of ``λ`` from NumPy's ``beta`` (what the reference code draws),
  by a Kolmogorov–Smirnov test whose level and power follow from the
  Dvoretzky–Kiefer–Wolfowitz inequality (Massart's constant), and its variance by a z-test;
- CutMix: :mod:`verify.losses.reference`, a transcription of the reference procedure
  (clovaai/CutMix-PyTorch), enumerated over every box centre or simulated.

>>> get("losses.ova.gradient").check().passed
True
"""

from __future__ import annotations

import math

import sympy as sp

from verify.claims import claim, get  # noqa: F401 - get for doctests and pages
from verify.lazy import lazy
from verify.losses import reference as ref  # noqa: F401 - the measured side, for pages
from verify.losses.beta import (
    ALPHAS,
    LAW_DRAWS,
    LAW_GRID,
    SUB_LEVEL,
    VARIANCE_DRAWS,
    _law_check,
    _variance_check,
    candidate_cdf,
    dkw_epsilon,
)
from verify.losses.boxes import (
    ADJUSTED,
    MEAN_SETTINGS,
    PROCEDURE_LAMS,
    SMALL,
    WEIGHT_LAW_LAM,
    _adjusted_check,
    _mean_weight_check,
    _procedure_check,
    _weight_law_check,
)
from verify.losses.torch_checks import (
    _gradient_check,
    _mixup_check,
    _mixup_loss_check,
    _ova_loss_check,
)

dl = lazy("derivations.losses")


def _declare():
    h, t = sp.symbols("h t", real=True)
    t_read = sp.Symbol("t", real=True, nonnegative=True)
    from derivations.functions import sigmoid

    claim(
        "losses.ova.gradient",
        "∂ℓ/∂h = σ(h) − t for ℓ(h, t) = −t log σ(h) − (1 − t) log(1 − σ(h)) (torch autograd, h up to ±1000)",
        method="autograd",
        answer="expression",
        variables=("h", "t"),
        derived=lambda: sigmoid(h) - t,
        domain={"t": (0, 1)},
        # a near miss is matched as the answer is read: t in [0, 1] is read as nonnegative
        near_misses={
            t_read - sigmoid(h): "the sign is flipped: the gradient of the loss is σ(h) − t"
        },
    )(_gradient_check)
    claim(
        "losses.ova.loss",
        "ova_loss(h, y) equals torch's binary_cross_entropy_with_logits on onehot(y) (summed over "
        "classes, averaged over the batch) and its gradient equals autograd's, at ±1000 and ties",
        method="autograd",
        answer="implementation",
        derived=lambda: dl.ova_loss,
    )(_ova_loss_check)
    claim(
        "losses.mixup.identity",
        "λ·CE(h, y₁) + (1 − λ)·CE(h, y₂) equals torch's cross_entropy with the soft target "
        "λ·onehot(y₁) + (1 − λ)·onehot(y₂), gradient by autograd",
        method="torch-reference",
        answer="implementation",
        derived=lambda: dl.mixup_loss,
    )(_mixup_loss_check)
    claim(
        "losses.mixup.mix",
        "mixup(x₁, x₂, y₁, y₂, λ, M) = (λx₁ + (1 − λ)x₂, λ·onehot(y₁) + (1 − λ)·onehot(y₂)), as torch computes them",
        method="torch-reference",
        answer="implementation",
        derived=lambda: dl.mixup,
    )(_mixup_check)
    alpha = sp.Symbol("alpha", positive=True)
    alpha_read = sp.Symbol("alpha", real=True, nonnegative=True)
    claim(
        "losses.mixup.lambda_variance",
        "Var λ = 1/(4(2α + 1)) for λ ~ Beta(α, α) (simulated at α = 0.4 and 2.5)",
        method="monte-carlo",
        answer="expression",
        variables=("alpha",),
        derived=lambda: 1 / (4 * (2 * alpha + 1)),
        domain={"alpha": (0, math.inf)},
        near_misses={
            1
            / (
                4 * (alpha_read + 1)
            ): "Var Beta(a, b) = ab/((a + b)²(a + b + 1)): with a = b = α the last factor is 2α + 1, not α + 1"
        },
    )(_variance_check)
    lam_s = sp.Symbol("lam", positive=True)
    claim(
        "losses.mixup.lambda_law",
        "λ drawn as the reference mixup draws it has the density λ^(α−1)(1 − λ)^(α−1)/B(α, α) "
        "(Kolmogorov–Smirnov at α = 0.4 and 2.5)",
        method="monte-carlo",
        answer="expression",
        variables=("lam", "alpha"),
        derived=lambda: lam_s ** (alpha - 1) * (1 - lam_s) ** (alpha - 1) / sp.beta(alpha, alpha),
        domain={"lam": (0, 1), "alpha": (0, math.inf)},
    )(_law_check)
    claim(
        "losses.cutmix.procedure",
        f"cutmix(x_a, x_b, λ, c_y, c_x) pastes the reference's box and returns 1 − (clipped area)/(HW), "
        f"at every centre of a {SMALL[0]}×{SMALL[1]} image for λ in {PROCEDURE_LAMS}",
        method="enumeration",
        answer="implementation",
        derived=lambda: dl.cutmix,
    )(_procedure_check)
    claim(
        "losses.cutmix.weight_law",
        f"the law of the recomputed CutMix weight at λ = {WEIGHT_LAW_LAM} on a {SMALL[0]}×{SMALL[1]} "
        "image: the product of the two axes' clipped-length laws",
        method="enumeration",
        answer="distribution",
        derived=lambda: dl.weight_law(WEIGHT_LAW_LAM, *SMALL),
    )(_weight_law_check)
    claim(
        "losses.cutmix.mean_weight",
        "𝔼[weight | λ] = 1 − (2k_w − k_w²/W)(2k_h − k_h²/H)/(HW), k = ⌊int(S√(1 − λ))/2⌋, "
        f"exact over every centre at {len(MEAN_SETTINGS)} settings",
        method="enumeration",
        answer="implementation",
        derived=lambda: lambda lam_, H, W: float(dl.mean_weight(lam_, H, W)),
    )(_mean_weight_check)
    for name, (a, H, W, _) in ADJUSTED.items():
        claim(
            f"losses.cutmix.adjusted_mean.{name}",
            f"𝔼[weight] over λ ~ Beta({a:g}, {a:g}) and the centre on {H}×{W}: the exact integral "
            "of 𝔼[weight | λ]",
            method="monte-carlo",
            answer="number",
            derived=lambda a=a, H=H, W=W: float(dl.adjusted_mean(a, H, W)),
            near_misses={
                sp.Rational(1, 2): "the unadjusted weight: 𝔼[λ] = 1/2, but clipping shrinks the box"
            },
        )(_adjusted_check(name))


_declare()

__all__ = [
    "ADJUSTED",
    "ALPHAS",
    "LAW_DRAWS",
    "LAW_GRID",
    "MEAN_SETTINGS",
    "PROCEDURE_LAMS",
    "SMALL",
    "SUB_LEVEL",
    "VARIANCE_DRAWS",
    "WEIGHT_LAW_LAM",
    "candidate_cdf",
    "dkw_epsilon",
    "get",
]
