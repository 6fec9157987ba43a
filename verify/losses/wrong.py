"""Plausible wrong answers for every losses claim (tests/test_mutations.py rejects each one).

Implementation claims get functions with the claim's signature, each with one slip; typed
claims get SymPy expressions, numbers or laws. The mutations the issue names: softmax where
the sigmoid is due, a sign error, (1 − λ) on the wrong sample, λ not recomputed after
clipping, and a 1-based label in the 0-based API.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp

from derivations import losses as L
from derivations.functions import sigmoid


# --- one-versus-all ----------------------------------------------------------------------------
def ova_softmax(h, y):
    """Softmax cross-entropy where the sigmoid is due: the classes compete."""
    h = np.asarray(h, dtype=np.float64)
    n = h.shape[0]
    shifted = h - h.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(logp)
    grad[np.arange(n), y] -= 1
    return -float(np.mean(logp[np.arange(n), y])), grad / n


def ova_sign_error(h, y):
    """The gradient as 1[i = y] − σ(h_i): the sign flipped."""
    loss, grad = L.ova_loss(h, y)
    return loss, -grad


def ova_one_based(h, y):
    """Labels read as 1-based: class y − 1 is the target (label 0 wraps to the last class)."""
    h = np.asarray(h, dtype=np.float64)
    m = h.shape[1]
    return L.ova_loss(h, (np.asarray(y) - 1) % m)


def ova_naive(h, y):
    """log σ and log(1 − σ) computed as written: log 0 = −inf at |h| = 1000."""
    h = np.asarray(h, dtype=np.float64)
    n = h.shape[0]
    p = 1 / (1 + np.exp(-h))
    t = np.eye(h.shape[1])[y]
    loss = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)) / n
    return float(loss), (p - t) / n


def ova_not_averaged(h, y):
    """Summed over the batch, not averaged."""
    loss, grad = L.ova_loss(h, y)
    n = np.shape(h)[0]
    return loss * n, grad * n


def ova_label_only(h, y):
    """Only −log σ(h_y): the other classes' −log(1 − σ(h_i)) forgotten."""
    h = np.asarray(h, dtype=np.float64)
    n = h.shape[0]
    rows = np.arange(n)
    loss = float(np.mean(np.logaddexp(0, -h[rows, y])))
    grad = np.zeros_like(h)
    grad[rows, y] = L.sigmoid_array(h[rows, y]) - 1
    return loss, grad / n


# --- mixup -------------------------------------------------------------------------------------
def mixup_loss_swapped(h, y1, y2, lam):
    """(1 − λ) on the wrong sample: (1 − λ)·CE(y₁) + λ·CE(y₂)."""
    return L.mixup_loss(h, y1, y2, 1 - lam)


def mixup_loss_one_based(h, y1, y2, lam):
    """Labels read as 1-based."""
    m = np.shape(h)[1]
    return L.mixup_loss(h, (np.asarray(y1) - 1) % m, (np.asarray(y2) - 1) % m, lam)


def mixup_loss_sign_error(h, y1, y2, lam):
    """The gradient as ỹ − softmax(h)."""
    loss, grad = L.mixup_loss(h, y1, y2, lam)
    return loss, -grad


def mixup_loss_sigmoid(h, y1, y2, lam):
    """One-versus-all where the softmax is due."""
    a, _ = L.ova_loss(h, y1)
    b, _ = L.ova_loss(h, y2)
    ga, gb = L.ova_loss(h, y1)[1], L.ova_loss(h, y2)[1]
    return lam * a + (1 - lam) * b, lam * ga + (1 - lam) * gb


def mixup_swapped_labels(x1, x2, y1, y2, lam, m):
    """(1 − λ) on the wrong sample in the label: ỹ = (1 − λ)y₁ + λy₂."""
    x, _ = L.mixup(x1, x2, y1, y2, lam, m)
    return x, L.mixup(x1, x2, y1, y2, 1 - lam, m)[1]


