"""Claims about the layers: every backward pass against torch, twice over.

For each layer there are two claims, both fed with the layer's backward (or a candidate
function with the same signature ``(dout, cache) -> gradients``) on the cache of our forward:

- ``layers.<name>.autograd``: our forward equals torch's own op (``F.linear``, ``F.relu``,
  ``F.cross_entropy``, ``F.conv2d``, ``F.max_pool2d``, ``F.batch_norm(training=True)``,
  dropout as a product with a fixed mask), and the gradients equal torch autograd's;
- ``layers.<name>.finite_difference``: the gradients equal centered differences, coordinate by
  coordinate, of ``L = Σ dout ⊙ out`` computed by that same torch op (no autograd).

The two networks get the same pair of claims, with and without L2 regularization; there the
candidate is a network class. The measured side never calls :mod:`derivations.layers`.

>>> get("layers.relu.autograd").check().passed
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from derivations import layers as L
from verify.claims import Evidence, claim, get  # noqa: F401 - get for doctests
from verify.evidence import Witness, worst_entry
from verify.gradcheck import centered_difference, relative_error, tolerance
from verify.lazy import F, torch

EPS = float(np.finfo(np.float64).eps)
# Both sides add the same products in different orders. A sum of n products, each at most m in
# size, is computed to within about n·eps·(n·m) in any order; here n ≤ 108 and m ≲ 10, so two
# orders differ by ≲ 3e-11 at worst (far less in practice: errors add like √n). We allow 1e-10
# of the largest reference entry; every wrong backward we test is off by more than 1e-2 of it.
AUTOGRAD_RTOL = 1e-10
BN_EPS = 1e-5


def _t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


@dataclass(frozen=True)
class LayerCase:
    """One layer under test: how to draw its inputs, run ours, and run torch's."""

    name: str
    grads: tuple[str, ...]  # the inputs the backward returns gradients for, in order
    draw: Callable  # rng -> dict of inputs (arrays and settings)
    forward: Callable  # inputs -> (out, cache) with derivations.layers
    backward: Callable  # (dout, cache) -> tuple of gradients (derived)
    torch_forward: Callable  # inputs (tensors for the arrays in `grads`) -> out tensor
    op: str  # torch's op, for messages
    #: How a candidate replaces the derived pass: None means it is a backward
    #: ``(dout, cache) -> gradients``; else ``(candidate, inputs) -> (out, cache, backward)``.
    adapt: Callable | None = None
    #: What a candidate is when none is given: the derived backward, or for an adapted case
    #: the derived function that ``adapt`` takes.
    derived: Callable | None = None
    #: Magnitude of the terms f = Σ dout·out adds up (sets the finite-difference tolerance).
    scale: Callable = lambda inputs, dout, out: max(1.0, float(np.sum(np.abs(dout * out))))


def _away_from_zero(rng, shape, gap=0.05):
    """Normal draws pushed at least ``gap`` from 0: no ReLU kink within any step h."""
    z = rng.standard_normal(shape)
    return z + np.sign(z) * gap


def _spread(rng, shape):
    """Distinct values at least 0.05 apart in random order: no max-pool tie within h."""
    return rng.permutation(np.arange(np.prod(shape)) * 0.05 - 1.0).reshape(shape)


def _stiff_scores(rng):
    """Scores with one row near 800, where e^x overflows float64: a naive softmax fails."""
    x = rng.standard_normal((5, 4))
    x[0] += 800.0
    return x


def _softmax_pass(fn, inputs):
    """(loss, cache, backward) from a softmax-loss function ``(x, y) -> (loss, dx)``."""
    loss, dx = fn(inputs["x"], inputs["y"])
    return (
        np.asarray(loss, dtype=np.float64),
        (inputs["x"], np.asarray(dx)),
        (lambda dout, cache: (float(dout) * cache[1],)),
    )


CONV = {"stride": 2, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}
DROP_P = 0.4


def _keep(rng_seed, shape):
    # The raw procedure: a unit is kept when its uniform draw is at least p.
    return np.random.default_rng(rng_seed).random(shape) >= DROP_P


