"""Finite-difference gradient checks: per coordinate, along random directions, and localization.

The function under test is ``f(params) -> float`` (a dict of float64 arrays, the parameter
*blocks*); the analytic gradient is a dict with one array per block. Three tools:

- :func:`centered_difference`: the classic loop, ``(f(θ + h e_i) - f(θ - h e_i)) / 2h`` for
  every coordinate ``i`` — two evaluations per coordinate, so only for small blocks;
- :func:`directional_check`: for a random unit direction ``u``, the same quotient along ``u``
  against ``Σ_b ⟨g_b, u_b⟩`` — two evaluations whatever the number of parameters (with a
  vector-valued ``f`` and a weight ``v`` this is ``vᵀ J u``, PyTorch's fast gradcheck);
- :func:`localize`: when the directional check fails, the same check with ``u`` supported on
  one block, then on halves of that block's coordinates, recursively, down to the single
  coordinates at fault (about ``2 log₂ n`` evaluations per coordinate found).

:func:`gradcheck` runs the directional check and, when it fails, the localization; its verdict
is ``passed``, ``failed`` (a coordinate is confirmed wrong by its own centered difference, or a
block has the wrong shape) or ``unconfirmed``: the directional check failed but no coordinate
could be confirmed, as when torch's fast gradcheck fails and its slow mode passes. Then either
the directional tolerance is too tight for this ``f`` (its third derivative along a mixed
direction is far above the bound assumed below), or the error is spread over many coordinates,
each within its own tolerance.

Tolerance (see :func:`tolerance`): a centered difference along a unit direction is
``uᵀ∇f + (h²/6) f'''(ξ) + (δ₊ - δ₋)/(2h)`` where ``δ±`` are the rounding errors of the two
evaluations. We bound ``|δ±| ≤ c·eps·F`` (``F`` the magnitude of the terms ``f`` adds up,
``c = ROUNDING``) and ``|f'''| ≤ 6 F`` along a unit step, so the error is at most
``F (c·eps/h + h²)``. That bound is smallest at ``h = (c·eps/2)^(1/3) ≈ 1.9e-5``; we take
``h = 1e-5`` (round-off 1.4e-9 F, truncation 1e-10 F), and the book's figure shows the
measured error against ``h`` on both sides of it.

>>> import numpy as np
>>> f = lambda p: float(np.sum(p["w"] ** 3))
>>> params = {"w": np.array([1.0, -2.0, 0.5])}
>>> directional_check(f, params, {"w": 3 * params["w"] ** 2}).passed
True
>>> wrong = {"w": 3 * params["w"] ** 2 + np.array([0.0, 0.1, 0.0])}
>>> print(localize(f, params, wrong).report())
block 'w' (shape (3,)) is wrong at
  (1,): analytic 12.1, numeric 12
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from derivations import arguments as arg

#: Step size of every centered difference (see the module docstring and the book's figure).
H = 1e-5
EPS = float(np.finfo(np.float64).eps)
#: Rounding of one float64 evaluation, in units of eps·F: sums of n terms round like √n·eps
#: (n ≲ 4096 in the layers here gives 64); measured rounding stays below it (tests).
ROUNDING = 64.0

Params = Mapping[str, np.ndarray]


def tolerance(scale: float, h: float = H) -> float:
    """Largest error of a centered difference along a unit direction: ``F (c·eps/h + h²)``.

    >>> f"{tolerance(1.0):.2e}"
    '1.52e-09'
    """
    return arg.non_negative(scale, "scale") * (ROUNDING * EPS / h + h * h)


def relative_error(a, b, *, elementwise: bool = False) -> float:
    """``max|a - b| / max(1e-8, |a| + |b|)``.

    By default the denominator is the largest ``|a| + |b|`` of the block, so coordinates whose
    true gradient is 0 (ReLU's dead units) do not turn finite-difference noise into a relative
    error of 1; ``elementwise=True`` gives the per-coordinate maximum that courses print.

    >>> relative_error([1.0, 1e-12], [1.0, 2e-12])
    5e-13
    >>> f"{relative_error([1.0, 1e-12], [1.0, 2e-12], elementwise=True):.3g}"
    '0.0001'
    """
    # nan or inf is a wrong gradient to report, not a bad argument
    a, b = arg.array(a, "a", finite=False), arg.array(b, "b", finite=False)
    if a.shape != b.shape:
        raise ValueError(f"a of shape {a.shape} and b of shape {b.shape}: shapes must be equal")
    diff = np.abs(a - b)
    size = np.abs(a) + np.abs(b)
    if elementwise:
        return float(np.max(diff / np.maximum(1e-8, size)))
    return float(np.max(diff) / max(1e-8, float(np.max(size))))


def _validate(params: Params, grads: Params | None = None) -> None:
    if not isinstance(params, Mapping) or not params:
        raise TypeError("params: a non-empty dict of NumPy arrays is required")
    for k, v in params.items():
        if not isinstance(v, np.ndarray) or v.dtype != np.float64:
            raise TypeError(f"params[{k!r}]: a float64 NumPy array is required")
    if grads is not None and not isinstance(grads, Mapping):
        raise TypeError(f"grads: a dict of arrays is required, got {type(grads).__name__}")


def _options(h, seed, scale) -> tuple[float, int, float | None]:
    """The step, seed and scale every check takes, checked once."""
    scale = None if scale is None else arg.positive(scale, "scale")
    return arg.positive(h, "h"), arg.seed(seed), scale


def _working_copy(params: Params) -> dict:
    """The arrays to move coordinates in: the caller's own when contiguous (no copy of half a
    million parameters), else contiguous copies. Moved coordinates are always restored bit
    for bit from a saved slice before a function returns, so each evaluation costs
    O(|support|) on top of ``f`` itself."""
    return {k: v if v.flags.c_contiguous else np.ascontiguousarray(v) for k, v in params.items()}


def _evaluate_at(f, work: dict, block: str, sel: slice, step: np.ndarray) -> float:
    flat = work[block].reshape(-1)
    saved = flat[sel].copy()
    try:
        flat[sel] = saved + step
        return float(f(work))
    finally:
        flat[sel] = saved


def centered_difference(f: Callable, params: Params, *, h: float = H, blocks=None) -> dict:
    """The per-coordinate loop: ``(f(θ + h e_i) - f(θ - h e_i)) / 2h`` for every coordinate of
    the chosen ``blocks`` (default: all). Two evaluations per coordinate.

    >>> import numpy as np
    >>> g = centered_difference(lambda p: float(np.sum(p["w"] ** 2)), {"w": np.array([1.0, 3.0])})
    >>> np.round(g["w"], 6)
    array([2., 6.])
    """
    _validate(params)
    h = arg.positive(h, "h")
    blocks = list(params) if blocks is None else [arg.choice(b, "blocks", params) for b in blocks]
    work = _working_copy(params)
    out = {}
    step = np.array([h])
    for block in blocks:
        grad = np.empty(work[block].size)
        for i in range(grad.size):
            at = slice(i, i + 1)
            plus = _evaluate_at(f, work, block, at, step)
            minus = _evaluate_at(f, work, block, at, -step)
            grad[i] = (plus - minus) / (2 * h)
        out[block] = grad.reshape(work[block].shape)
    return out


@dataclass
class DirectionalResult:
    """One directional comparison: the difference quotient against ``gᵀu``."""

    passed: bool
    numeric: float
    analytic: float
    error: float
    tolerance: float
    evaluations: int = 2


def _unit(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random unit vector of length ``n``.

    Entries are i.i.d. uniform on (-1, 1) before normalizing: any symmetric distribution makes
    ``⟨error, u⟩ = 0`` a probability-0 event, and uniform draws cost a fifth of normal ones.
    """
    u = 2.0 * rng.random(n) - 1.0
    return u / np.sqrt(u @ u)


