"""Claims about the two networks: loss and gradients against torch, with and without L2.

The candidate is a network class with the constructor of the one it stands for (default: the
class itself). For the autograd claim the first input row is zero, so with the initial zero
biases every hidden unit of that row sits at ReLU's kink (torch's ReLU′(0) = 0 is checked
there); the finite-difference claim keeps away from kinks, where a centered difference is no
derivative: its biases are random, redrawn until every hidden pre-activation is at least
:data:`MARGIN` from 0. The reference is the same network written with torch's own ops (``F.linear``,
``F.relu``, ``F.cross_entropy``, ``0.5·reg·Σ‖W‖²``) on the candidate's own parameters:
differentiated by autograd for one claim, by centered differences (no autograd) for the other.
Registered on import of :mod:`verify.layers`.

>>> from verify.claims import get
>>> get("layers.two_layer_net.autograd").check().passed
True
"""

from __future__ import annotations

import numpy as np

from derivations import layers as L
from verify.claims import Evidence, claim
from verify.evidence import Witness, worst_entry
from verify.gradcheck import centered_difference, relative_error, tolerance
from verify.lazy import F, torch

REGS = (0.0, 0.7)
# Entries are sums of ≤ 42 products of O(1) numbers computed in different orders by NumPy and
# torch: the gap is ≲ 42²·eps ≈ 4e-13 of the largest entry; we allow 1e-10 of it.
RTOL = 1e-10

NETS = {
    "two_layer_net": (
        L.TwoLayerNet,
        lambda cls, reg, seed: cls(
            input_dim=6, hidden_dim=7, num_classes=4, weight_scale=0.5, reg=reg, seed=seed
        ),
        (5, 2, 3),
        4,
    ),
    "fc_net": (
        L.FullyConnectedNet,
        lambda cls, reg, seed: cls(
            [6, 5], input_dim=7, num_classes=3, reg=reg, weight_scale=0.6, seed=seed
        ),
        (4, 7),
        3,
    ),
}


def torch_loss(params: dict, X: np.ndarray, y: np.ndarray, reg: float):
    """The network's loss with torch's own ops; ``params`` holds tensors ``W1, b1, …``.

    >>> import torch
    >>> p = {"W1": torch.zeros(2, 3, dtype=torch.float64), "b1": torch.zeros(3, dtype=torch.float64)}
    >>> bool(abs(float(torch_loss(p, np.ones((1, 2)), np.array([0]), 0.0)) - np.log(3)) < 1e-12)
    True
    """
    layers = len(params) // 2
    h = torch.as_tensor(X, dtype=torch.float64).reshape(X.shape[0], -1)
    for i in range(1, layers + 1):
        h = F.linear(h, params[f"W{i}"].T, params[f"b{i}"])
        if i < layers:
            h = F.relu(h)
    data = F.cross_entropy(h, torch.as_tensor(y))
    return data + 0.5 * reg * sum((params[f"W{i}"] ** 2).sum() for i in range(1, layers + 1))


#: Smallest |pre-activation| allowed in the finite-difference claim. A step h = 1e-5 of one
#: parameter moves a pre-activation by at most h·max|input| (inputs ≲ 5 here), far below it,
#: so no centered difference straddles a kink.
MARGIN = 1e-3


def _away_from_kinks(net, X: np.ndarray, rng) -> None:
    """Give the net random biases, redrawn until every hidden pre-activation is at least
    :data:`MARGIN` from 0. With the initial zero biases, an input whose first-layer units are
    all dead puts the next layer exactly at the kink (b = 0): about 1 sample in 2⁶ for fc_net."""
    layers = len(net.params) // 2
    for _ in range(1000):
        for i in range(1, layers + 1):
            net.params[f"b{i}"] = 0.5 * rng.standard_normal(net.params[f"b{i}"].shape)
        h, smallest = X.reshape(X.shape[0], -1), np.inf
        for i in range(1, layers):
            h = h @ net.params[f"W{i}"] + net.params[f"b{i}"]
            smallest = min(smallest, float(np.min(np.abs(h))))
            h = np.maximum(h, 0.0)
        if smallest >= MARGIN:
            return
    raise RuntimeError("no biases keep the pre-activations away from 0")  # p < 0.1**1000


