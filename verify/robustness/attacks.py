"""FGSM, PGD and MIM against torch autograd of small ``torch.nn`` models and the iterations
written out here with ``torch.clamp``; the [−1, 1] normalization pitfall, measured.

>>> model, x, y = linear_model()
>>> tuple(model(x).shape)
(6, 2)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from derivations import robustness as rb
from verify.claims import Evidence, Witness
from verify.evidence import worst_entry
from verify.lazy import lazy, torch
from verify.robustness.optima import FEASIBLE_RTOL

mc = lazy("verify.montecarlo")
optimize = lazy("scipy.optimize")


# --- a small torch model ------------------------------------------------------------------------
@lru_cache
def small_cnn():
    """A small float64 ReLU CNN from ``torch.nn`` (torch's default initialization, fixed by its
    seed), and a batch it is attacked on. Its ReLUs switch inside the ε-ball, so the gradient's
    signs change along PGD's path and a mis-normalized momentum shows.

    ``ZeroPad2d(-1)`` crops the border, so the loss ignores those pixels: their gradient is
    exactly 0, where FGSM's ``sign(0) = 0`` leaves them. The images hold exact 0s and 1s, where
    the clip to ``[0, 1]`` matters.

    >>> model, x, y = small_cnn()
    >>> tuple(x.shape), float(x.min()), float(x.max())
    ((8, 1, 8, 8), 0.0, 1.0)
    """
    nn = torch.nn
    with torch.random.fork_rng():
        torch.manual_seed(16)
        model = nn.Sequential(
            nn.ZeroPad2d(-1),
            nn.Conv2d(1, 8, 3),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32, 3),
        ).double()
    gen = torch.Generator().manual_seed(1616)
    x = torch.rand(8, 1, 8, 8, generator=gen, dtype=torch.float64)
    x[:, :, 2, :] = 0.0  # a dark row inside the crop
    x[:, :, 5, 2:6] = 1.0  # a bright stroke
    x[:, :, 3, 3] = 0.99
    y = torch.randint(0, 3, (8,), generator=gen)
    return model, x, y


def _losses(model, x, y):
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(model(x), y, reduction="none")


def _gradient(model, x, y):
    x = x.detach().clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(x), y, reduction="sum")
    return torch.autograd.grad(loss, x)[0]


def _reference_iterates(model, x, y, eps, alpha, steps, mu=None):
    """BIM (``mu=None``) or MIM, written out with ``torch.clamp``."""
    x_adv, m = x.clone(), torch.zeros_like(x)
    for _ in range(steps):
        g = _gradient(model, x_adv, y)
        if mu is None:
            direction = g.sign()
        else:
            l1 = (
                g.abs().sum(dim=(1, 2, 3), keepdim=True)
                if g.ndim == 4
                else g.abs().sum(1, keepdim=True)
            )
            m = mu * m + g / l1
            direction = m.sign()
        x_adv = torch.clamp(torch.clamp(x_adv + alpha * direction, x - eps, x + eps), 0.0, 1.0)
    return x_adv


def _compare(got, ref, point, what, tol=1e-12):
    got_a = np.asarray(got.detach().numpy() if hasattr(got, "detach") else got, dtype=np.float64)
    ref_a = ref.detach().numpy()
    w = worst_entry(got_a, ref_a, point)
    err = math.inf if got_a.shape != ref_a.shape else float(np.max(np.abs(got_a - ref_a)))
    return err <= tol, err, w


def _fgsm_check(candidate, seed):
    model, x, y = small_cnn()
    eps = rb.EPSILON
    ref = torch.clamp(x + eps * _gradient(model, x, y).sign(), 0.0, 1.0)
    got = candidate(model, x.clone(), y, eps)
    ok, err, w = _compare(got, ref, {"model": "small_cnn", "eps": eps}, "x_adv")
    return Evidence(
        passed=ok,
        error=err,
        tolerance=1e-12,
        witness=w,
        expected=w.reference,
        measured=w.candidate,
        n=x.numel(),
        message=f"largest difference from clip(x + ε sign ∇_x L, 0, 1) by autograd: {err:.2g}",
    )


def _feasible(got, x, eps, point):
    gap = float((got - x).abs().max())
    if gap > eps * (1 + FEASIBLE_RTOL):
        return Evidence(
            passed=False,
            expected=eps,
            measured=gap,
            message=f"left the ball: ‖x_adv − x‖_∞ = {gap:.6g} > ε = {eps:g}",
            witness=Witness({**point, "quantity": "‖x_adv − x‖_∞"}, gap, eps),
        )
    low, high = float(got.min()), float(got.max())
    if low < 0 or high > 1:
        bad = low if low < 0 else high
        return Evidence(
            passed=False,
            expected=(0.0, 1.0),
            measured=bad,
            message=f"left the pixel box [0, 1]: a pixel at {bad:.6g}",
            witness=Witness({**point, "quantity": "pixel"}, bad, 0.0 if low < 0 else 1.0),
        )
    return None


def _pgd_check(candidate, seed):
    model, x, y = small_cnn()
    eps, alpha, steps = rb.EPSILON, rb.STEP, rb.STEPS
    point = {"model": "small_cnn", "eps": eps, "alpha": alpha, "steps": steps}
    got = candidate(model, x.clone(), y, eps, alpha, steps).detach()
    bad = _feasible(got, x, eps, point)
    if bad is not None:
        return bad
    fgsm_x = torch.clamp(x + eps * _gradient(model, x, y).sign(), 0.0, 1.0)
    loss_pgd, loss_fgsm = _losses(model, got, y), _losses(model, fgsm_x, y)
    i = int(torch.argmin(loss_pgd - loss_fgsm))
    if float(loss_pgd[i]) < float(loss_fgsm[i]) - 1e-12:
        return Evidence(
            passed=False,
            expected=float(loss_fgsm[i]),
            measured=float(loss_pgd[i]),
            message=f"example {i}: PGD's loss {float(loss_pgd[i]):.6g} below FGSM's {float(loss_fgsm[i]):.6g}",
            witness=Witness({**point, "example": i}, float(loss_pgd[i]), float(loss_fgsm[i])),
        )
    ok, err, w = _compare(got, _reference_iterates(model, x, y, eps, alpha, steps), point, "x_adv")
    margin = float((loss_pgd - loss_fgsm).min())
    return Evidence(
        passed=ok,
        error=err,
        tolerance=1e-12,
        witness=w,
        expected=w.reference,
        measured=w.candidate,
        n=x.shape[0],
        message=(
            f"inside the ball and [0, 1]; loss − FGSM's loss ≥ {margin:.3g} on every "
            f"example; largest difference from the iteration: {err:.2g}"
            if ok
            else f"differs from x ← clip(x + α sign ∇L) into the ball and [0, 1] by {err:.2g}"
        ),
    )


@lru_cache
def linear_model():
    """A two-class ``torch.nn.Linear`` (its logit gap is linear in ``x``) and a batch of pixels.

    >>> model, x, y = linear_model()
    >>> tuple(x.shape)
    (6, 10)
    """
    with torch.random.fork_rng():
        torch.manual_seed(61)
        model = torch.nn.Linear(10, 2).double()
    gen = torch.Generator().manual_seed(6161)
    x = torch.rand(6, 10, generator=gen, dtype=torch.float64)
    x[:, 0], x[:, 1] = 0.0, 1.0  # pixels where the clip binds
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    return model, x, y


def _pgd_linear_check(candidate, seed):
    model, x, y = linear_model()
    eps, alpha, steps = rb.EPSILON, rb.STEP, rb.STEPS
    point = {"model": "linear", "eps": eps, "alpha": alpha, "steps": steps}
    got = candidate(model, x.clone(), y, eps, alpha, steps).detach()
    bad = _feasible(got, x, eps, point)
    if bad is not None:
        return bad
    fgsm_x = torch.clamp(x + eps * _gradient(model, x, y).sign(), 0.0, 1.0)
    gain = _losses(model, got, y) - _losses(model, fgsm_x, y)
    i = int(torch.argmax(gain.abs()))
    ok = float(gain.abs().max()) <= 1e-12
    return Evidence(
        passed=ok,
        expected=float(_losses(model, fgsm_x, y)[i]),
        measured=float(_losses(model, got, y)[i]),
        error=float(gain.abs().max()),
        tolerance=1e-12,
        n=x.shape[0],
        message=f"PGD's loss − FGSM's loss: largest |gap| {float(gain.abs().max()):.2g} (example {i})",
        witness=Witness(
            {**point, "example": i},
            float(_losses(model, got, y)[i]),
            float(_losses(model, fgsm_x, y)[i]),
        ),
    )


#: Dong et al.'s decay factor.
MOMENTUM = 1.0


def _mim_check(candidate, seed):
    model, x, y = small_cnn()
    eps, alpha, steps = rb.EPSILON, rb.STEP, rb.STEPS
    for mu in (0.0, MOMENTUM):
        point = {"model": "small_cnn", "eps": eps, "alpha": alpha, "steps": steps, "mu": mu}
        got = candidate(model, x.clone(), y, eps, alpha, steps, mu=mu).detach()
        bad = _feasible(got, x, eps, point)
        if bad is not None:
            return bad
        # μ = 0 against BIM, μ > 0 against the momentum iteration written out here
        ref = _reference_iterates(model, x, y, eps, alpha, steps, mu=None if mu == 0 else mu)
        ok, err, w = _compare(got, ref, point, "x_adv")
        if not ok:
            return Evidence(
                passed=False,
                error=err,
                tolerance=1e-12,
                witness=w,
                expected=w.reference,
                measured=w.candidate,
                message=f"μ = {mu:g}: differs from {'BIM' if mu == 0 else 'MIM'} by {err:.2g}",
            )
    return Evidence(
        passed=True,
        error=err,
        tolerance=1e-12,
        witness=w,
        expected=w.reference,
        measured=w.candidate,
        message="μ = 0 is BIM and μ = 1 follows Dong et al.'s iteration",
    )


# --- the normalization pitfall -------------------------------------------------------------------
def _budget_check(candidate, seed):
    model, x, y = small_cnn()
    # the courses' pipeline: normalize to [−1, 1], attack there with ε, map the image back
    x_n = (x - 0.5) / 0.5
    x_n = x_n.detach().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(0.5 * x_n + 0.5), y, reduction="sum")
    (grad,) = torch.autograd.grad(loss, x_n)
    x_back = 0.5 * (x_n.detach() + rb.EPSILON * grad.sign()) + 0.5
    moved = float((x_back - x).abs().max())
    value = float(candidate)
    ok = abs(value - moved) <= 1e-12
    return Evidence(
        passed=ok,
        expected=value,
        measured=moved,
        error=abs(value - moved),
        tolerance=1e-12,
        message=f"an ε = {rb.EPSILON} step in [−1, 1] moves pixels by {moved:.6g}",
        witness=Witness({"eps": rb.EPSILON, "normalization": "(x − 0.5)/0.5"}, value, moved),
    )
