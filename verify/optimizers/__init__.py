"""Claims about optimizers: our update rules against the trajectories of ``torch.optim``.

The measured side runs torch's own optimizers (``SGD``, ``Adam``, ``AdamW``) on a loss that
torch differentiates with autograd, in float64. The derived side runs an update function with
the course API, ``update(w, dw, config) -> (next_w, config)``, on the same loss with its
gradient computed in NumPy. A candidate (a mutation or a student's update) replaces the
derived function in the very same comparison.

>>> from verify.claims import get
>>> get("optimizers.sgd_momentum.torch").check().passed
True
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import optimizers as opt
from verify.claims import Evidence, claim
from verify.evidence import Witness, worst_entry
from verify.lazy import torch
from verify.optimizers import starts
from verify.optimizers.starts import run_torch_buffer, torch_momentum_step
from verify.optimizers.trajectories import (
    ADAM_DECAY,
    ADAM_LR,
    DECAY,
    DIM,
    LR,
    LR_AFTER,
    MOMENTUM,
    ROUNDING,
    STEPS,
    SWITCH,
    UNIT_ROUNDOFF,
    Problem,
    compare,
    problem,
    run_torch,
    run_update,
    tolerance,
)


def _sgd_check(candidate, seed):
    update = candidate
    p, rates = problem(seed), [LR] * STEPS
    runs = {
        "plain": (
            run_update(update, {}, p, rates),
            run_torch(lambda ps: torch.optim.SGD(ps, lr=LR), p, rates),
        ),
        "weight_decay": (
            run_update(update, {"weight_decay": DECAY}, p, rates),
            run_torch(lambda ps: torch.optim.SGD(ps, lr=LR, weight_decay=DECAY), p, rates),
        ),
        "L2 penalty in the loss": (
            run_update(update, {"weight_decay": DECAY}, p, rates),
            run_torch(lambda ps: torch.optim.SGD(ps, lr=LR), p, rates, l2=DECAY),
        ),
    }
    return compare("optimizers.sgd.torch", runs, "w ← (1 − ηλ)w − ηg", STEPS)


def _torch_momentum(ps, lr=LR, weight_decay=0.0):
    return torch.optim.SGD(
        ps, lr=lr, momentum=MOMENTUM, dampening=0, nesterov=False, weight_decay=weight_decay
    )


def _momentum_check(candidate, seed):
    update = candidate
    p, rates = problem(seed), [LR] * STEPS
    runs = {
        "no decay": (
            run_update(update, {"momentum": MOMENTUM}, p, rates),
            run_torch(_torch_momentum, p, rates),
        ),
        "weight_decay": (
            run_update(update, {"momentum": MOMENTUM, "weight_decay": DECAY}, p, rates),
            run_torch(lambda ps: _torch_momentum(ps, weight_decay=DECAY), p, rates),
        ),
    }
    return compare(
        "optimizers.sgd_momentum.torch", runs, "convention A = torch's convention B", STEPS
    )


def _rescale_buffer(optimizer, param, old, new):
    """Keep ``v_A = −η v_B`` across a change of rate: B's buffer times ``old/new``."""
    optimizer.state[param]["momentum_buffer"].mul_(old / new)