def mixup_swapped_images(x1, x2, y1, y2, lam, m):
    """(1 − λ) on the wrong sample in the image: x̃ = (1 − λ)x₁ + λx₂."""
    _, y = L.mixup(x1, x2, y1, y2, lam, m)
    return L.mixup(x1, x2, y1, y2, 1 - lam, m)[0], y


def mixup_one_based(x1, x2, y1, y2, lam, m):
    """Labels read as 1-based."""
    return L.mixup(x1, x2, (np.asarray(y1) - 1) % m, (np.asarray(y2) - 1) % m, lam, m)


# --- CutMix ------------------------------------------------------------------------------------
def cutmix_not_recomputed(x_a, x_b, lam, cy, cx):
    """The box pasted right, but the label weight left at the drawn λ."""
    mixed, _ = L.cutmix(x_a, x_b, lam, cy, cx)
    return mixed, lam


def cutmix_unclipped_weight(x_a, x_b, lam, cy, cx):
    """The weight from the unclipped box, 1 − (2k_h)(2k_w)/(HW): clipping ignored."""
    mixed, _ = L.cutmix(x_a, x_b, lam, cy, cx)
    H, W = np.shape(x_a)[-2:]
    kh, kw = L.half_side(lam, H), L.half_side(lam, W)
    return mixed, 1 - 4 * kh * kw / (H * W)


def cutmix_wrong_sample(x_a, x_b, lam, cy, cx):
    """(1 − λ) on the wrong sample: the first label gets the box's share."""
    mixed, weight = L.cutmix(x_a, x_b, lam, cy, cx)
    return mixed, 1 - weight


def cutmix_pasted_backwards(x_a, x_b, lam, cy, cx):
    """The box of x_a pasted into x_b."""
    mixed, weight = L.cutmix(x_b, x_a, lam, cy, cx)
    return mixed, weight


def _mean_unclipped(lam, H, W):
    return 1 - 4 * L.half_side(lam, H) * L.half_side(lam, W) / (H * W)


def _mean_full_cut(lam, H, W):
    """Box sides int(S√(1 − λ)) (not 2⌊·/2⌋), clipped: the halving forgotten."""
    ch, cw = int(H * math.sqrt(1 - lam)), int(W * math.sqrt(1 - lam))
    return 1 - (ch - ch * ch / (4 * H)) * (cw - cw * cw / (4 * W)) / (H * W)