def _compare(f, work: dict, grads: Params, u: dict, h: float, scale) -> DirectionalResult:
    """Centered difference along ``u`` = {block: (slice of the flat block, values)}."""
    flats = {b: work[b].reshape(-1) for b in u}
    saved = {b: flats[b][sel].copy() for b, (sel, _) in u.items()}
    values = []
    try:
        for sign in (1.0, -1.0):
            for b, (sel, step) in u.items():
                flats[b][sel] = saved[b] + sign * h * step
            values.append(float(f(work)))
    finally:
        for b, (sel, _) in u.items():
            flats[b][sel] = saved[b]
    plus, minus = values
    numeric = (plus - minus) / (2 * h)
    analytic = sum(
        float(np.asarray(grads[b], dtype=np.float64).reshape(-1)[sel] @ step)
        for b, (sel, step) in u.items()
    )
    size = max(1.0, abs(plus), abs(minus)) if scale is None else scale
    error = abs(numeric - analytic)
    tol = tolerance(size, h)
    return DirectionalResult(bool(error <= tol), numeric, analytic, error, tol)


def _projected(f: Callable, v) -> Callable:
    """``f`` itself, or ``θ ↦ vᵀ f(θ)`` when a weight ``v`` is given."""
    if v is None:
        return f
    v = arg.array(v, "v")

    def projected(params):
        out = np.asarray(f(params), dtype=np.float64)
        if out.shape != v.shape:
            raise ValueError(
                f"v of shape {v.shape} and f's output of shape {out.shape}: "
                "the shapes must be equal"
            )
        return float(np.sum(v * out))

    return projected


