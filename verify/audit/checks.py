"""A course's checks as data, and running one of them on an implementation.

**The file format** (JSON; tests/data/ece288_checks.json is the full example)::

    {"course": "…",
     "data": {NAME: {"seed": 231,                      # optional: np.random.seed(231) first
                     ARRAY: GENERATOR, …}, …},           # drawn in the order written
     "checks": [{"name": "…", "data": NAME, "test": TEST, "below": 1e-7,
                 "expected": […], "expected_loss": 2.3, "loss_within": 0.05, "reg": 0.7,
                 "rule": "what the notebook asserts or prints, in words"}, …]}

A GENERATOR is a nested list of numbers, or ``{"linspace": [start, stop], "shape": [...],
"transpose": false}`` (``np.linspace(start, stop, num=prod(shape)).reshape(shape)``),
``{"randn": shape, "scale": 1.0}`` (``scale * np.random.randn(*shape)``) or ``{"randint":
high, "shape": shape}``, the random ones drawn from NumPy's legacy generator seeded with the
block's ``seed``, in order, exactly as a notebook's ``np.random.seed(231); x =
np.random.randn(…)`` does. Nothing in the file is executed.

A TEST is one of :data:`TESTS`: the output of ``affine_forward`` / ``relu_forward`` against
``expected`` (``rel_error < below``); the backward pass against a centered numerical gradient
of *the same implementation's* forward pass (``affine_gradient``, ``relu_gradient``), as
``eval_numerical_gradient_array`` does; ``softmax`` (the loss within ``loss_within`` of
``expected_loss``, and ``dx`` against a numerical gradient); and for the two-layer net
(data ``W1, b1, W2, b2, X, y``) ``net_scores`` (``Σ|scores − expected| < below``),
``net_loss`` (``|loss − expected_loss| < below`` at ``reg``) and ``net_gradient`` (every
parameter's gradient against a numerical one at ``reg``).

>>> from verify.audit.ece288 import CHECKS
>>> data = build(validate(CHECKS, "checks"))
>>> data["two_layer_net"]["X"].shape
(3, 5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from derivations import arguments as arg
from derivations import layers as L

TESTS = (
    "affine_output",
    "affine_gradient",
    "relu_output",
    "relu_gradient",
    "softmax",
    "net_scores",
    "net_loss",
    "net_gradient",
)
#: The layer each test exercises (a mistake in that layer can show there; the net's checks
#: exercise every layer).
LAYER_OF = {
    "affine_output": "affine",
    "affine_gradient": "affine",
    "relu_output": "relu",
    "relu_gradient": "relu",
    "softmax": "softmax_loss",
}
#: What each test looks at (a mistake shows in a test only through one of these parts).
SEES = {
    "affine_output": {"affine_out"},
    "affine_gradient": {"affine_out", "affine_grad"},
    "relu_output": {"relu_out"},
    "relu_gradient": {"relu_out", "relu_grad"},
    "softmax": {"loss_value", "loss_grad"},
    "net_scores": {"affine_out", "relu_out"},
    "net_loss": {"affine_out", "relu_out", "loss_value", "reg_loss"},
    "net_gradient": {
        "affine_out",
        "relu_out",
        "loss_value",
        "reg_loss",
        "affine_grad",
        "relu_grad",
        "loss_grad",
        "reg_grad",
    },
}
MAX_ENTRIES = 10**6
H = 1e-5  # the step of the course's eval_numerical_gradient


def validate(spec, name: str = "checks") -> dict:
    """``spec`` (a parsed JSON object) checked against the format; a ``ValueError`` names
    the first thing wrong.

    >>> validate({"data": {}, "checks": [{"name": "a", "data": "b", "test": "relu_output"}]})
    Traceback (most recent call last):
    ...
    ValueError: checks['checks'][0]: data 'b' is not a block of 'data' (blocks: none)
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("checks"), list):
        raise ValueError(f"{name}: a JSON object with 'data' and a list 'checks' is required")
    data = spec.get("data", {})
    if not isinstance(data, dict):
        raise ValueError(f"{name}['data']: an object of named blocks is required")
    for i, c in enumerate(spec["checks"]):
        where = f"{name}['checks'][{i}]"
        if not isinstance(c, dict):
            raise ValueError(f"{where}: an object is required")
        arg.options(c, where, None, required=("name", "data", "test"))
        arg.choice(c["test"], f"{where}['test']", TESTS)
        if c["data"] not in data:
            blocks = ", ".join(map(repr, data)) or "none"
            raise ValueError(
                f"{where}: data {c['data']!r} is not a block of 'data' (blocks: {blocks})"
            )
        for k in ("below", "loss_within", "reg", "expected_loss"):
            if k in c:
                arg.real(c[k], f"{where}[{k!r}]")
    return spec


def _shape(value, name) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value
    ):
        raise ValueError(f"{name}: a list of positive integers is required, got {arg.shown(value)}")
    if math.prod(value) > MAX_ENTRIES:
        raise ValueError(f"{name}: at most {MAX_ENTRIES:,} entries are allowed")
    return tuple(value)


