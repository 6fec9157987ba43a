"""Claims about the layers: every backward pass against torch, twice over.

For each layer there are two claims, both fed with the layer's backward (or a candidate
function with the same signature ``(dout, cache) -> gradients``) on the cache of our forward:

- ``layers.<name>.autograd``: our forward equals torch's own op (``F.linear``, ``F.relu``,
  ``F.cross_entropy``, ``F.conv2d``, ``F.max_pool2d``, ``F.batch_norm(training=True)``,
  dropout as a product with a fixed mask), and the gradients equal torch autograd's;
- ``layers.<name>.finite_difference``: the gradients equal centered differences, coordinate by
  coordinate, of ``L = Σ dout ⊙ out`` computed by that same torch op (no autograd).

Each layer is checked on several instances (:class:`Instance`): sizes that the stride does not
divide (torch floors the output to ``⌊(n + 2p − k)/s⌋ + 1``: a 13×55 map pooled 2×2 to 6×27, a
1×1 stride-2 shortcut on 64×64, a 3×3 stride-2 pad-1 convolution on 7×7 and 8×8), and inputs
**at the kinks**: ReLU inputs holding exact zeros (torch's ReLU′(0) = 0) and pooling windows
holding ties (torch's CPU kernel routes the gradient to the first maximum in row-major window
order). Kinks and ties are checked against autograd only: there the function has no
derivative, a centered difference returns the mean of the two one-sided slopes, and what is
checked is the convention, which only torch's own backward defines.

The two networks get the same pair of claims, with and without L2 regularization; there the
candidate is a network class. The measured side never calls :mod:`derivations.layers`.

>>> get("layers.relu.autograd").check().passed
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from derivations import arguments as arg
from derivations import layers as L
from verify.claims import Evidence, claim, get  # noqa: F401 - get for doctests
from verify.evidence import Witness, worst_entry
from verify.gradcheck import centered_difference, relative_error, tolerance
from verify.lazy import F, torch

EPS = float(np.finfo(np.float64).eps)
# Both sides add the same products in different orders. A sum of n products, each at most m in
# size, is computed to within about n·eps·(n·m) in any order. Most entries here sum n ≤ 108
# products with m ≲ 10: ≲ 3e-11 at worst. The largest sums are dw of the 64×64 stride-2
# shortcut: n = 32·32 = 1024 products of two standard normals (m ≈ 1), worst case
# n²·eps·m ≈ 2.3e-10, realistic (rounding errors add like a random walk) n·eps·m ≈ 2e-13,
# measured ≤ 6e-14; the largest such entry is ≳ √n·m = 32, so the tolerance below is ≳ 3e-9.
# We allow 1e-10 of the largest reference entry; every wrong backward we test is off by more
# than 1e-2 of it.
AUTOGRAD_RTOL = 1e-10
BN_EPS = 1e-5


def _t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


@dataclass(frozen=True)
class Instance:
    """One set of inputs for a layer: a label, how to draw them, and whether the
    finite-difference claim uses it (not where it holds kinks or ties, see the module
    docstring, nor where it is too large to difference coordinate by coordinate)."""

    label: str
    draw: Callable  # rng -> dict of inputs (arrays and settings)
    finite_difference: bool = True


@dataclass(frozen=True)
class LayerCase:
    """One layer under test: how to draw its inputs, run ours, and run torch's."""

    name: str
    grads: tuple[str, ...]  # the inputs the backward returns gradients for, in order
    instances: tuple[Instance, ...]  # the first is smooth: the default of :func:`problem`
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


def _with_zeros(rng, shape):
    """Normal draws with a third of the entries exactly 0.0 and a tenth −0.0: ReLU's kink."""
    x = rng.standard_normal(shape)
    x.flat[::3] = 0.0
    x.flat[1::10] = -0.0
    return x


def _tied(rng, shape):
    """Entries in {0, 1, 2}: nearly every pooling window holds a tie for its maximum."""
    return rng.integers(0, 3, shape).astype(np.float64)


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


DROP_P = 0.4


def _conv_draw(x_shape, w_shape, stride, pad):
    def draw(rng):
        return {
            "x": rng.standard_normal(x_shape),
            "w": rng.standard_normal(w_shape),
            "b": rng.standard_normal(w_shape[0]),
            "param": {"stride": stride, "pad": pad},
        }

    return draw