CASES = {
    c.name: c
    for c in [
        LayerCase(
            "affine",
            ("x", "w", "b"),
            lambda r: {
                "x": r.standard_normal((4, 2, 3)),
                "w": r.standard_normal((6, 5)),
                "b": r.standard_normal(5),
            },
            lambda i: L.affine_forward(i["x"], i["w"], i["b"]),
            L.affine_backward,
            lambda t: F.linear(t["x"].reshape(t["x"].shape[0], -1), t["w"].T, t["b"]),
            "F.linear",
        ),
        LayerCase(
            "relu",
            ("x",),
            lambda r: {"x": _away_from_zero(r, (5, 6))},
            lambda i: L.relu_forward(i["x"]),
            lambda dout, cache: (L.relu_backward(dout, cache),),
            lambda t: F.relu(t["x"]),
            "F.relu",
        ),
        LayerCase(
            "softmax_loss",
            ("x",),
            lambda r: {"x": _stiff_scores(r), "y": r.integers(0, 4, 5)},
            lambda i: _softmax_pass(L.softmax_loss, i)[:2],
            lambda dout, cache: (float(dout) * cache[1],),
            lambda t: F.cross_entropy(t["x"], torch.as_tensor(t["y"])),
            "F.cross_entropy",
            adapt=lambda candidate, i: _softmax_pass(candidate, i),
            derived=lambda: L.softmax_loss,
            # Rounding of x ± h itself is relative to |x| (scores up to 800 here).
            scale=lambda i, dout, out: max(
                1.0, abs(float(dout)) * (abs(float(out)) + float(np.max(np.abs(i["x"]))))
            ),
        ),
        LayerCase(
            "conv",
            ("x", "w", "b"),
            lambda r: {
                "x": r.standard_normal((2, 2, 5, 5)),
                "w": r.standard_normal((4, 2, 3, 3)),
                "b": r.standard_normal(4),
            },
            lambda i: L.conv_forward(i["x"], i["w"], i["b"], CONV),
            L.conv_backward,
            lambda t: F.conv2d(t["x"], t["w"], t["b"], stride=CONV["stride"], padding=CONV["pad"]),
            "F.conv2d",
        ),
        LayerCase(
            "max_pool",
            ("x",),
            lambda r: {"x": _spread(r, (2, 2, 6, 6))},
            lambda i: L.max_pool_forward(i["x"], POOL),
            lambda dout, cache: (L.max_pool_backward(dout, cache),),
            lambda t: F.max_pool2d(t["x"], POOL["pool_height"], POOL["stride"]),
            "F.max_pool2d",
        ),
        LayerCase(
            "batchnorm",
            ("x", "gamma", "beta"),
            lambda r: {
                "x": 2 * r.standard_normal((6, 4)) + 1,
                "gamma": r.standard_normal(4),
                "beta": r.standard_normal(4),
            },
            lambda i: L.batchnorm_forward(i["x"], i["gamma"], i["beta"], {"eps": BN_EPS}),
            L.batchnorm_backward,
            lambda t: F.batch_norm(
                t["x"], None, None, t["gamma"], t["beta"], training=True, eps=BN_EPS
            ),
            "F.batch_norm(training=True)",
        ),
        LayerCase(
            "spatial_batchnorm",
            ("x", "gamma", "beta"),
            lambda r: {
                "x": r.standard_normal((3, 2, 4, 4)) - 0.5,
                "gamma": r.standard_normal(2),
                "beta": r.standard_normal(2),
            },
            lambda i: L.spatial_batchnorm_forward(i["x"], i["gamma"], i["beta"], {"eps": BN_EPS}),
            L.spatial_batchnorm_backward,
            lambda t: F.batch_norm(
                t["x"], None, None, t["gamma"], t["beta"], training=True, eps=BN_EPS
            ),
            "F.batch_norm(training=True) on (N, C, H, W)",
        ),
        LayerCase(
            "dropout",
            ("x",),
            lambda r: {"x": r.standard_normal((5, 6)), "seed": int(r.integers(2**31))},
            lambda i: L.dropout_forward(i["x"], {"p": DROP_P, "mode": "train", "seed": i["seed"]}),
            lambda dout, cache: (L.dropout_backward(dout, cache),),
            lambda t: t["x"] * _t(_keep(t["seed"], tuple(t["x"].shape))) / (1 - DROP_P),
            "x · mask / (1 - p) with the mask drawn from the same seed",
        ),
    ]
}