def _run(name: str, candidate, reg: float, seed: int, kink: bool = False):
    cls, build, x_shape, classes = NETS[name]
    net = build(candidate, reg, seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal(x_shape)
    if kink:
        # A zero input row meets zero biases: every hidden pre-activation of that row is
        # exactly 0, ReLU's kink, where torch's ReLU′(0) = 0 is the convention checked.
        X[0] = 0.0
    else:
        _away_from_kinks(net, X, rng)
    y = rng.integers(0, classes, x_shape[0])
    loss, grads = net.loss(X, y)
    params = {k: np.array(v, dtype=np.float64) for k, v in net.params.items()}
    return net, X, y, float(loss), grads, params


def _shape_trouble(params, grads) -> str | None:
    for k, v in params.items():
        if k not in grads:
            return f"no gradient for {k}"
        if np.shape(grads[k]) != v.shape:
            return f"grads[{k!r}] has shape {np.shape(grads[k])} but {k} has shape {v.shape}"
    return None


def _check(name: str, method: str):
    cid = f"layers.{name}.{'autograd' if method == 'autograd' else 'finite_difference'}"

    def check(candidate, seed):
        worst_ratio, worst_msg, n, error, tol_used = 0.0, "", 0, 0.0, 0.0
        witness = None
        for reg in REGS:
            try:
                net, X, y, loss, grads, params = _run(
                    name, candidate, reg, seed, kink=method == "autograd"
                )
            except (ValueError, TypeError, IndexError) as exc:
                return Evidence(
                    cid,
                    method,
                    False,
                    message=f"reg={reg}: the network raised {type(exc).__name__}: {exc}",
                    witness=Witness({"reg": reg}, f"raised {type(exc).__name__}", "a loss"),
                )
            trouble = _shape_trouble(params, grads)
            if trouble:
                return Evidence(
                    cid,
                    method,
                    False,
                    error=float("inf"),
                    message=f"reg={reg}: {trouble}",
                    witness=Witness({"reg": reg}, trouble, "gradients with the params' shapes"),
                )
            tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
            t_loss = torch_loss(tensors, X, y, reg)
            t_value = float(t_loss.detach())
            if method == "autograd":
                t_loss.backward()
                reference = {k: t.grad.numpy() for k, t in tensors.items()}
                size = max(1.0, max(float(np.max(np.abs(g))) for g in reference.values()))
                tol = RTOL * size
            else:

                def f(p, X=X, y=y, reg=reg):
                    with torch.no_grad():
                        return float(
                            torch_loss({k: torch.as_tensor(v) for k, v in p.items()}, X, y, reg)
                        )

                reference = centered_difference(f, params)
                # f sums terms of the size of the loss; see verify.gradcheck.tolerance.
                tol = tolerance(max(1.0, abs(t_value)))
            checks = {"loss": abs(loss - t_value)}
            checks |= {f"d{k}": float(np.max(np.abs(grads[k] - reference[k]))) for k in params}
            n += sum(v.size for v in params.values())
            for what, gap in checks.items():
                ratio = gap / tol if np.isfinite(gap) else np.inf
                if ratio > worst_ratio or not worst_msg:
                    worst_ratio, error, tol_used = ratio, gap, tol
                    rel = (
                        relative_error(grads[what[1:]], reference[what[1:]])
                        if what != "loss"
                        else gap
                    )
                    worst_msg = f"{what} at reg={reg}: gap {gap:.3g} (relative {rel:.2g})"
                    witness = (
                        Witness({"reg": reg, "value": "loss"}, loss, t_value)
                        if what == "loss"
                        else worst_entry(
                            grads[what[1:]], reference[what[1:]], {"reg": reg, "gradient": what}
                        )
                    )
        passed = worst_ratio <= 1.0
        ref = "torch autograd" if method == "autograd" else "centered differences of torch's loss"
        message = (
            f"loss and every gradient agree with {ref} at reg = {REGS}; largest: {worst_msg}"
            if passed
            else f"differs from {ref}: {worst_msg}"
        )
        return Evidence(
            cid,
            method,
            passed,
            error=error,
            tolerance=tol_used,
            n=n,
            message=message,
            witness=witness,
        )

    return check


def _declare():
    for name in NETS:
        cls = NETS[name][0]
        claim(
            f"layers.{name}.autograd",
            f"{name}: loss and gradients (data loss + 0.5·reg·Σ‖W‖²) equal torch autograd's, "
            "with and without regularization",
            method="autograd",
            answer="implementation",
            derived=lambda c=cls: c,
        )(_check(name, "autograd"))
        claim(
            f"layers.{name}.finite_difference",
            f"{name}: gradients equal centered differences of torch's loss, with and without "
            "regularization",
            method="finite-difference",
            answer="implementation",
            derived=lambda c=cls: c,
        )(_check(name, "finite-difference"))


_declare()