def _generate(g, name, rng) -> np.ndarray:
    if isinstance(g, list):
        return arg.array(arg.numbers_only(g, name), name)
    if not isinstance(g, dict) or len({"linspace", "randn", "randint"} & set(g)) != 1:
        raise ValueError(
            f"{name}: a list of numbers or one of {{linspace, randn, randint}} is required"
        )
    if "linspace" in g:
        arg.options(g, name, ("linspace", "shape", "transpose"), required=("shape",))
        lo, hi = (arg.real(v, f"{name}['linspace']") for v in g["linspace"])
        shape = _shape(g["shape"], f"{name}['shape']")
        a = np.linspace(lo, hi, num=math.prod(shape)).reshape(shape)
        return a.T if g.get("transpose") else a
    if "randn" in g:
        arg.options(g, name, ("randn", "scale"))
        return arg.real(g.get("scale", 1.0), f"{name}['scale']") * rng.randn(
            *_shape(g["randn"], f"{name}['randn']")
        )
    arg.options(g, name, ("randint", "shape"), required=("shape",))
    high = arg.count(g["randint"], f"{name}['randint']")
    return rng.randint(high, size=_shape(g["shape"], f"{name}['shape']"))


def build(spec) -> dict[str, dict[str, np.ndarray]]:
    """Every data block's arrays, generated in the order written."""
    out = {}
    for block, items in spec.get("data", {}).items():
        if not isinstance(items, dict):
            raise ValueError(f"data[{block!r}]: an object of named arrays is required")
        seed = items.get("seed")
        rng = np.random.RandomState(
            None if seed is None else arg.integer(seed, "seed", minimum=0, maximum=2**32 - 1)
        )
        out[block] = {
            k: _generate(v, f"data[{block!r}][{k!r}]", rng) for k, v in items.items() if k != "seed"
        }
        if "y" in out[block]:
            out[block]["y"] = out[block]["y"].astype(int)
    return out


def load(path) -> dict:
    """Read and validate a checks file (strict JSON, size-limited).

    >>> load("/nonexistent.json")
    Traceback (most recent call last):
    ...
    ValueError: checks: a readable JSON file is required, got /nonexistent.json: ...
    """
    return validate(arg.json_file(path, "checks"), "checks")


# --- the course's own measuring tools, as the notebooks define them ----------------------------