@dataclass
class LayerProblem:
    """A layer's gradient check as data: ``f(params) = Σ dout ⊙ torch_op(params)``, the
    parameters, the candidate's gradients (or the exception it raised), and ``f``'s scale."""

    f: Callable
    params: dict
    grads: dict | None
    error: str | None
    scale: float
    torch_grads: dict
    out_gap: float


def problem(name: str, candidate: Callable | None = None, *, seed: int = 0) -> LayerProblem:
    """Draw layer ``name``'s inputs, run our forward and ``candidate`` (default: the derived
    backward), and torch's op with autograd.

    >>> p = problem("affine")
    >>> sorted(p.params), p.grads["x"].shape
    (['b', 'w', 'x'], (4, 2, 3))
    """
    if name not in CASES:
        raise ValueError(f"name: unknown layer {name!r}; allowed: {', '.join(CASES)}")
    case = CASES[name]
    rng = np.random.default_rng(seed)
    inputs = case.draw(rng)
    settings = {k: v for k, v in inputs.items() if k not in case.grads}
    if candidate is None:
        candidate = case.derived() if case.derived is not None else case.backward
    backward = candidate
    try:
        if case.adapt is not None:
            out, cache, backward = case.adapt(candidate, inputs)
        else:
            out, cache = case.forward(inputs)
    except (ValueError, TypeError, IndexError, FloatingPointError) as exc:
        raise ValueError(f"candidate: its forward raised {type(exc).__name__}: {exc}") from exc
    dout = rng.standard_normal(np.shape(out))
    tensors = {k: _t(inputs[k], grad=True) for k in case.grads}
    t_out = case.torch_forward({**tensors, **settings})
    t_out.backward(_t(dout))
    torch_grads = {k: tensors[k].grad.numpy() for k in case.grads}
    out_gap = _gap(out, t_out.detach().numpy())

    def f(params):
        with torch.no_grad():
            value = case.torch_forward({**{k: _t(v) for k, v in params.items()}, **settings})
        return float(np.sum(dout * value.numpy()))

    scale = case.scale(inputs, dout, out)
    try:
        result = backward(dout, cache)
        result = result if isinstance(result, tuple) else (result,)
        grads = {
            k: np.asarray(g, dtype=np.float64) for k, g in zip(case.grads, result, strict=True)
        }
        error = None
    except (ValueError, TypeError, IndexError) as exc:
        grads, error = None, f"the backward raised {type(exc).__name__}: {exc}"
    params = {k: np.asarray(inputs[k], dtype=np.float64) for k in case.grads}
    return LayerProblem(f, params, grads, error, scale, torch_grads, out_gap)


def _gap(a, b) -> float:
    """Largest absolute difference; infinite when either side is not finite."""
    diff = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
    return float(np.max(np.where(np.isfinite(diff), diff, np.inf)))


def _shape_problem(params: dict, grads: dict) -> str | None:
    for k, v in params.items():
        if np.shape(grads[k]) != v.shape:
            return f"d{k} has shape {np.shape(grads[k])} but {k} has shape {v.shape}"
    return None


def _fault(trouble) -> Witness:
    """The witness of a candidate that could not be compared entry by entry."""
    return Witness({}, str(trouble), "gradients with the inputs' shapes")


