"""Plausible wrong answers of the robustness claims (tests/test_mutations.py rejects each).

Each stands in for the derived code with one slip a course or a student makes: p and q
swapped, ε left out, the L∞ projection done by rescaling, the [0, 1] clip forgotten, MIM
normalizing by L2, SAM dividing by ‖g‖₁, and a few more.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import robustness as rb
from derivations.functions import Phi
from verify.lazy import torch
from verify.robustness import ACCURACY_VARIABLES


def _swapped(g, eps, p):
    """p and q swapped: the exponent and the norm of the dual side used on the primal."""
    return rb.worst_perturbation(g, eps, rb.dual_exponent(p))


def _no_eps(g, eps, p):
    return rb.worst_perturbation(g, 1.0, p)


def _fgm_always(g, eps, p):
    g = np.asarray(g, dtype=np.float64)
    return eps * g / np.linalg.norm(g)


def _all_ties(g, eps, p):
    """At p = 1 the whole budget on every largest |g_i| (ties not split)."""
    g = np.asarray(g, dtype=np.float64)
    if p == 1:
        top = np.abs(g) == np.abs(g).max()
        return eps * np.sign(g) * top
    return rb.worst_perturbation(g, eps, p)


def _no_sign(g, eps, p):
    """|g| in place of sign(g)|g|: the direction forgets the signs."""
    return np.abs(rb.worst_perturbation(g, eps, p))


def _q_norm_wrong(g, eps, p):
    """|g|^{q−1} normalized by ‖g‖_p^{q−1} (the norm of the wrong side)."""
    g = np.asarray(g, dtype=np.float64)
    q = rb.dual_exponent(p)
    return eps * np.sign(g) * np.abs(g) ** (q - 1) / np.linalg.norm(g, ord=p) ** (q - 1)


# --- projections --------------------------------------------------------------------------------
def _linf_rescaled(delta, eps, p, x=None):
    """L∞ projection by rescaling: εδ/‖δ‖_∞ when outside (shrinks the coordinates inside too)."""
    delta = np.asarray(delta, dtype=np.float64)
    top = np.abs(delta).max()
    out = delta if top <= eps else delta * eps / top
    return out if x is None else np.clip(np.asarray(x) + out, 0, 1) - np.asarray(x)


def _linf_corner(delta, eps, p, x=None):
    """Every coordinate to the corner ε sign δ."""
    return eps * np.sign(np.asarray(delta, dtype=np.float64))


def _l2_always_sphere(delta, eps, p, x=None):
    delta = np.asarray(delta, dtype=np.float64)
    return eps * delta / np.linalg.norm(delta)


def _l2_by_clipping(delta, eps, p, x=None):
    return np.clip(np.asarray(delta, dtype=np.float64), -eps, eps)


def _box_forgotten(delta, eps, p, x=None):
    """The [0, 1] clip forgotten: the ball's projection only."""
    return rb.project(delta, eps, p)


def _box_normalized(delta, eps, p, x=None):
    """The clip to [−1, 1], the normalized range, where pixels live in [0, 1]."""
    d = rb.project(delta, eps, p)
    return np.clip(np.asarray(x) + d, -1, 1) - np.asarray(x)


def _box_only(delta, eps, p, x=None):
    """The clip to [0, 1] without the ball."""
    return np.clip(np.asarray(x) + np.asarray(delta), 0, 1) - np.asarray(x)


# --- attacks ------------------------------------------------------------------------------------
def _grad(model, x, y):
    x = x.detach().clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(x), y, reduction="sum")
    return torch.autograd.grad(loss, x)[0]


def _fgsm_no_clip(model, x, y, eps):
    return x + eps * _grad(model, x, y).sign()


def _fgsm_no_eps(model, x, y, eps):
    return (x + _grad(model, x, y).sign()).clamp(0, 1)


