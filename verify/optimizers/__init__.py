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

from dataclasses import dataclass

import numpy as np
import sympy as sp

from derivations import optimizers as opt
from verify.claims import Evidence, claim
from verify.evidence import Witness, worst_entry
from verify.lazy import torch

DIM = 6
STEPS = 200
LR, MOMENTUM, DECAY = 0.02, 0.9, 0.1
ADAM_LR, ADAM_DECAY = 0.05, 0.5
SWITCH, LR_AFTER = 60, 0.005  # the schedule: LR for the first SWITCH steps, then LR_AFTER
UNIT_ROUNDOFF = 2.0**-53
# Both sides evaluate the same recurrence with differently ordered float64 operations: each
# step adds at most ~DIM + 10 roundings of size u·scale (the gradient's dot products and the
# update), and the linearised iteration is a contraction apart from a transient gain (momentum
# on this problem: max_k ‖M^k‖ < 10, checked in tests). A first-order bound on the gap after
# T steps is then T·(DIM + 10)·10·u·scale; ROUNDING = 2**10 covers (DIM + 10)·10 with room.
# Adam is not linear: a rounding of size u·|g| in the gradient moves its direction m̂/(√v̂ + ε)
# by about u·|g|/√v̂, and over the 100 steps of the Adam runs √v̂ still remembers the early,
# large gradients, so |g|/√v̂ < 2**6 (checked in tests): 2**6 times ~16 roundings a step also
# fits in 2**10, to first order.
# The nearest wrong answer we test (Adam with ε inside the square root) is off by 3e-9, fifty
# times this tolerance; the others by more than 1e-2.
ROUNDING = 2.0**10


@dataclass(frozen=True)
class Problem:
    """An ill-conditioned quadratic ``f(w) = ½ (w − c)ᵀ H (w − c)`` and a start ``w0``."""

    H: np.ndarray
    c: np.ndarray
    w0: np.ndarray

    def grad(self, w: np.ndarray) -> np.ndarray:
        return self.H @ (w - self.c)


def problem(seed: int, dim: int = DIM) -> Problem:
    """A seeded quadratic with eigenvalues spread over [0.1, 10] (condition number 100).

    >>> p = problem(0)
    >>> bool(np.isclose(np.linalg.cond(p.H), 100.0))
    True
    """
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    H = q @ np.diag(np.geomspace(0.1, 10.0, dim)) @ q.T
    return Problem((H + H.T) / 2, rng.normal(size=dim), rng.normal(0.0, 3.0, size=dim))


def run_update(update, config: dict, p: Problem, rates) -> np.ndarray:
    """Iterate ``update`` with ``config["learning_rate"] = rates[t]`` at step ``t``.

    >>> run_update(opt.sgd, {}, problem(0), [0.1] * 3).shape
    (4, 6)
    """
    w, config = p.w0.copy(), dict(config)
    path = [w]
    for rate in rates:
        config["learning_rate"] = rate
        w, config = update(w, p.grad(w), config)
        path.append(np.asarray(w, dtype=np.float64))
    return np.array(path)


def run_torch(make, p: Problem, rates, *, l2: float = 0.0, on_switch=None) -> np.ndarray:
    """Run the optimizer ``make(params)`` on the loss (plus ``(l2/2)‖w‖²``), autograd gradients.

    ``rates[t]`` is written into the optimizer's parameter group before step ``t``;
    ``on_switch(optimizer, param, old, new)`` is called when it changes.

    >>> path = run_torch(lambda ps: torch.optim.SGD(ps, lr=0.1), problem(0), [0.1] * 2)
    >>> path.shape
    (3, 6)
    """
    H, c = torch.tensor(p.H), torch.tensor(p.c)
    w = torch.tensor(p.w0, requires_grad=True)
    optimizer = make([w])
    path = [p.w0.copy()]
    for t, rate in enumerate(rates):
        old = optimizer.param_groups[0]["lr"]
        if rate != old and on_switch is not None and t > 0:
            on_switch(optimizer, w, old, rate)
        optimizer.param_groups[0]["lr"] = rate
        optimizer.zero_grad()
        d = w - c
        loss = 0.5 * d @ H @ d + 0.5 * l2 * (w @ w)
        loss.backward()
        optimizer.step()
        path.append(w.detach().numpy().copy())
    return np.array(path)


