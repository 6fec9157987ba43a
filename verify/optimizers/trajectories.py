"""The trajectories every optimizer claim compares: a seeded quadratic, our update rules
on it, torch's optimizers on it, and the rounding bound between the two.

>>> from derivations import optimizers as opt
>>> p = problem(0)
>>> path = run_update(opt.sgd, {}, p, [0.1] * 3)
>>> bool(np.max(np.abs(path - run_torch(lambda ps: torch.optim.SGD(ps, lr=0.1), p, [0.1] * 3)))
...      < tolerance([path], 3))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verify.claims import Evidence
from verify.evidence import worst_entry
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

    >>> from derivations import optimizers as opt
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


def compare(claim_id, runs, what: str, steps: int) -> Evidence:
    """One Evidence from named (candidate path, torch path) pairs: passed when every pair
    agrees within :func:`tolerance`; the worst pair gives the witness.

    >>> path = np.zeros((3, 2))
    >>> compare("demo.x", {"same": (path, path)}, "zeros", 2).passed
    True
    >>> e = compare("demo.x", {"off": (path + 1e-3, path)}, "zeros", 2)
    >>> e.passed, e.witness.point["run"]
    (False, 'off')
    """
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