def _shape_faults(params: Params, grads: Params) -> dict:
    faults = {}
    for block, value in params.items():
        if block not in grads:
            faults[block] = "no gradient for this block"
        elif np.shape(grads[block]) != value.shape:
            faults[block] = (
                f"gradient of shape {np.shape(grads[block])} for a parameter of shape {value.shape}"
            )
    return faults


def directional_check(
    f: Callable,
    params: Params,
    grads: Params,
    *,
    h: float = H,
    seed: int = 0,
    directions: int = 1,
    scale: float | None = None,
    v: np.ndarray | None = None,
) -> DirectionalResult:
    """Compare ``(f(θ + h u) - f(θ - h u)) / 2h`` with ``Σ_b ⟨grads_b, u_b⟩`` for random unit
    directions ``u`` over all blocks; fails at once on a gradient of the wrong shape.
    ``scale`` is the magnitude of the terms ``f`` sums (default ``max(1, |f|)``).

    With ``v``, ``f`` may return an array: the check is on ``vᵀ f``, so ``grads`` must be
    ``vᵀ J`` — what a layer's backward pass returns for ``dout = v`` — and the comparison is
    ``vᵀ J u``:

    >>> from derivations.layers import affine_backward, affine_forward
    >>> rng = np.random.default_rng(0)
    >>> x, w, b, dout = (rng.standard_normal(s) for s in [(4, 3), (3, 2), (2,), (4, 2)])
    >>> dx, dw, db = affine_backward(dout, affine_forward(x, w, b)[1])
    >>> out = lambda p: affine_forward(p["x"], p["w"], p["b"])[0]
    >>> directional_check(out, {"x": x, "w": w, "b": b}, {"x": dx, "w": dw, "b": db}, v=dout).passed
    True

    >>> p = {"w": np.ones((300, 400))}
    >>> f = lambda q: float(np.sum(np.sin(q["w"])))
    >>> directional_check(f, p, {"w": np.cos(p["w"])}).passed
    True
    >>> directional_check(f, p, {"w": np.cos(p["w"]).T}).passed
    False
    """
    _validate(params, grads)
    h, seed, scale = _options(h, seed, scale)
    directions = arg.count(directions, "directions")
    f = _projected(f, v)
    if _shape_faults(params, grads):
        return DirectionalResult(False, float("nan"), float("nan"), float("inf"), 0.0, 0)
    rng = np.random.default_rng(seed)
    work = _working_copy(params)
    sizes = {b: v.size for b, v in work.items()}
    worst = None
    for _ in range(directions):
        u = _unit(sum(sizes.values()), rng)
        bounds = np.cumsum([0, *sizes.values()])
        u = {
            b: (slice(None), u[lo:hi]) for b, lo, hi in zip(sizes, bounds, bounds[1:], strict=False)
        }
        result = _compare(f, work, grads, u, h, scale)
        if worst is None or result.error / result.tolerance > worst.error / worst.tolerance:
            worst = result
    worst.evaluations = 2 * directions
    return worst