def tolerance(paths, steps: int) -> float:
    """The rounding bound ``steps · ROUNDING · u · scale`` for trajectories of that length.

    >>> tolerance([np.ones((2, 2))], 100) == 100 * ROUNDING * UNIT_ROUNDOFF
    True
    """
    scale = max(1.0, *(float(np.max(np.abs(x))) for x in paths))
    return steps * ROUNDING * UNIT_ROUNDOFF * scale


def _compare(claim_id, runs, what: str, steps: int) -> Evidence:
    """One Evidence from named (candidate path, torch path) pairs."""
    worst_name, worst, tol = "", 0.0, 0.0
    errors = {}
    for name, (mine, ref) in runs.items():
        err = float(np.max(np.abs(mine - ref))) if mine.shape == ref.shape else float("inf")
        errors[name] = err
        tol = max(tol, tolerance([ref], steps))  # the reference's scale, not the candidate's
        if not err <= worst:
            worst_name, worst = name, err
    passed = all(e <= tol for e in errors.values())
    message = (
        f"{what}: {len(runs)} runs of {steps} float64 steps agree with torch (max gap {worst:.2g})"
        if passed
        else f"{what}: the {worst_name} run departs from torch by {worst:.3g} (tolerance {tol:.2g})"
    )
    return Evidence(
        claim_id,
        "torch-reference",
        passed,
        expected="torch trajectory",
        measured="candidate trajectory",
        error=worst,
        tolerance=tol,
        n=len(runs) * steps,
        message=message,
        details=errors,
        witness=worst_entry(*runs[worst_name], {"run": worst_name}) if worst_name else None,
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
    return _compare("optimizers.sgd.torch", runs, "w ← (1 − ηλ)w − ηg", STEPS)


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
    return _compare(
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


# --- where the two conventions start --------------------------------------------------------
#: (η, μ) of the start runs: no parameter is 1, and μ is not the claims' usual 0.9 alone.
START_RUNS = ((LR, MOMENTUM), (0.035, 0.6))


def _elementwise(f, *arrays) -> np.ndarray:
    """``f`` at each point of ``arrays`` (a NumPy function, or a float function of floats)."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    try:
        out = np.asarray(f(*arrays), dtype=np.float64)
    except TypeError:  # a function of floats only
        out = np.vectorize(lambda *v: float(f(*v)), otypes=[np.float64])(*arrays)
    return np.broadcast_to(out, shape).astype(np.float64)


def run_torch_buffer(p: Problem, rates, momentum: float, buffer=None) -> np.ndarray:
    """torch's ``SGD(momentum=μ)`` with ``optimizer.state[w]["momentum_buffer"]`` set to
    ``buffer`` before the first step (B from ``v_B0 = buffer``); without a buffer torch's
    first step sets it to the gradient, which is B from ``v_B0 = 0``.

    >>> p = problem(0)
    >>> fresh = run_torch_buffer(p, [0.1] * 3, 0.5)
    >>> bool(np.array_equal(fresh, run_torch_buffer(p, [0.1] * 3, 0.5, np.zeros(DIM))))
    True
    """

    def make(ps):
        optimizer = torch.optim.SGD(ps, lr=rates[0], momentum=momentum, dampening=0)
        if buffer is not None:
            optimizer.state[ps[0]]["momentum_buffer"] = torch.tensor(buffer, dtype=torch.float64)
        return optimizer

    return run_torch(make, p, rates)


def torch_momentum_step(w, g, lr: float, momentum: float, buffer=None) -> np.ndarray:
    """One step of ``torch.optim.SGD(lr, momentum)`` from ``w`` on the linear loss ``Σ g·w``
    (so the gradient is exactly ``g``), its buffer set to ``buffer`` first if one is given.

    >>> torch_momentum_step([1.0], [2.0], 0.1, 0.5).tolist()  # fresh: buffer = g = 2
    [0.8]
    >>> torch_momentum_step([1.0], [2.0], 0.1, 0.5, buffer=[4.0]).tolist()  # 0.5·4 + 2 = 4
    [0.6]
    >>> torch_momentum_step([1.0], [2.0], 0.1, 1.5)
    Traceback (most recent call last):
    ...
    ValueError: momentum: a real number in [0, 1) is required, got 1.5
    """
    from derivations import arguments as arg

    w, g = arg.array(w, "w"), arg.array(g, "g")
    arg.same_shape("w", w, "g", g)
    lr = arg.non_negative(lr, "lr")
    momentum = arg.probability(momentum, "momentum", open_high=True)
    param = torch.tensor(w, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr, momentum=momentum, dampening=0)
    if buffer is not None:
        buffer = arg.array(buffer, "buffer")
        arg.same_shape("w", w, "buffer", buffer)
        optimizer.state[param]["momentum_buffer"] = torch.tensor(buffer)
    (torch.tensor(g) * param).sum().backward()
    optimizer.step()
    return param.detach().numpy()


def _start_check(candidate, seed):
    start_of = candidate  # v_A0 as a function of (v_B0, η)
    p = problem(seed)
    rng = np.random.default_rng([seed, 1])
    runs = {}
    for eta, mu in START_RUNS:
        rates = [eta] * STEPS
        for label, buffer in (
            ("a nonzero buffer", rng.normal(0.0, 2.0, DIM)),
            ("torch's fresh buffer (g on step 1)", None),
        ):
            v_b0 = np.zeros(DIM) if buffer is None else buffer
            v_a0 = _elementwise(start_of, v_b0, np.full(DIM, eta))
            if np.all(np.isfinite(v_a0)):
                mine = run_update(opt.sgd_momentum, {"momentum": mu, "velocity": v_a0}, p, rates)
            else:  # no start at all: the comparison reports the gap as infinite
                mine = np.full((STEPS + 1, DIM), np.inf)
            runs[f"η={eta:g}, μ={mu:g}, {label}"] = (mine, run_torch_buffer(p, rates, mu, buffer))
    return _compare(
        "optimizers.sgd_momentum.start",
        runs,
        "A from v_A0 = f(v_B0, η) = torch from buffer v_B0",
        STEPS,
    )


def _start_gap_check(candidate, seed):
    predict = candidate  # w'_A − w'_B as a function of (μ, η, v_A0, v_B0)
    rng = np.random.default_rng([seed, 2])
    groups, size = 24, 50
    mus = rng.uniform(0.05, 0.99, groups)
    etas = np.exp(rng.uniform(np.log(1e-3), np.log(0.5), groups))
    w0 = rng.normal(0.0, 2.0, (groups, size))
    g = rng.normal(0.0, 1.0, (groups, size)) * np.exp(rng.uniform(-3, 3, (groups, size)))
    v_a0 = rng.normal(0.0, 1.0, (groups, size))
    v_b0 = rng.normal(0.0, 3.0, (groups, size))
    # the starts a course meets: one array given to both, and torch's fresh optimizer
    v_b0[: groups // 3] = v_a0[: groups // 3]
    fresh = np.zeros(groups, bool)
    fresh[groups // 3 : 2 * groups // 3] = True
    v_b0[fresh] = 0.0
    # measured: torch's SGD, one step of its own on the linear loss Σ g·w (gradient g exactly)
    params = [torch.tensor(w0[k], requires_grad=True) for k in range(groups)]
    optimizer = torch.optim.SGD(
        [{"params": [params[k]], "lr": etas[k], "momentum": mus[k]} for k in range(groups)],
        lr=1.0,
        dampening=0,
    )
    for k in range(groups):
        if not fresh[k]:
            optimizer.state[params[k]]["momentum_buffer"] = torch.tensor(v_b0[k])
    sum((torch.tensor(g[k]) @ params[k]) for k in range(groups)).backward()
    optimizer.step()
    w_b1 = np.stack([q.detach().numpy() for q in params])
    # A by its definition, v ← μv − ηg; w ← w + v
    w_a1 = w0 + (mus[:, None] * v_a0 - etas[:, None] * g)
    measured = w_a1 - w_b1
    mu_, eta_ = np.broadcast_to(mus[:, None], w0.shape), np.broadcast_to(etas[:, None], w0.shape)
    predicted = _elementwise(predict, mu_, eta_, v_a0, v_b0)
    # Each side is a few correctly rounded operations on terms no larger than `scale`, and the
    # prediction a few more: 2**5 roundings of it bound the difference.
    scale = np.abs(w0) + mu_ * np.abs(v_a0) + eta_ * (np.abs(g) + mu_ * np.abs(v_b0)) + 1.0
    error = np.abs(predicted - measured)
    error[~np.isfinite(error)] = np.inf
    ratio = error / (2.0**5 * UNIT_ROUNDOFF * scale)
    k, i = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    passed = bool(np.all(ratio <= 1.0))
    point = {"mu": float(mus[k]), "eta": float(etas[k]), "v_A": float(v_a0[k, i]),
             "v_B": float(v_b0[k, i])}  # fmt: skip
    witness = Witness(point, float(predicted[k, i]), float(measured[k, i]))
    same = measured[: groups // 3]
    message = (
        f"on {measured.size} coordinates (μ in [0.05, 0.99], η in [1e-3, 0.5]) one step of A "
        f"and of torch's SGD part as predicted (max error {float(np.max(error)):.2g}); where "
        f"both start from one array v the gap is up to {float(np.max(np.abs(same))):.3g}, "
        f"and from torch's fresh optimizer up to {float(np.max(np.abs(measured[fresh]))):.3g}"
        if passed
        else f"at μ = {point['mu']:.4g}, η = {point['eta']:.4g}, v_A0 = {point['v_A']:.6g}, "
        f"v_B0 = {point['v_B']:.6g}: predicted gap {predicted[k, i]:.10g}, torch's "
        f"{measured[k, i]:.10g}"
    )
    return Evidence(
        "optimizers.sgd_momentum.start_gap",
        "torch-reference",
        passed,
        expected="w'_A − w'_B after one step, torch's B",
        measured=str(opt.momentum_start().result[0]),
        error=float(np.max(error)),
        tolerance=float(2.0**5 * UNIT_ROUNDOFF * np.max(scale)),
        n=int(measured.size),
        witness=witness,
        message=message,
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
    return _compare(claim_id, runs, f"{torch_cls.__name__} trajectories", steps)


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
START_VARIABLES = {"v_B": (-np.inf, np.inf), "eta": (0, np.inf)}
GAP_VARIABLES = {"mu": (0, 1), "eta": (0, np.inf), "v_A": (-np.inf, np.inf), **START_VARIABLES}
claim(
    "optimizers.sgd_momentum.start",
    "Convention A from velocity v_A0 follows torch.optim.SGD(momentum=μ) from the buffer v_B0 "
    "(optimizer.state[p]['momentum_buffer'] set before step 1) at every step iff "
    "v_A0 = −η v_B0; torch's fresh optimizer is v_B0 = 0",
    method="torch-reference",
    answer="function",
    variables=tuple(START_VARIABLES),
    derived=opt.start_condition,
    domain=START_VARIABLES,
)(_start_check)
claim(
    "optimizers.sgd_momentum.start_gap",
    "From the same w, one step of A from v_A0 and of torch's SGD from the buffer v_B0 end "
    "μ(v_A0 + η v_B0) apart: μ(1 + η)v when one array v starts both, μ v_A0 against torch's "
    "fresh optimizer",
    method="torch-reference",
    answer="function",
    variables=tuple(GAP_VARIABLES),
    derived=lambda: opt.momentum_start().result[0],
    domain={"mu": (0, 0.99), **{k: v for k, v in GAP_VARIABLES.items() if k != "mu"}},
)(_start_gap_check)
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