def _schedule_check(candidate, seed):
    update = candidate
    p = problem(seed)
    rates = [LR] * SWITCH + [LR_AFTER] * (STEPS - SWITCH)
    mine = run_update(update, {"momentum": MOMENTUM}, p, rates)
    plain = run_torch(_torch_momentum, p, rates)
    rescaled = run_torch(_torch_momentum, p, rates, on_switch=_rescale_buffer)
    # B's buffer before the switch step, from torch: w_{k} − w_{k+1} = η₀ b_k (no decay).
    b_k = (plain[SWITCH - 1] - plain[SWITCH]) / LR
    derived_gap = opt.momentum_schedule_gap().result  # μ v_B (η₁ − η₀)
    gap_of = sp.lambdify([opt.v_B, opt.eta_0, opt.eta_1, opt.mu], derived_gap, "numpy")
    predicted = gap_of(b_k, LR, LR_AFTER, MOMENTUM)
    gap = mine[SWITCH + 1] - plain[SWITCH + 1]
    tol = tolerance([plain, rescaled], STEPS)
    checks = {
        "before the switch": float(np.max(np.abs(mine[: SWITCH + 1] - plain[: SWITCH + 1]))),
        "first gap vs μ v_B (η₁ − η₀)": float(np.max(np.abs(gap - predicted))),
        "whole path vs torch with buffer × η₀/η₁": float(np.max(np.abs(mine - rescaled))),
    }
    passed = all(e <= tol for e in checks.values())
    final_gap = float(np.max(np.abs(mine[-1] - plain[-1])))
    if passed:
        message = (
            f"A matches torch up to step {SWITCH}; the first gap is μ v_B (η₁ − η₀) "
            f"(size {np.max(np.abs(predicted)):.3g}), and A is torch with its buffer rescaled "
            f"by η₀/η₁ (max error {max(checks.values()):.2g}); after {STEPS} steps A and "
            f"plain torch differ by {final_gap:.3g}"
        )
    else:
        name = max(checks, key=checks.get)
        message = f"{name}: off by {checks[name]:.3g} (tolerance {tol:.2g})"
    return Evidence(
        "optimizers.sgd_momentum.schedule",
        "torch-reference",
        passed,
        expected="μ v_B (η₁ − η₀)",
        measured="torch SGD with lr changed at the switch",
        error=max(checks.values()),
        tolerance=tol,
        n=3 * STEPS,
        message=message,
        details={**checks, "final_gap": final_gap},
        witness=worst_entry(mine, rescaled, {"run": "buffer × η₀/η₁ at the switch"}),
    )


def _adam_check(candidate, seed, claim_id, torch_cls):
    update = candidate
    p, steps = problem(seed), STEPS // 2
    rates = [ADAM_LR] * steps
    runs = {}
    for decay in (0.0, ADAM_DECAY):
        runs[f"weight_decay={decay:g}"] = (
            run_update(update, {"weight_decay": decay}, p, rates),
            run_torch(lambda ps, d=decay: torch_cls(ps, lr=ADAM_LR, weight_decay=d), p, rates),
        )
    return compare(claim_id, runs, f"{torch_cls.__name__} trajectories", steps)


def first_step_gaps(w, g, lr: float, decay: float, eps: float = 1e-8) -> np.ndarray:
    """Measured: torch ``Adam(weight_decay)`` minus ``AdamW`` after one step from ``w`` on the
    linear loss ``g·w`` (so the gradient is exactly ``g``).

    >>> round(float(first_step_gaps(np.array([1.0]), np.array([1.0]), 0.1, 0.1, 0.0)[0]), 12)
    0.01
    """
    out = []
    for cls in (torch.optim.Adam, torch.optim.AdamW):
        param = torch.tensor(np.asarray(w, dtype=np.float64), requires_grad=True)
        optimizer = cls([param], lr=lr, weight_decay=decay, eps=eps)
        (torch.tensor(np.asarray(g, dtype=np.float64)) @ param).backward()
        optimizer.step()
        out.append(param.detach().numpy())
    return out[0] - out[1]