def _wrong_answers() -> dict:
    h, t = sp.symbols("h t")
    alpha, lam = sp.symbols("alpha lam")
    beta = sp.beta
    H, W = 6, 9
    k_h, k_w = L.half_side(0.3, H), L.half_side(0.3, W)
    out = {
        "losses.ova.gradient": {
            "sign error: t − σ(h)": t - sigmoid(h),
            "σ′ for σ: σ(h)(1 − σ(h)) − t": sigmoid(h) * (1 - sigmoid(h)) - t,
            "σ(−h) − t": sigmoid(-h) - t,
            "the target forgotten: σ(h)": sigmoid(h),
        },
        "losses.ova.loss": {
            "softmax where the sigmoid is due": ova_softmax,
            "sign error in the gradient": ova_sign_error,
            "1-based labels in the 0-based API": ova_one_based,
            "log σ as written (not finite at |h| = 1000)": ova_naive,
            "summed over the batch, not averaged": ova_not_averaged,
            "the other classes' terms forgotten": ova_label_only,
        },
        "losses.mixup.identity": {
            "(1 − λ) on the wrong sample": mixup_loss_swapped,
            "1-based labels in the 0-based API": mixup_loss_one_based,
            "sign error in the gradient": mixup_loss_sign_error,
            "sigmoid (one-versus-all) where the softmax is due": mixup_loss_sigmoid,
        },
        "losses.mixup.mix": {
            "(1 − λ) on the wrong sample in the label": mixup_swapped_labels,
            "(1 − λ) on the wrong sample in the image": mixup_swapped_images,
            "1-based labels in the 0-based API": mixup_one_based,
        },
        "losses.mixup.lambda_variance": {
            "a + b + 1 = α + 1: 1/(4(α + 1))": 1 / (4 * (alpha + 1)),
            "factor 2: 1/(2(2α + 1))": 1 / (2 * (2 * alpha + 1)),
            "the uniform's 1/12 for every α": sp.Rational(1, 12),
            "squared: 1/(4(2α + 1)²)": 1 / (4 * (2 * alpha + 1) ** 2),
            "𝔼[λ²] for the variance: (α + 1)/(2(2α + 1))": (alpha + 1) / (2 * (2 * alpha + 1)),
        },
        "losses.mixup.lambda_law": {
            "uniform for every α": sp.Integer(1),
            "Beta(α, 1 − α)": lam ** (alpha - 1) * (1 - lam) ** (-alpha) / beta(alpha, 1 - alpha),
            "wrong variance: Beta(2α, 2α)": lam ** (2 * alpha - 1)
            * (1 - lam) ** (2 * alpha - 1)
            / beta(2 * alpha, 2 * alpha),
            "not normalized: 1/B(α, α) forgotten": lam ** (alpha - 1) * (1 - lam) ** (alpha - 1),
        },
        "losses.cutmix.procedure": {
            "λ not recomputed after clipping": cutmix_not_recomputed,
            "the weight of the unclipped box": cutmix_unclipped_weight,
            "(1 − λ) on the wrong sample": cutmix_wrong_sample,
            "the box pasted from x_a into x_b": cutmix_pasted_backwards,
        },
        "losses.cutmix.weight_law": {
            "λ not recomputed: all mass at λ = 0.3": {0.3: 1.0},
            "clipping ignored: all mass at 1 − 4k_hk_w/(HW)": {
                1 - Fraction(4 * k_h * k_w, H * W): Fraction(1)
            },
            "(1 − λ) on the wrong sample": {1 - w: p for w, p in L.weight_law(0.3, H, W).items()},
        },
        "losses.cutmix.mean_weight": {
            "λ not recomputed: λ itself": lambda lam_, H_, W_: lam_,
            "clipping ignored": _mean_unclipped,
            "the continuum limit 1 − (1 − λ)(1 − √(1 − λ)/4)²": lambda lam_, H_, W_: (
                L.continuous_mean_weight(lam_)
            ),
            "the halving of the cut forgotten": _mean_full_cut,
        },
    }
    for name, (a, H_, W_, _) in __import__("verify.losses", fromlist=["ADJUSTED"]).ADJUSTED.items():
        exact = float(L.adjusted_mean(a, H_, W_))
        out[f"losses.cutmix.adjusted_mean.{name}"] = {
            "λ not recomputed: 𝔼[λ] = 1/2": 0.5,
            "the continuum limit": L.continuous_adjusted_mean(a),
            "(1 − λ) on the wrong sample": 1 - exact,
            "clipping ignored": _unclipped_adjusted(a, H_, W_),
        }
    return out


def _unclipped_adjusted(a: float, H: int, W: int) -> float:
    """𝔼[1 − 4k_hk_w/(HW)] over λ ~ Beta(α, α), by quadrature of the step function."""
    from scipy import integrate, stats

    dens = stats.beta(a, a).pdf
    pts = sorted(
        {1 - (m / W) ** 2 for m in range(W + 1)} | {1 - (m / H) ** 2 for m in range(H + 1)}
    )
    total = 0.0
    for lo, hi in zip(pts, pts[1:], strict=False):
        mid = (lo + hi) / 2
        total += integrate.quad(dens, lo, hi)[0] * _mean_unclipped(mid, H, W)
    return total


#: claim id -> {label: wrong answer}
WRONG_ANSWERS = _wrong_answers()