@dataclass
class BlockFault:
    """A block whose gradient is wrong: a shape error, or the coordinates found at fault."""

    block: str
    shape: tuple
    shape_error: str | None = None
    coordinates: list = field(default_factory=list)
    analytic: list = field(default_factory=list)
    numeric: list = field(default_factory=list)
    complete: bool = True
    #: single coordinates compared by their own centered difference (confirmed or cleared)
    checked: int = 0

    def describe(self) -> str:
        """For a person: the block, then one line per coordinate found.

        >>> print(BlockFault("b", (3,), coordinates=[(1,)], analytic=[2.0], numeric=[1.0])
        ...       .describe())
        block 'b' (shape (3,)) is wrong at
          (1,): analytic 2, numeric 1
        """
        head = f"block {self.block!r} (shape {self.shape})"
        if self.shape_error:
            return f"{head} is wrong: {self.shape_error}"
        lines = [f"{head} is wrong at"]
        lines += [
            f"  {c}: analytic {a:.6g}, numeric {n:.6g}"
            for c, a, n in zip(self.coordinates, self.analytic, self.numeric, strict=True)
        ]
        if not self.complete:
            lines.append(f"  … and more (the search stops after {len(self.coordinates)})")
        return "\n".join(lines)


@dataclass
class Localization:
    """Where a gradient is wrong: the faulty blocks, how many evaluations it took, how long."""

    faults: list
    evaluations: int
    seconds: float
    #: single coordinates the search compared one by one, over all blocks
    checked: int = 0

    @property
    def blocks(self) -> list[str]:
        return [fault.block for fault in self.faults]

    def report(self) -> str:
        """The faults, one line each (``gradient correct`` when there are none)."""
        if not self.faults:
            return "gradient correct along every block"
        return "\n".join(fault.describe() for fault in self.faults)


def _bisect(f, work, grads, block, h, scale, rng, max_coordinates):
    """Search one block; returns its :class:`BlockFault` (possibly with no coordinates) and
    the number of evaluations.

    One random unit ``u`` over the block is kept throughout, restricted to ever smaller
    ranges of its flat coordinates. The discrepancy ``d(S) = numeric(u_S) - analytic(u_S) ≈
    Σ_{i∈S} (true_i - g_i) u_i`` is additive, so only the lower half of a range is measured
    and the upper half's discrepancy is the parent's minus it, with the two tolerances added
    (re-measured once that sum exceeds four single tolerances): about one pair of evaluations
    per level. A fault is confirmed by the plain centered difference along its coordinate.
    """
    shape = work[block].shape
    fault = BlockFault(block, shape)
    u = _unit(work[block].size, rng)

    def measure(lo, hi):
        r = _compare(f, work, grads, {block: (slice(lo, hi), u[lo:hi])}, h, scale)
        return r.numeric - r.analytic, r.tolerance

    d, tol = measure(0, u.size)
    base = tol
    evaluations = 2
    pending = [(0, u.size, d, tol)] if abs(d) > tol else []
    while pending:
        lo, hi, d, tol = pending.pop()
        if hi - lo == 1:
            result = _compare(f, work, grads, {block: (slice(lo, hi), np.ones(1))}, h, scale)
            evaluations += 2
            fault.checked += 1
            if result.passed:
                continue
            if len(fault.coordinates) == max_coordinates:
                fault.complete = False
                break
            fault.coordinates.append(tuple(int(k) for k in np.unravel_index(lo, shape)))
            fault.analytic.append(result.analytic)
            fault.numeric.append(result.numeric)
            continue
        mid = (lo + hi) // 2
        d_lower, tol_lower = measure(lo, mid)
        d_upper, tol_upper = d - d_lower, tol + tol_lower
        evaluations += 2
        if tol_upper > 4 * base:
            d_upper, tol_upper = measure(mid, hi)
            evaluations += 2
        if abs(d_upper) > tol_upper:
            pending.append((mid, hi, d_upper, tol_upper))
        if abs(d_lower) > tol_lower:
            pending.append((lo, mid, d_lower, tol_lower))  # searched first
    return fault, evaluations


