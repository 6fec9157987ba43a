"""The checks of the OVA and mixup claims: torch's own functions and autograd, in float64.

>>> from verify.losses import get
>>> get("losses.mixup.mix").check().passed
True
"""

from __future__ import annotations

import numpy as np

from verify.claims import Evidence
from verify.evidence import Witness
from verify.losses import reference as ref
from verify.losses.compare import ATOL, as_vector_function, call, compare_pairs

#: The points of the per-class derivative claim: both tails (±1000, where log σ is log 0 in
#: float64; ±37.5 and 36, where 1 − σ rounds to 0), 0 (the tie σ = 1/2) and values between.
H_POINTS = (-1000.0, -37.5, -2.5, -0.3, 0.0, 0.7, 4.0, 36.0, 1000.0)


# --- one-versus-all ------------------------------------------------------------------------
def _gradient_check(candidate, seed: int) -> Evidence:
    f = as_vector_function(candidate, ("h", "t"))
    hs = np.array([p for p in H_POINTS for _ in (0, 1)])
    ts = np.array([float(t) for _ in H_POINTS for t in (0, 1)])
    with np.errstate(all="ignore"):
        mine = np.broadcast_to(np.asarray(f(hs, ts), dtype=np.float64), hs.shape)
    theirs = ref.bce_gradient(hs, ts)
    gap = np.where(np.isfinite(mine), np.abs(mine - theirs), np.inf)
    i = int(np.argmax(gap))
    passed = bool(gap[i] <= ATOL)
    return Evidence(
        passed=passed,
        expected=float(mine[i]),
        measured=float(theirs[i]),
        error=float(gap[i]),
        tolerance=ATOL,
        n=hs.size,
        message=(
            f"d/dh of torch's binary_cross_entropy_with_logits by autograd at {hs.size} points "
            f"(h up to ±1000, t = 0 and 1): largest gap {gap[i]:.2g}"
            + ("" if passed else f" at h = {hs[i]:g}, t = {ts[i]:g}")
        ),
        witness=Witness({"h": float(hs[i]), "t": float(ts[i])}, float(mine[i]), float(theirs[i])),
    )


def _ova_instances(seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng([15, seed])
    extreme = np.array(
        [
            [1000.0, -1000.0, 0.0, 0.0],
            [-1000.0, -1000.0, -1000.0, -1000.0],
            [1000.0, 1000.0, 1000.0, 1000.0],
            [0.0, 0.0, 0.0, 0.0],
            [2.5, 2.5, -7.0, 1000.0],
        ]
    )
    return [
        (
            "6×4 logits N(0, 9), labels 0 … 3",
            3 * rng.standard_normal((6, 4)),
            np.array([0, 3, 1, 3, 2, 0]),
        ),
        ("5×4 logits at ±1000, ties and zeros", extreme, np.array([0, 3, 1, 2, 0])),
        (
            "3×7 logits N(0, 4), labels 6, 0, 6",
            2 * rng.standard_normal((3, 7)),
            np.array([6, 0, 6]),
        ),
    ]


def _ova_loss_check(candidate, seed: int) -> Evidence:
    items = []
    for label, h, y in _ova_instances(seed):
        out, raised = call(candidate, h.copy(), y.copy())
        point = {"instance": label}
        if raised is not None:
            items.append((label, point, raised))
            continue
        loss, grad = out[0], out[1]
        bce, bce_grad, definition = ref.ova_torch(h, y)
        items.append(
            (
                label,
                point,
                [
                    ("loss (vs binary_cross_entropy_with_logits)", loss, bce, ATOL * max(1, bce)),
                    (
                        "loss (vs -logsigmoid(h_y) - Σ logsigmoid(-h_i))",
                        loss,
                        definition,
                        ATOL * max(1, bce),
                    ),
                    ("gradient (vs autograd)", grad, bce_grad, ATOL),
                ],
            )
        )
    return compare_pairs(items)


# --- mixup ---------------------------------------------------------------------------------
def _mixup_instances(seed: int):
    rng = np.random.default_rng([16, seed])
    stiff = rng.standard_normal((5, 4))
    stiff[2] += 800.0  # e^800 overflows: the softmax must be shifted
    y1, y2 = np.array([0, 3, 1, 1, 2]), np.array([2, 3, 0, 1, 0])  # rows 1 and 3: y1 = y2
    return [
        (f"5×4 logits, λ = {lam_}", 2 * rng.standard_normal((5, 4)), y1, y2, lam_)
        for lam_ in (0.3, 0.85)
    ] + [
        ("5×4 logits, one row near 800, λ = 0.6", stiff, y1, y2, 0.6),
        ("5×4 logits, λ = 0 (all second label)", rng.standard_normal((5, 4)), y1, y2, 0.0),
        ("5×4 logits, λ = 1 (all first label)", rng.standard_normal((5, 4)), y1, y2, 1.0),
    ]


def _mixup_loss_check(candidate, seed: int) -> Evidence:
    items = []
    for label, h, y1, y2, lam_ in _mixup_instances(seed):
        point = {"instance": label, "lam": lam_}
        out, raised = call(candidate, h.copy(), y1.copy(), y2.copy(), lam_)
        if raised is not None:
            items.append((label, point, raised))
            continue
        loss, grad = ref.soft_cross_entropy(h, y1, y2, lam_)
        tol = ATOL * max(1.0, loss)
        items.append(
            (label, point, [("loss", out[0], loss, tol), ("gradient", out[1], grad, ATOL)])
        )
    return compare_pairs(items)


def _mixup_check(candidate, seed: int) -> Evidence:
    rng = np.random.default_rng([17, seed])
    items = []
    for lam_ in (0.3, 0.8):
        x1, x2 = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 2, 3))
        y1, y2 = np.array([0, 2, 4, 1]), np.array([3, 2, 0, 4])
        label = f"4 images of 2×3, M = 5, λ = {lam_}"
        point = {"instance": label, "lam": lam_}
        out, raised = call(candidate, x1.copy(), x2.copy(), y1.copy(), y2.copy(), lam_, 5)
        if raised is not None:
            items.append((label, point, raised))
            continue
        x_ref, y_ref = ref.mixup_torch(x1, x2, y1, y2, lam_, 5)
        items.append(
            (
                label,
                point,
                [("mixed x", out[0], x_ref, 1e-14 * 8), ("mixed y", out[1], y_ref, 1e-15)],
            )
        )
    return compare_pairs(items)