def _adam_gap_check(candidate, seed):
    predict = candidate
    rng = np.random.default_rng(seed)
    w, g = rng.normal(0.0, 3.0, 2_000), rng.normal(0.0, 1.0, 2_000)
    # x/(|x| + ε) moves by ε/(|x| + ε)² per unit change of x, at most 1e-8/1e-8 = 1 once
    # |x| ≥ 1e-4: away from x ≈ 0 the normalisation does not amplify rounding.
    keep = (np.abs(g + ADAM_DECAY * w) >= 1e-4) & (np.abs(g) >= 1e-4)
    w, g = w[keep], g[keep]
    measured = first_step_gaps(w, g, ADAM_LR, ADAM_DECAY)
    predicted = np.broadcast_to(
        np.asarray(predict(w, g, ADAM_LR, ADAM_DECAY, 1e-8), dtype=np.float64), w.shape
    )
    error = float(np.max(np.abs(predicted - measured)))
    i = int(np.argmax(np.abs(predicted - measured)))
    witness = Witness({"w": float(w[i]), "g": float(g[i])}, float(predicted[i]), float(measured[i]))
    # Each side's new w has the size of w (plus a step of size η) and is rounded a handful of
    # times (decay, moments, square root, bias corrections, division); the gap subtracts two
    # of them, so 2**6 roundings of max(1, |w|) bound its error.
    tol = 2.0**6 * UNIT_ROUNDOFF * max(1.0, float(np.max(np.abs(w))))
    passed = error <= tol
    differ = int(np.sum(np.abs(measured) > 1e-6))
    message = (
        f"on {w.size} points the derived first-step gap matches torch (max error {error:.2g}); "
        f"Adam with L2 and AdamW differ at {differ} of them, by up to "
        f"{np.max(np.abs(measured)):.3g}"
        if passed
        else f"the predicted gap is off by {error:.3g} (tolerance {tol:.2g})"
    )
    return Evidence(
        "optimizers.adam.l2_vs_adamw",
        "torch-reference",
        passed,
        expected="torch Adam(weight_decay) − AdamW after one step",
        measured=str(opt.adam_first_step_gap().result),
        error=error,
        tolerance=tol,
        n=int(w.size),
        witness=witness,
        message=message,
    )


def _declare(claim_id, statement, check, derived):
    claim(claim_id, statement, method="torch-reference", answer="implementation", derived=derived)(
        check
    )


_declare(
    "optimizers.sgd.torch",
    "SGD with an L2 penalty (λ/2)‖w‖² is w ← (1 − ηλ)w − ηg: it follows torch.optim.SGD with "
    "weight_decay=λ and SGD on the penalised loss",
    _sgd_check,
    lambda: opt.sgd,
)
_declare(
    "optimizers.sgd_momentum.torch",
    "For constant η and from zero velocity (torch's fresh buffer), momentum in convention A "
    "(v ← μv − ηg; w ← w + v) follows torch.optim.SGD(momentum=μ, dampening=0, "
    "nesterov=False), with and without weight decay",
    _momentum_check,
    lambda: opt.sgd_momentum,
)
#: The arguments of the start claims, and what they range over.


starts.declare()
_declare(
    "optimizers.sgd_momentum.schedule",
    "When η changes from η₀ to η₁, convention A leaves torch's convention B by μ v_B (η₁ − η₀) "
    "and then follows B with its buffer rescaled by η₀/η₁",
    _schedule_check,
    lambda: opt.sgd_momentum,
)
_declare(
    "optimizers.adam.torch",
    "adam (weight_decay as an L2 penalty in the gradient) follows torch.optim.Adam",
    lambda cand, seed: _adam_check(cand, seed, "optimizers.adam.torch", torch.optim.Adam),
    lambda: opt.adam,
)
_declare(
    "optimizers.adamw.torch",
    "adamw (decoupled decay w ← (1 − ηλ)w, then Adam on g) follows torch.optim.AdamW",
    lambda cand, seed: _adam_check(cand, seed, "optimizers.adamw.torch", torch.optim.AdamW),
    lambda: opt.adamw,
)
_declare(
    "optimizers.adam.l2_vs_adamw",
    "Adam with an L2 penalty is not AdamW: after one step they differ by "
    "η(λw + g/(|g|+ε) − (g+λw)/(|g+λw|+ε))",
    _adam_gap_check,
    lambda: opt.adam_gap_value,
)

__all__ = [
    "ADAM_DECAY", "ADAM_LR", "DECAY", "DIM", "LR", "LR_AFTER", "MOMENTUM", "ROUNDING", "STEPS",
    "SWITCH", "UNIT_ROUNDOFF", "Problem", "first_step_gaps", "problem", "run_torch",
    "run_torch_buffer", "run_update", "tolerance", "torch_momentum_step",
]  # fmt: skip