def _fgsm_descent(model, x, y, eps):
    return (x - eps * _grad(model, x, y).sign()).clamp(0, 1)


def _fgsm_sign_zero_up(model, x, y, eps):
    """sign(0) taken as +1: the pixels the loss ignores move too."""
    g = _grad(model, x, y)
    return (x + eps * torch.where(g >= 0, 1.0, -1.0).to(x.dtype)).clamp(0, 1)


def _fgsm_swapped(model, x, y, eps):
    """p and q swapped: the p = 1 maximizer (all of ε on the largest |∂L/∂x|) for p = ∞."""
    g = _grad(model, x, y)
    flat = g.flatten(1)
    delta = torch.stack(
        [torch.as_tensor(rb.worst_perturbation(row.numpy(), eps, 1)) for row in flat]
    )
    return (x + delta.view_as(x)).clamp(0, 1)


def _iterate(step, project):
    def attack(model, x, y, eps, alpha, steps, mu=None):
        x_adv = x.clone()
        for _ in range(steps):
            x_adv = project(x_adv + step(_grad(model, x_adv, y), alpha), x, eps)
        return x_adv.detach()

    return attack


def _sign_step(g, alpha):
    return alpha * g.sign()


def _clip_ball_box(z, x, eps):
    return torch.clamp(torch.clamp(z, x - eps, x + eps), 0, 1)


def _rescale_ball_box(z, x, eps):
    d = z - x
    top = d.abs().flatten(1).max(dim=1).values.view(-1, *([1] * (x.ndim - 1)))
    d = d * torch.where(top > eps, eps / top, torch.ones_like(top))
    return torch.clamp(x + d, 0, 1)


_pgd_no_projection = _iterate(_sign_step, lambda z, x, eps: torch.clamp(z, 0, 1))
_pgd_no_clip = _iterate(_sign_step, lambda z, x, eps: torch.clamp(z, x - eps, x + eps))
_pgd_rescaled = _iterate(_sign_step, _rescale_ball_box)
_pgd_descent = _iterate(lambda g, a: -a * g.sign(), _clip_ball_box)
_pgd_raw_gradient = _iterate(lambda g, a: a * g, _clip_ball_box)


def _mim(normalize, signed=True, use_mu=True):
    def attack(model, x, y, eps, alpha, steps, mu=1.0):
        x_adv, m = x.clone(), torch.zeros_like(x)
        for _ in range(steps):
            g = _grad(model, x_adv, y)
            m = (mu if use_mu else 0.0) * m + normalize(g)
            x_adv = _clip_ball_box(x_adv + alpha * (m.sign() if signed else m), x, eps)
        return x_adv.detach()

    return attack


def _per_example(g, order):
    return torch.linalg.vector_norm(g.flatten(1), ord=order, dim=1).view(-1, *([1] * (g.ndim - 1)))


_mim_l2 = _mim(lambda g: g / _per_example(g, 2))
_mim_raw = _mim(lambda g: g)
_mim_no_mu = _mim(lambda g: g / _per_example(g, 1), use_mu=False)
_mim_batch_l1 = _mim(lambda g: g / g.abs().sum())


# --- SAM ----------------------------------------------------------------------------------------
def _sam_l1(g, rho, p=2):
    """SAM with ‖g‖₁: ρ g/‖g‖₁, inside the ball but short of ρ‖g‖_q."""
    g = np.asarray(g, dtype=np.float64)
    return rho * g / np.abs(g).sum()


def _sam_no_rho(g, rho, p=2):
    return rb.sam_perturbation(g, 1.0, p)


def _sam_swapped(g, rho, p=2):
    return rb.sam_perturbation(g, rho, rb.dual_exponent(p))


def _sam_l2_always(g, rho, p=2):
    g = np.asarray(g, dtype=np.float64)
    return rho * g / np.linalg.norm(g)