def rel_error(x, y) -> float:
    """``max |x − y| / max(1e-8, |x| + |y|)``, the notebooks' relative error.

    >>> rel_error(np.array([1.0, 3.0]), np.array([3.0, 3.0]))
    0.5
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"shapes {x.shape} and {y.shape} differ")
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_gradient(f, x, dout=None) -> np.ndarray:
    """Centered differences with step 1e-5, entry by entry, changing ``x`` in place and
    restoring it: of a scalar ``f`` (``dout`` None) or of ``Σ dout ⊙ f(x)``.

    >>> numerical_gradient(lambda v: float((v**2).sum()), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    grad = np.zeros_like(x, dtype=float)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + H
        plus = f(x)
        x[ix] = old - H
        minus = f(x)
        x[ix] = old
        diff = (plus - minus) if dout is None else np.sum((plus - minus) * dout)
        grad[ix] = diff / (2 * H)
    return grad


@dataclass
class Result:
    """One check on one implementation: caught (the check fails) or not, what was
    measured against what threshold, and why it failed if it raised."""

    passed: bool
    measured: float | None
    detail: str = ""


def net_class(impl):
    """A TwoLayerNet built from the implementation's layer functions."""
    if impl.net is not None:
        return impl.net
    fns = dict(impl.functions)
    if "softmax_loss" in fns:
        fns["data_loss"] = fns.pop("softmax_loss")
    return type("Candidate", (L.TwoLayerNet,), {k: staticmethod(v) for k, v in fns.items()})


def _net(impl, d):
    net = net_class(impl)(
        input_dim=d["W1"].shape[0], hidden_dim=d["W1"].shape[1], num_classes=d["W2"].shape[1]
    )
    net.params = {k: d[k].astype(float).copy() for k in ("W1", "b1", "W2", "b2")}
    return net


#: The parts that change a forward value: an implementation that changes none of them has the
#: correct forward pass, hence the correct numerical gradient (computed once, then reused).
FORWARD = {"affine_out", "relu_out", "loss_value", "reg_loss"}


def run(check: dict, data: dict, impl, cache: dict | None = None) -> Result:
    """Run one check on ``impl`` (see :mod:`verify.audit.mutations`); an implementation
    that raises is caught by the check (the notebook cell fails). ``cache`` (a dict kept
    across calls) holds the numerical gradients of implementations whose forward pass is the
    correct one: differencing it again would give the very same numbers.

    >>> from verify.audit.ece288 import CHECKS
    >>> from verify.audit.mutations import CORRECT
    >>> run(CHECKS["checks"][2], build(CHECKS), CORRECT).passed
    True
    """
    d = {k: np.array(v, copy=True) for k, v in data[check["data"]].items()}
    fn = impl.function
    below = float(check.get("below", 1e-7))
    same_forward = impl.name if set(impl.parts) & FORWARD else "correct"
    memo = (cache if cache is not None else {}).setdefault((check["name"], same_forward), {})
    try:
        with np.errstate(all="ignore"):
            measured, ok, detail = _measure(check, d, fn, impl, below, memo)
    except Exception as exc:  # noqa: BLE001 - a wrong implementation may fail in any way
        return Result(False, None, f"raised {type(exc).__name__}: {str(exc)[:120]}")
    if measured is not None and not math.isfinite(measured):
        return Result(False, measured, "not finite" + (f" ({detail})" if detail else ""))
    return Result(bool(ok), measured, detail)


def _numeric(memo, key, compute):
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _measure(check, d, fn, impl, below, memo):
    test = check["test"]
    if test in ("affine_output", "relu_output"):
        out = (
            fn("affine_forward")(d["x"], d["w"], d["b"])[0]
            if test == "affine_output"
            else fn("relu_forward")(d["x"])[0]
        )
        e = rel_error(out, check["expected"])
        return e, e < below, ""
    if test == "affine_gradient":
        fwd, bwd = fn("affine_forward"), fn("affine_backward")
        x, w, b, dout = d["x"], d["w"], d["b"], d["dout"]
        grads = bwd(dout, fwd(x, w, b)[1])
        nums = _numeric(
            memo,
            "all",
            lambda: (
                numerical_gradient(lambda v: fwd(v, w, b)[0], x, dout),
                numerical_gradient(lambda v: fwd(x, v, b)[0], w, dout),
                numerical_gradient(lambda v: fwd(x, w, v)[0], b, dout),
            ),
        )
        errs = [rel_error(n, g) for n, g in zip(nums, grads, strict=True)]
        worst = max(range(3), key=errs.__getitem__)
        return errs[worst], errs[worst] < below, f"worst: d{'xwb'[worst]}"
    if test == "relu_gradient":
        fwd, bwd = fn("relu_forward"), fn("relu_backward")
        x, dout = d["x"], d["dout"]
        dx = _first(bwd(dout, fwd(x)[1]))
        e = rel_error(
            _numeric(memo, "x", lambda: numerical_gradient(lambda v: fwd(v)[0], x, dout)), dx
        )
        return e, e < below, ""
    if test == "softmax":
        sm = fn("softmax_loss")
        x, y = d["x"], d["y"]
        loss, dx = sm(x, y)
        e = rel_error(_numeric(memo, "x", lambda: numerical_gradient(lambda v: sm(v, y)[0], x)), dx)
        off = abs(float(loss) - float(check["expected_loss"]))
        ok = off <= float(check.get("loss_within", 0.05)) and e < below
        return e, ok, f"loss {float(loss):.6g}"
    net = _net(impl, d)
    net.reg = float(check.get("reg", 0.0))
    X, y = d["X"], d["y"]
    if test == "net_scores":
        e = float(np.abs(net.loss(X) - np.asarray(check["expected"])).sum())
        return e, e < below, ""
    if test == "net_loss":
        loss = float(net.loss(X, y)[0])
        e = abs(loss - float(check["expected_loss"]))
        return e, e < below, f"loss {loss:.10g}"
    _, grads = net.loss(X, y)
    errs = {}
    for name in sorted(grads):
        num = _numeric(
            memo,
            name,
            lambda p=net.params[name]: numerical_gradient(lambda _: float(net.loss(X, y)[0]), p),
        )
        errs[name] = rel_error(num, grads[name])
        if errs[name] >= below:  # the notebook's reader stops at the first bad line too
            return errs[name], False, f"{name} is off"
    worst = max(errs, key=errs.get)
    return errs[worst], True, f"worst: {worst}"


def _first(grads):
    return grads[0] if isinstance(grads, tuple | list) else grads


def relu_inputs(check: dict, data: dict) -> np.ndarray | None:
    """What the ReLU sees in this check: ``x`` for a ReLU check, the hidden
    pre-activations ``X W1 + b1`` for a net check, None otherwise."""
    d = data[check["data"]]
    if check["test"].startswith("relu"):
        return np.asarray(d["x"], dtype=float)
    if check["test"].startswith("net"):
        X = np.asarray(d["X"], dtype=float)
        return X.reshape(X.shape[0], -1) @ d["W1"] + d["b1"]
    return None


def largest_score(check: dict, data: dict) -> float | None:
    """The largest score the softmax sees (``x`` or the net's scores)."""
    d = data[check["data"]]
    if check["test"] == "softmax":
        return float(np.max(np.abs(d["x"])))
    if check["test"].startswith("net"):
        h = np.maximum(relu_inputs(check, data), 0)
        return float(np.max(np.abs(h @ d["W2"] + d["b2"])))
    return None
