"""The checks of the CutMix claims: the reference procedure enumerated over every centre, or
simulated.

>>> from verify.losses import get
>>> get("losses.cutmix.weight_law").check().passed
True
"""

from __future__ import annotations

import math

import numpy as np

from verify.claims import Evidence
from verify.evidence import Witness
from verify.lazy import lazy
from verify.losses import reference as ref
from verify.losses.compare import call, compare_pairs

mc = lazy("verify.montecarlo")

# --- CutMix ----------------------------------------------------------------------------------
#: The image of the CutMix enumerations: 6 rows, 9 columns (odd cuts, unequal sides).
SMALL = (6, 9)
#: λ of the procedure claim: 0 (the full-size box, clipped at every centre), 0.3 (odd cuts:
#: 7 and 5 become 6 and 4), 0.75 (√0.25 = 0.5 exactly: 9·0.5 = 4.5 truncates to 4), 0.999 (cut 0).
PROCEDURE_LAMS = (0.0, 0.3, 0.75, 0.999)


def _procedure_check(candidate, seed: int) -> Evidence:
    rng = np.random.default_rng([19, seed])
    H, W = SMALL
    x_a, x_b = rng.standard_normal((2, H, W)), rng.standard_normal((2, H, W))
    items = []
    for lam_ in PROCEDURE_LAMS:
        for cy in range(H):
            for cx in range(W):
                label = f"λ = {lam_}, centre (row {cy}, column {cx}) on {H}×{W}"
                point = {"lam": lam_, "cy": cy, "cx": cx}
                out, raised = call(candidate, x_a.copy(), x_b.copy(), lam_, cy, cx)
                if raised is not None:
                    return compare_pairs([(label, point, raised)])
                mixed, weight = ref.cutmix_torch(x_a, x_b, lam_, cy, cx)
                items.append(
                    (
                        label,
                        point,
                        [
                            ("mixed image", out[0], mixed, 0.0),
                            ("label weight", out[1], weight, 1e-15),
                        ],
                    )
                )
    return compare_pairs(items)


def _law_of(candidate) -> dict[float, float]:
    return {float(k): float(v) for k, v in candidate.items()}


def _weight_law_check(candidate, seed: int) -> Evidence:
    H, W = SMALL
    lam_ = WEIGHT_LAW_LAM
    truth = {float(k): float(v) for k, v in ref.enumerated_law(lam_, H, W).items()}
    mine = _law_of(candidate)
    outcomes = sorted(set(truth) | set(mine))
    # outcomes within 1e-12 are one outcome written two ways (a Fraction and its float)
    merged: list[float] = []
    for o in outcomes:
        if not merged or o - merged[-1] > 1e-12:
            merged.append(o)

    def mass(law, o):
        return sum(p for k, p in law.items() if abs(k - o) <= 1e-12)

    gaps = [(abs(mass(mine, o) - mass(truth, o)), o) for o in merged]
    gap, at = max(gaps)
    passed = gap <= 1e-12
    return Evidence(
        passed=passed,
        expected=mass(mine, at),
        measured=mass(truth, at),
        error=gap,
        tolerance=1e-12,
        n=H * W,
        message=(
            f"the law over all {H * W} centres at λ = {lam_} ({len(truth)} outcomes): largest "
            f"probability gap {gap:.2g} at weight {at:.6g}"
        ),
        witness=Witness({"lam": lam_, "weight": at}, mass(mine, at), mass(truth, at)),
    )


#: λ of the weight-law claim on :data:`SMALL`.
WEIGHT_LAW_LAM = 0.3
#: (λ, H, W) of the mean-weight claim: the kinks of int() hit exactly (W·√(1 − λ) an integer
#: in float64: 32·√0.25 = 16, 5·√0.64 = 4), λ = 0 and 1, and images with unequal odd sides.
MEAN_SETTINGS = tuple(
    (lam_, H, W)
    for H, W in ((6, 9), (5, 7), (32, 32))
    for lam_ in (0.0, 0.3, 0.36, 0.5, 0.75, 0.9, 0.99, 1.0)
)


def _mean_weight_check(candidate, seed: int) -> Evidence:
    worst = None
    for lam_, H, W in MEAN_SETTINGS:
        try:
            mine = float(candidate(lam_, H, W))
        except Exception as exc:  # noqa: BLE001
            return Evidence(
                passed=False,
                message=f"the candidate raised {type(exc).__name__}: {exc}",
                witness=Witness({"lam": lam_, "H": H, "W": W}, str(exc), "a value"),
            )
        truth = float(sum(w * p for w, p in ref.enumerated_law(lam_, H, W).items()))
        gap = abs(mine - truth) if math.isfinite(mine) else math.inf
        if worst is None or gap > worst[0]:
            worst = (gap, lam_, H, W, mine, truth)
    gap, lam_, H, W, mine, truth = worst
    return Evidence(
        passed=gap <= 1e-12,
        expected=mine,
        measured=truth,
        error=gap,
        tolerance=1e-12,
        n=len(MEAN_SETTINGS),
        message=(
            f"exact means over every centre at {len(MEAN_SETTINGS)} (λ, H, W): largest gap "
            f"{gap:.2g} at λ = {lam_}, {H}×{W}"
        ),
        witness=Witness({"lam": lam_, "H": H, "W": W}, mine, truth),
    )


#: The settings of the adjusted-mean claims: name -> (α, H, W, draws). Draws are at least
#: ``mc.required_draws(cv)`` for the weight's cv (0.26 and 0.23): a 1% error is caught.
ADJUSTED = {"cifar": (1.0, 32, 32, 100_000), "small": (0.4, 6, 9, 100_000)}


def _adjusted_check(name: str):
    a, H, W, n = ADJUSTED[name]

    def check(candidate, seed: int) -> Evidence:
        est = mc.estimate(ref.weight_sampler(a, H, W), n, seed=seed)
        return mc.evidence(
            f"losses.cutmix.adjusted_mean.{name}",
            est,
            float(candidate),
            point={"alpha": a, "H": H, "W": W},
        )

    return check