def localize(
    f: Callable,
    params: Params,
    grads: Params,
    *,
    h: float = H,
    seed: int = 0,
    max_coordinates: int = 5,
    scale: float | None = None,
    v: np.ndarray | None = None,
) -> Localization:
    """Find the blocks whose gradient is wrong, then up to ``max_coordinates`` coordinates of
    each, by directional checks on ever smaller supports (bisection of the coordinates,
    about ``2 log₂ n`` evaluations per coordinate found in a block of ``n``).

    >>> import numpy as np
    >>> f = lambda p: float(np.sum(p["a"] ** 2) + np.sum(p["b"] ** 2))
    >>> p = {"a": np.ones(1000), "b": np.ones((2, 2))}
    >>> g = {"a": 2 * p["a"], "b": 2 * p["b"]}
    >>> g["a"][[17, 600]] = 0.0
    >>> loc = localize(f, p, g)
    >>> loc.blocks, loc.faults[0].coordinates
    (['a'], [(17,), (600,)])
    """
    _validate(params, grads)
    h, seed, scale = _options(h, seed, scale)
    max_coordinates = arg.count(max_coordinates, "max_coordinates")
    f = _projected(f, v)
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    work = _working_copy(params)
    evaluations = checked = 0
    faults = []
    shape_faults = _shape_faults(params, grads)
    for block, value in work.items():
        if block in shape_faults:
            faults.append(BlockFault(block, value.shape, shape_error=shape_faults[block]))
            continue
        fault, used = _bisect(f, work, grads, block, h, scale, rng, max_coordinates)
        evaluations += used
        checked += fault.checked
        if fault.coordinates:
            faults.append(fault)
    return Localization(faults, evaluations, time.perf_counter() - start, checked)


#: The verdicts of :func:`gradcheck`.
VERDICTS = ("passed", "failed", "unconfirmed")


@dataclass
class GradcheckResult:
    """A directional check and, when it failed, the localization of the fault.

    ``passed`` is true for the verdict ``passed`` only: an unconfirmed failure is not a pass.
    """

    passed: bool
    directional: DirectionalResult
    localization: Localization | None = None

    @property
    def verdict(self) -> str:
        """``passed``; ``failed`` when localization confirms a fault (a coordinate or a shape);
        ``unconfirmed`` when the directional check failed but localization confirms none.

        >>> d = DirectionalResult(False, 1.0, 0.0, 1.0, 1e-9)
        >>> GradcheckResult(False, d, Localization([], 12, 0.0, checked=3)).verdict
        'unconfirmed'
        """
        if self.passed:
            return "passed"
        if self.localization is not None and not self.localization.faults:
            return "unconfirmed"
        return "failed"

    def report(self) -> str:
        """A verdict a person can act on."""
        d = self.directional
        shown = {"passed": "passed", "failed": "FAILED", "unconfirmed": "failed"}[self.verdict]
        head = (
            f"directional check {shown}: "
            f"numeric {d.numeric:.10g}, analytic {d.analytic:.10g},\n"
            f"  error {d.error:.2g}, tolerance {d.tolerance:.2g}"
        )
        if self.localization is None:
            return head
        if self.verdict == "unconfirmed":
            return head + (
                f"\nUNCONFIRMED: no coordinate is confirmed wrong ({self.localization.checked} "
                "suspect coordinates checked, each centered difference agrees); the tolerance "
                "may be too tight for this function, or the error is spread over many "
                "coordinates"
            )
        return head + "\n" + self.localization.report()


def gradcheck(
    f: Callable,
    params: Params,
    grads: Params,
    *,
    h: float = H,
    seed: int = 0,
    directions: int = 2,
    scale: float | None = None,
    v: np.ndarray | None = None,
    max_coordinates: int = 5,
) -> GradcheckResult:
    """:func:`directional_check`, then :func:`localize` if it fails.

    >>> import numpy as np
    >>> f = lambda p: float(np.sum(p["w"] ** 2))
    >>> r = gradcheck(f, {"w": np.ones(3)}, {"w": np.array([2.0, 2.0, 0.0])})
    >>> r.passed, r.verdict, r.localization.faults[0].coordinates
    (False, 'failed', [(2,)])
    >>> gradcheck(f, {"w": np.ones(3)}, {"w": np.full(3, 2.0)}).verdict
    'passed'
    """
    d = directional_check(f, params, grads, h=h, seed=seed, directions=directions, scale=scale, v=v)
    if d.passed:
        return GradcheckResult(True, d)
    loc = localize(
        f, params, grads, h=h, seed=seed, scale=scale, max_coordinates=max_coordinates, v=v
    )
    return GradcheckResult(False, d, loc)