def _accuracy_wrong() -> dict:
    m, nq, np_, n2, s, eps = sp.symbols(ACCURACY_VARIABLES)
    return {
        "p and q swapped: ε‖w‖_p": Phi((m - eps * np_) / (s * n2)),
        "ε left out: the clean accuracy": Phi(m / (s * n2)),
        "‖w‖₂ for ‖w‖_q": Phi((m - eps * n2) / (s * n2)),
        "s² for s": Phi((m - eps * nq) / (s**2 * n2)),
        "‖w‖_q below for ‖w‖₂": Phi((m - eps * nq) / (s * nq)),
    }


def _wrong_answers() -> dict:
    maximizer = {
        "p and q swapped": _swapped,
        "ε left out": _no_eps,
        "FGM's ε g/‖g‖₂ for every p": _fgm_always,
        "|g| for sign(g)|g|: the signs dropped": _no_sign,
    }
    out = {
        "robustness.maximizer.linprog": {
            **maximizer,
            "p = 1 ties not split: ε on every largest |g_i|": _all_ties,
        },
        "robustness.maximizer.slsqp": {**maximizer, "normalized by ‖g‖_p^{q−1}": _q_norm_wrong},
        "robustness.project.linf": {
            "L∞ projection by rescaling": _linf_rescaled,
            "every coordinate to the corner ε sign δ": _linf_corner,
        },
        "robustness.project.l2": {
            "onto the sphere even from inside": _l2_always_sphere,
            "L2 projection by clipping coordinates": _l2_by_clipping,
        },
        "robustness.project.box": {
            "the [0, 1] clip forgotten": _box_forgotten,
            "clip to [−1, 1], the normalized range": _box_normalized,
            "the ε-ball forgotten": _box_only,
            "L∞ projection by rescaling": _linf_rescaled,
        },
        "robustness.fgsm.autograd": {
            "the [0, 1] clip forgotten": _fgsm_no_clip,
            "ε left out": _fgsm_no_eps,
            "descends: x − ε sign ∇L": _fgsm_descent,
            "sign(0) taken as +1": _fgsm_sign_zero_up,
            "p and q swapped: ε on the largest |∂L/∂x| only": _fgsm_swapped,
        },
        "robustness.pgd.ball": {
            "no projection onto the ball": _pgd_no_projection,
            "the [0, 1] clip forgotten": _pgd_no_clip,
            "L∞ projection by rescaling": _pgd_rescaled,
            "descends": _pgd_descent,
        },
        "robustness.pgd.linear": {
            "no projection onto the ball": _pgd_no_projection,
            "steps α∇L without the sign": _pgd_raw_gradient,
            "the [0, 1] clip forgotten": _pgd_no_clip,
        },
        "robustness.mim.momentum": {
            "MIM normalizing by L2": _mim_l2,
            "momentum on raw gradients": _mim_raw,
            "μ ignored: always BIM": _mim_no_mu,
            "one L1 norm for the whole batch": _mim_batch_l1,
        },
        "robustness.sam.attains": {
            "SAM with ‖g‖₁": _sam_l1,
            "ρ left out": _sam_no_rho,
            "p and q swapped": _sam_swapped,
            "ρ g/‖g‖₂ for every p": _sam_l2_always,
        },
        "robustness.normalized_budget": {
            "ε itself: the normalization ignored": rb.EPSILON,
            "2ε: the factor inverted": 2 * rb.EPSILON,
        },
    }
    for name in ("linf", "l2", "l3", "l1"):
        wrong = _accuracy_wrong()
        if name == "l2":  # at p = q = 2 these coincide with the truth
            wrong = {
                k: v
                for k, v in wrong.items()
                if not k.startswith(("p and q", "‖w‖₂ for", "‖w‖_q below"))
            }
        out[f"robustness.linear_accuracy.{name}"] = wrong
    return out


#: claim id -> {label: wrong answer}
WRONG_ANSWERS = _wrong_answers()

__all__ = ["WRONG_ANSWERS"]