def _autograd_check(name: str):
    case = CASES[name]

    def check(candidate, seed):
        cid = f"layers.{name}.autograd"
        try:
            p = problem(name, candidate, seed=seed)
        except ValueError as exc:
            return Evidence(
                cid, "autograd", False, error=float("inf"), message=str(exc), witness=_fault(exc)
            )
        trouble = p.error or _shape_problem(p.params, p.grads)
        ref_size = max(1.0, max(float(np.max(np.abs(g))) for g in p.torch_grads.values()))
        tol = AUTOGRAD_RTOL * ref_size
        if trouble:
            return Evidence(
                cid,
                "autograd",
                False,
                error=float("inf"),
                tolerance=tol,
                message=trouble,
                witness=_fault(trouble),
            )
        gaps = {k: _gap(p.grads[k], p.torch_grads[k]) for k in case.grads}
        worst = max(gaps, key=gaps.get)
        passed = gaps[worst] <= tol and p.out_gap <= tol
        n = sum(g.size for g in p.grads.values())
        if passed:
            message = (
                f"forward and gradients ({', '.join('d' + k for k in case.grads)}) agree with "
                f"torch autograd of {case.op}; largest gap {gaps[worst]:.2g} (in d{worst})"
            )
        elif p.out_gap > tol:
            message = f"the forward differs from {case.op} by {p.out_gap:.3g}"
        else:
            message = f"d{worst} differs from torch autograd of {case.op} by {gaps[worst]:.3g}"
        return Evidence(
            cid,
            "autograd",
            passed,
            expected=f"autograd of {case.op}",
            measured="candidate backward",
            error=max(gaps[worst], p.out_gap),
            tolerance=tol,
            n=n,
            message=message,
            details=gaps,
            witness=worst_entry(p.grads[worst], p.torch_grads[worst], {"gradient": f"d{worst}"}),
        )

    return check


def _fd_check(name: str):
    case = CASES[name]

    def check(candidate, seed):
        cid = f"layers.{name}.finite_difference"
        try:
            p = problem(name, candidate, seed=seed)
        except ValueError as exc:
            return Evidence(
                cid,
                "finite-difference",
                False,
                error=float("inf"),
                message=str(exc),
                witness=_fault(exc),
            )
        # Each coordinate's centered difference is off by at most F (c·eps/h + h²), F the
        # magnitude of the summed terms (verify.gradcheck.tolerance).
        tol = tolerance(p.scale)
        trouble = p.error or _shape_problem(p.params, p.grads)
        if trouble:
            return Evidence(
                cid,
                "finite-difference",
                False,
                error=float("inf"),
                tolerance=tol,
                message=trouble,
                witness=_fault(trouble),
            )
        numeric = centered_difference(p.f, p.params)
        gaps = {k: _gap(p.grads[k], numeric[k]) for k in case.grads}
        worst = max(gaps, key=gaps.get)
        rel = max(relative_error(p.grads[k], numeric[k]) for k in case.grads)
        n = sum(g.size for g in numeric.values())
        out_tol = AUTOGRAD_RTOL * max(1.0, float(np.max(np.abs(p.params[case.grads[0]]))))
        if p.out_gap > out_tol:
            return Evidence(
                cid,
                "finite-difference",
                False,
                error=p.out_gap,
                tolerance=out_tol,
                message=f"the forward differs from {case.op} by {p.out_gap:.3g}",
                witness=_fault(f"a forward {p.out_gap:.3g} away from {case.op}"),
            )
        passed = gaps[worst] <= tol
        message = (
            f"{n} centered differences of Σ dout·{case.op} agree (relative error {rel:.2g})"
            if passed
            else f"d{worst} differs from the centered differences by {gaps[worst]:.3g} "
            f"(relative error {rel:.2g})"
        )
        return Evidence(
            cid,
            "finite-difference",
            passed,
            error=gaps[worst],
            tolerance=tol,
            n=n,
            witness=worst_entry(p.grads[worst], numeric[worst], {"gradient": f"d{worst}"}),
            message=message,
            details={"relative_error": rel, **gaps},
        )

    return check


def _declare():
    for name, case in CASES.items():
        default = case.derived or (lambda b=case.backward: b)
        claim(
            f"layers.{name}.autograd",
            f"{name}: the derived backward equals torch autograd of {case.op}",
            method="autograd",
            answer="implementation",
            derived=default,
        )(_autograd_check(name))
        claim(
            f"layers.{name}.finite_difference",
            f"{name}: the derived backward equals centered differences of {case.op}",
            method="finite-difference",
            answer="implementation",
            derived=default,
        )(_fd_check(name))


_declare()