def _conv_instance(x_shape, w_shape, stride, pad, why="", finite_difference=True):
    (h, w), (hh, ww) = x_shape[2:], w_shape[2:]
    out = ((h + 2 * pad - hh) // stride + 1, (w + 2 * pad - ww) // stride + 1)
    label = f"{h}×{w}, {hh}×{ww} kernel, stride {stride}, pad {pad} → {out[0]}×{out[1]}{why}"
    return Instance(label, _conv_draw(x_shape, w_shape, stride, pad), finite_difference)


def _pool_instance(shape, ph, pw, stride, pad=0, values=_spread, why=""):
    h, w = shape[2:]
    out = ((h + 2 * pad - ph) // stride + 1, (w + 2 * pad - pw) // stride + 1)
    label = f"{h}×{w}, {ph}×{pw} window, stride {stride}, pad {pad} → {out[0]}×{out[1]}{why}"
    param = {"pool_height": ph, "pool_width": pw, "stride": stride, "pad": pad}
    return Instance(label, lambda r: {"x": values(r, shape), "param": param}, values is not _tied)


def _torch_pool(t):
    p = t["param"]
    return F.max_pool2d(t["x"], (p["pool_height"], p["pool_width"]), p["stride"], padding=p["pad"])


def _keep(rng_seed, shape):
    # The raw procedure: a unit is kept when its uniform draw is at least p.
    return np.random.default_rng(rng_seed).random(shape) >= DROP_P


CASES = {
    c.name: c
    for c in [
        LayerCase(
            "affine",
            ("x", "w", "b"),
            (
                Instance(
                    "x of shape (4, 2, 3) flattened to D = 6",
                    lambda r: {
                        "x": r.standard_normal((4, 2, 3)),
                        "w": r.standard_normal((6, 5)),
                        "b": r.standard_normal(5),
                    },
                ),
            ),
            lambda i: L.affine_forward(i["x"], i["w"], i["b"]),
            L.affine_backward,
            lambda t: F.linear(t["x"].reshape(t["x"].shape[0], -1), t["w"].T, t["b"]),
            "F.linear",
        ),
        LayerCase(
            "relu",
            ("x",),
            (
                Instance(
                    "5×6, every entry at least 0.05 from 0",
                    lambda r: {"x": _away_from_zero(r, (5, 6))},
                ),
                Instance(
                    "4×7 with exact zeros (0.0 and −0.0): the kink",
                    lambda r: {"x": _with_zeros(r, (4, 7))},
                    False,
                ),
            ),
            lambda i: L.relu_forward(i["x"]),
            lambda dout, cache: (L.relu_backward(dout, cache),),
            lambda t: F.relu(t["x"]),
            "F.relu",
        ),
        LayerCase(
            "softmax_loss",
            ("x",),
            (
                Instance(
                    "5×4 scores, one row near 800",
                    lambda r: {"x": _stiff_scores(r), "y": r.integers(0, 4, 5)},
                ),
            ),
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
            (
                _conv_instance((2, 2, 5, 5), (4, 2, 3, 3), 2, 1),
                _conv_instance((1, 2, 7, 7), (3, 2, 3, 3), 2, 1),
                _conv_instance(
                    (1, 2, 8, 8), (3, 2, 3, 3), 2, 1, ": floors, the last padded row unused"
                ),
                _conv_instance((2, 3, 10, 10), (2, 3, 1, 1), 2, 0, ": 1×1 shortcut, even size"),
                _conv_instance((2, 3, 9, 9), (2, 3, 1, 1), 2, 0, ": 1×1 shortcut, odd size"),
                _conv_instance((1, 3, 64, 64), (4, 3, 1, 1), 2, 0, ": 1×1 shortcut", False),
                _conv_instance((2, 3, 6, 9), (2, 3, 3, 2), 3, 1, ": non-square, floors in height"),
            ),
            lambda i: L.conv_forward(i["x"], i["w"], i["b"], i["param"]),
            L.conv_backward,
            lambda t: F.conv2d(
                t["x"], t["w"], t["b"], stride=t["param"]["stride"], padding=t["param"]["pad"]
            ),
            "F.conv2d",
        ),
        LayerCase(
            "max_pool",
            ("x",),
            (
                _pool_instance((2, 2, 6, 6), 2, 2, 2),
                _pool_instance(
                    (1, 2, 13, 55), 2, 2, 2, why=": floors (the gaze CNN's second pool)"
                ),
                _pool_instance((2, 2, 7, 8), 3, 3, 2, why=": overlapping windows"),
                _pool_instance((2, 2, 5, 6), 3, 2, 2, pad=1, why=": padded"),
                _pool_instance(
                    (1, 2, 13, 55), 2, 2, 2, values=_tied, why=", entries in {0, 1, 2}: ties"
                ),
                _pool_instance(
                    (2, 2, 7, 9), 3, 3, 2, pad=1, values=_tied, why=", entries in {0, 1, 2}: ties"
                ),
            ),
            lambda i: L.max_pool_forward(i["x"], i["param"]),
            lambda dout, cache: (L.max_pool_backward(dout, cache),),
            _torch_pool,
            "F.max_pool2d",
        ),
        LayerCase(
            "batchnorm",
            ("x", "gamma", "beta"),
            (
                Instance(
                    "6×4",
                    lambda r: {
                        "x": 2 * r.standard_normal((6, 4)) + 1,
                        "gamma": r.standard_normal(4),
                        "beta": r.standard_normal(4),
                    },
                ),
            ),
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
            (
                Instance(
                    "3×2×4×4",
                    lambda r: {
                        "x": r.standard_normal((3, 2, 4, 4)) - 0.5,
                        "gamma": r.standard_normal(2),
                        "beta": r.standard_normal(2),
                    },
                ),
            ),
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
            (
                Instance(
                    "5×6",
                    lambda r: {"x": r.standard_normal((5, 6)), "seed": int(r.integers(2**31))},
                ),
            ),
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
    instance: str = ""


def problem(
    name: str, candidate: Callable | None = None, *, seed: int = 0, instance: int = 0
) -> LayerProblem:
    """Draw layer ``name``'s inputs (its ``instance``-th :class:`Instance`; the first is
    smooth), run our forward and ``candidate`` (default: the derived backward), and torch's op
    with autograd.

    >>> p = problem("affine")
    >>> sorted(p.params), p.grads["x"].shape
    (['b', 'w', 'x'], (4, 2, 3))
    >>> problem("max_pool", instance=1).instance
    "13×55, 2×2 window, stride 2, pad 0 → 6×27: floors (the gaze CNN's second pool)"
    """
    if name not in CASES:
        raise ValueError(f"name: unknown layer {name!r}; allowed: {', '.join(CASES)}")
    case = CASES[name]
    count = len(case.instances)
    index = arg.integer(instance, "instance", minimum=0, maximum=count - 1)
    # Instance 0 draws from the seed itself, the others from (seed, index): independent draws.
    rng = np.random.default_rng(arg.seed(seed) if index == 0 else [arg.seed(seed), index])
    inputs = case.instances[index].draw(rng)
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
    label = case.instances[index].label
    return LayerProblem(f, params, grads, error, scale, torch_grads, out_gap, label)


def _gap(a, b) -> float:
    """Largest absolute difference; infinite when either side is not finite."""
    diff = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
    return float(np.max(np.where(np.isfinite(diff), diff, np.inf)))


def _shape_problem(params: dict, grads: dict) -> str | None:
    for k, v in params.items():
        if np.shape(grads[k]) != v.shape:
            return f"d{k} has shape {np.shape(grads[k])} but {k} has shape {v.shape}"
    return None


def _fault(trouble, instance: str = "") -> Witness:
    """The witness of a candidate that could not be compared entry by entry."""
    return Witness(
        {"instance": instance} if instance else {},
        str(trouble),
        "gradients with the inputs' shapes",
    )


def _failed(cid: str, method: str, message: str, instance: str, tol: float | None = None):
    return Evidence(
        cid,
        method,
        False,
        error=float("inf"),
        tolerance=tol,
        message=f"{instance}: {message}" if instance else message,
        witness=_fault(message, instance),
    )


def _worst(results):
    """The instance whose largest gap is the largest share of its tolerance."""
    return max(results, key=lambda r: r["gap"] / r["tol"] if r["tol"] > 0 else np.inf)


def _autograd_check(name: str):
    case = CASES[name]

    def check(candidate, seed):
        cid = f"layers.{name}.autograd"
        results, n = [], 0
        for index, inst in enumerate(case.instances):
            try:
                p = problem(name, candidate, seed=seed, instance=index)
            except ValueError as exc:
                return _failed(cid, "autograd", str(exc), inst.label)
            trouble = p.error or _shape_problem(p.params, p.grads)
            ref_size = max(1.0, max(float(np.max(np.abs(g))) for g in p.torch_grads.values()))
            tol = AUTOGRAD_RTOL * ref_size
            if trouble:
                return _failed(cid, "autograd", trouble, inst.label, tol)
            gaps = {k: _gap(p.grads[k], p.torch_grads[k]) for k in case.grads}
            worst = max(gaps, key=gaps.get)
            n += sum(g.size for g in p.grads.values())
            results.append(
                {
                    "instance": inst.label,
                    "gap": max(gaps[worst], p.out_gap),
                    "tol": tol,
                    "gaps": gaps,
                    "worst": worst,
                    "out_gap": p.out_gap,
                    "witness": worst_entry(
                        p.grads[worst],
                        p.torch_grads[worst],
                        {"instance": inst.label, "gradient": f"d{worst}"},
                    ),
                }
            )
        r = _worst(results)
        passed = all(x["gap"] <= x["tol"] for x in results)
        grads = ", ".join("d" + k for k in case.grads)
        if passed:
            message = (
                f"forward and gradients ({grads}) agree with torch autograd of {case.op} on "
                f"{len(results)} instance(s); largest gap {r['gaps'][r['worst']]:.2g} "
                f"(in d{r['worst']}, {r['instance']})"
            )
        elif r["out_gap"] > r["tol"]:
            message = f"{r['instance']}: the forward differs from {case.op} by {r['out_gap']:.3g}"
        else:
            message = (
                f"{r['instance']}: d{r['worst']} differs from torch autograd of {case.op} by "
                f"{r['gaps'][r['worst']]:.3g}"
            )
        return Evidence(
            cid,
            "autograd",
            passed,
            expected=f"autograd of {case.op}",
            measured="candidate backward",
            error=r["gap"],
            tolerance=r["tol"],
            n=n,
            message=message,
            details={x["instance"]: x["gaps"] for x in results},
            witness=r["witness"],
        )

    return check


def _fd_check(name: str):
    case = CASES[name]

    def check(candidate, seed):
        cid = f"layers.{name}.finite_difference"
        method = "finite-difference"
        results, n = [], 0
        for index, inst in enumerate(case.instances):
            if not inst.finite_difference:
                continue
            try:
                p = problem(name, candidate, seed=seed, instance=index)
            except ValueError as exc:
                return _failed(cid, method, str(exc), inst.label)
            # Each coordinate's centered difference is off by at most F (c·eps/h + h²), F the
            # magnitude of the summed terms (verify.gradcheck.tolerance).
            tol = tolerance(p.scale)
            trouble = p.error or _shape_problem(p.params, p.grads)
            if trouble:
                return _failed(cid, method, trouble, inst.label, tol)
            out_tol = AUTOGRAD_RTOL * max(1.0, float(np.max(np.abs(p.params[case.grads[0]]))))
            if p.out_gap > out_tol:
                return Evidence(
                    cid,
                    method,
                    False,
                    error=p.out_gap,
                    tolerance=out_tol,
                    message=f"{inst.label}: the forward differs from {case.op} by {p.out_gap:.3g}",
                    witness=_fault(f"a forward {p.out_gap:.3g} away from {case.op}", inst.label),
                )
            numeric = centered_difference(p.f, p.params)
            gaps = {k: _gap(p.grads[k], numeric[k]) for k in case.grads}
            worst = max(gaps, key=gaps.get)
            n += sum(g.size for g in numeric.values())
            results.append(
                {
                    "instance": inst.label,
                    "gap": gaps[worst],
                    "tol": tol,
                    "gaps": gaps,
                    "worst": worst,
                    "rel": max(relative_error(p.grads[k], numeric[k]) for k in case.grads),
                    "witness": worst_entry(
                        p.grads[worst],
                        numeric[worst],
                        {"instance": inst.label, "gradient": f"d{worst}"},
                    ),
                }
            )
        r = _worst(results)
        passed = all(x["gap"] <= x["tol"] for x in results)
        message = (
            f"{n} centered differences of Σ dout·{case.op} on {len(results)} instance(s) agree "
            f"(largest relative error {max(x['rel'] for x in results):.2g})"
            if passed
            else f"{r['instance']}: d{r['worst']} differs from the centered differences by "
            f"{r['gap']:.3g} (relative error {r['rel']:.2g})"
        )
        return Evidence(
            cid,
            method,
            passed,
            error=r["gap"],
            tolerance=r["tol"],
            n=n,
            witness=r["witness"],
            message=message,
            details={x["instance"]: {"relative_error": x["rel"], **x["gaps"]} for x in results},
        )

    return check


def _declare():
    for name, case in CASES.items():
        default = case.derived or (lambda b=case.backward: b)
        claim(
            f"layers.{name}.autograd",
            f"{name}: the derived backward equals torch autograd of {case.op} on "
            + "; ".join(i.label for i in case.instances),
            method="autograd",
            answer="implementation",
            derived=default,
        )(_autograd_check(name))
        claim(
            f"layers.{name}.finite_difference",
            f"{name}: the derived backward equals centered differences of {case.op} on "
            + "; ".join(i.label for i in case.instances if i.finite_difference),
            method="finite-difference",
            answer="implementation",
            derived=default,
        )(_fd_check(name))


_declare()
