"""FGSM, PGD and MIM on a torch model, in pixel space, with the courses' defaults.

Every attack takes a model (any callable from a batch of inputs to logits), inputs ``x`` of
shape ``(batch, …)`` with pixels in ``[0, 1]`` (normalize *inside* the model: an ε applied to
inputs already normalized to ``[−1, 1]`` moves pixels by ε/2 only), labels ``y`` of shape
``(batch,)``, and returns the adversarial inputs, detached. The loss is the summed
cross-entropy by default; norms and steps are per example.

>>> import torch
>>> model = torch.nn.Linear(4, 3).double()
>>> x = torch.full((2, 4), 0.5, dtype=torch.float64)
>>> x_adv = pgd(model, x, torch.tensor([0, 2]))
>>> bool((x_adv - x).abs().max() <= EPSILON + 1e-12)
True
"""

from __future__ import annotations

import math

import torch

from derivations import arguments as arg
from derivations.robustness import EPSILON, STEP, STEPS, norm_order


def _inputs(model, x, y, clip):
    if not callable(model):
        raise TypeError(
            f"model: a callable (a torch.nn.Module) is required, got {arg.shown(model)}"
        )
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x: a floating-point torch tensor is required, got {arg.shown(x)}")
    if x.ndim < 2:
        raise ValueError(
            f"x: a batch of shape (batch, ...) is required, got shape {tuple(x.shape)}"
        )
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"y: a torch tensor of labels is required, got {arg.shown(y)}")
    if y.shape[:1] != x.shape[:1] or y.ndim != 1:
        raise ValueError(
            f"y: one label per example is required, shape ({x.shape[0]},) for x of shape "
            f"{tuple(x.shape)}, got shape {tuple(y.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError("x: finite entries are required")
    if clip is not None:
        low, high = clip
        if float(x.min()) < low or float(x.max()) > high:
            raise ValueError(
                f"x: pixel values in [{low:g}, {high:g}] are required (attack in pixel space and "
                f"normalize inside the model), got {float(x.min()):g} to {float(x.max()):g}"
            )
    return x.detach()


def _clip_range(clip):
    if clip is None:
        return None
    if not isinstance(clip, tuple) or len(clip) != 2:
        raise TypeError(f"clip: a pair (low, high) or None is required, got {arg.shown(clip)}")
    low, high = arg.real(clip[0], "clip[0]"), arg.real(clip[1], "clip[1]")
    if not low < high:
        raise ValueError(f"clip: low < high is required, got {clip!r}")
    return low, high


def input_gradient(model, x, y, loss=None) -> torch.Tensor:
    """``∇_x`` of the summed loss (cross-entropy by default) at ``x``, by autograd.

    >>> model = torch.nn.Linear(2, 2, bias=False).double()
    >>> with torch.no_grad():
    ...     input_gradient(model, torch.zeros(1, 2, dtype=torch.float64), torch.tensor([0])).shape
    torch.Size([1, 2])
    """
    x = _inputs(model, x, y, None)
    # an evaluation loop often runs under torch.no_grad(); the attack needs its gradient anyway
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        value = (loss or _cross_entropy)(model(x), y)
        (grad,) = torch.autograd.grad(value, x)
    return grad


def _cross_entropy(logits, y):
    return torch.nn.functional.cross_entropy(logits, y, reduction="sum")


def _per_example(t: torch.Tensor, order: float) -> torch.Tensor:
    """The ``order``-norm of each example, shaped to broadcast against ``t``."""
    norms = torch.linalg.vector_norm(t.flatten(1), ord=order, dim=1)
    return norms.view(-1, *([1] * (t.ndim - 1)))


def _step(grad: torch.Tensor, alpha: float, p: float) -> torch.Tensor:
    if math.isinf(p):
        return alpha * grad.sign()
    norms = _per_example(grad, 2)
    # a zero gradient has no direction: that example does not move
    return alpha * grad / torch.where(norms > 0, norms, torch.ones_like(norms))


def _project(x_adv, x, eps, p, clip):
    delta = x_adv - x
    if math.isinf(p):
        delta = delta.clamp(-eps, eps)
    else:
        norms = _per_example(delta, 2)
        delta = delta * torch.where(norms > eps, eps / norms, torch.ones_like(norms))
    out = x + delta
    return out if clip is None else out.clamp(*clip)


def _settings(eps, alpha, steps, p):
    eps = arg.non_negative(eps, "eps")
    alpha = arg.non_negative(alpha, "alpha")
    steps = arg.non_negative_int(steps, "steps")
    p = norm_order(p)
    if p != 2 and not math.isinf(p):
        raise ValueError(f"p: 2 or math.inf is required for the iterative attacks, got {p!r}")
    return eps, alpha, steps, p


def fgsm(model, x, y, eps=EPSILON, *, loss=None, clip=(0.0, 1.0)) -> torch.Tensor:
    """One step to the corner of the L∞ ball that maximizes the linearized loss:
    ``clip(x + ε sign ∇_x L, 0, 1)`` (Goodfellow et al. 2015). ``clip=None`` for inputs that
    are not pixels.

    >>> model = torch.nn.Linear(2, 2, bias=False).double()
    >>> _ = model.weight.data.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
    >>> fgsm(model, torch.tensor([[0.5, 0.5]], dtype=torch.float64), torch.tensor([0]), 0.1)
    tensor([[0.4000, 0.6000]], dtype=torch.float64)
    """
    clip = _clip_range(clip)
    x = _inputs(model, x, y, clip)
    eps = arg.non_negative(eps, "eps")
    out = x + eps * input_gradient(model, x, y, loss).sign()
    return out if clip is None else out.clamp(*clip)


def pgd(
    model,
    x,
    y,
    eps=EPSILON,
    alpha=STEP,
    steps=STEPS,
    *,
    p=math.inf,
    random_start=False,
    generator=None,
    loss=None,
    clip=(0.0, 1.0),
) -> torch.Tensor:
    """Projected gradient ascent (Madry et al. 2018): ``steps`` steps ``x ← Π(x + α s)`` with
    ``s = sign ∇L`` (``p = ∞``; BIM without a random start) or ``∇L/‖∇L‖₂`` (``p = 2``), ``Π``
    the projection onto the ε-ball around the clean ``x`` followed by the clip to the pixels.

    The defaults are the courses': ε = 0.0313, 20 steps of 0.002. ``random_start`` starts from a
    uniform point of the L∞ cube (or of the L2 ball) drawn with ``generator``.

    >>> model = torch.nn.Linear(3, 2).double()
    >>> pgd(model, torch.zeros(1, 3, dtype=torch.float64), torch.tensor([1]), steps=0)
    tensor([[0., 0., 0.]], dtype=torch.float64)
    """
    clip = _clip_range(clip)
    x = _inputs(model, x, y, clip)
    eps, alpha, steps, p = _settings(eps, alpha, steps, p)
    x_adv = x.clone()
    if random_start:
        x_adv = _project(x + _random_start(x, eps, p, generator), x, eps, p, clip)
    for _ in range(steps):
        x_adv = _project(
            x_adv + _step(input_gradient(model, x_adv, y, loss), alpha, p), x, eps, p, clip
        )
    return x_adv


def _random_start(x, eps, p, generator):
    if math.isinf(p):
        return (2 * torch.rand(x.shape, generator=generator, dtype=x.dtype) - 1) * eps
    direction = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    direction = direction / _per_example(direction, 2)
    size = x[0].numel()
    radius = torch.rand((x.shape[0],), generator=generator, dtype=x.dtype) ** (1 / size)
    return eps * radius.view(-1, *([1] * (x.ndim - 1))) * direction


def mim(
    model,
    x,
    y,
    eps=EPSILON,
    alpha=STEP,
    steps=STEPS,
    *,
    mu=1.0,
    loss=None,
    clip=(0.0, 1.0),
) -> torch.Tensor:
    """The momentum iterative method (Dong et al. 2018) under L∞:
    ``m ← μ m + ∇L/‖∇L‖₁`` (per example), ``x ← Π(x + α sign m)``. With ``μ = 0`` it is BIM,
    :func:`pgd` without a random start.

    >>> model = torch.nn.Linear(3, 2).double()
    >>> x, y = torch.full((2, 3), 0.5, dtype=torch.float64), torch.tensor([0, 1])
    >>> bool(torch.equal(mim(model, x, y, mu=0.0), pgd(model, x, y)))
    True
    """
    clip = _clip_range(clip)
    x = _inputs(model, x, y, clip)
    eps, alpha, steps, _ = _settings(eps, alpha, steps, math.inf)
    mu = arg.non_negative(mu, "mu")
    x_adv, momentum = x.clone(), torch.zeros_like(x)
    for _ in range(steps):
        grad = input_gradient(model, x_adv, y, loss)
        l1 = _per_example(grad, 1)
        momentum = mu * momentum + grad / torch.where(l1 > 0, l1, torch.ones_like(l1))
        x_adv = _project(x_adv + alpha * momentum.sign(), x, eps, math.inf, clip)
    return x_adv


__all__ = ["fgsm", "pgd", "mim", "input_gradient", "EPSILON", "STEP", "STEPS"]
