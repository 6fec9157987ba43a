"""Where the two momentum conventions start: A from a velocity ``v_A0`` against torch's SGD
from a buffer ``v_B0`` (``optimizer.state[p]["momentum_buffer"]`` set before its first step).

They coincide at every step iff ``v_A0 = −η v_B0`` (``derivations.optimizers.momentum_start``);
a fresh torch optimizer, whose first step sets its buffer to ``g``, is ``v_B0 = 0``.

>>> from verify.claims import get
>>> get("optimizers.sgd_momentum.start").check().passed
True
"""

from __future__ import annotations

import numpy as np

from derivations import optimizers as opt
from verify.claims import Evidence, claim
from verify.evidence import Witness
from verify.lazy import torch
from verify.optimizers.trajectories import (
    DIM,
    LR,
    MOMENTUM,
    STEPS,
    UNIT_ROUNDOFF,
    Problem,
    compare,
    problem,
    run_torch,
    run_update,
)

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
    return compare(
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


#: The arguments of the start claims, and what they range over.
START_VARIABLES = {"v_B": (-np.inf, np.inf), "eta": (0, np.inf)}
GAP_VARIABLES = {"mu": (0, 1), "eta": (0, np.inf), "v_A": (-np.inf, np.inf), **START_VARIABLES}


def declare():
    """Declare the two start claims (called by :mod:`verify.optimizers`, in its order)."""
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
