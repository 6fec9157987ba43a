"""The maximizer, the projections and SAM's ε̂ against SciPy's solvers and NumPy's norms.

>>> projection_references("l2")[0][4].round(4).tolist()  # inside the ball: δ itself
[0.01, -0.02, 0.005, 0.0]
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from verify.claims import Evidence, Witness
from verify.evidence import worst_entry
from verify.lazy import lazy, torch

mc = lazy("verify.montecarlo")
optimize = lazy("scipy.optimize")

# --- gradients with ties and zeros: where a sign, a tie or a zero changes the answer ----------
#: (g, ε) pairs for the maximizer claims. Ties in |g| (3, −3) make p = 1 non-unique and catch
#: a budget put on every largest entry at once; zeros catch sign(0) slips and ε·sign g at p = 1;
#: no ε is 1, so a forgotten ε shows.
GRADIENTS = (
    ((3.0, -3.0, 0.0, 1.5, -0.5), 0.3),
    ((0.7, 0.0, 0.0, -0.7, 0.7, 0.2), 0.0313),
    ((-2.0, 1.0, 0.5, 0.0), 2.5),
)
P_LP = (1.0, math.inf)
P_SMOOTH = (1.5, 2.0, 3.0)
#: A feasible point may exceed the radius by round-off only.
FEASIBLE_RTOL = 1e-12


def _norm(v, order) -> float:
    return float(np.linalg.norm(np.asarray(v, dtype=np.float64).ravel(), ord=order))


def _lp_maximum(g, eps, p):
    """``max gᵀδ`` over ``‖δ‖_p ≤ ε`` for p = 1 or ∞ by linear programming (HiGHS)."""
    g = np.asarray(g, dtype=np.float64)
    n = g.size
    if math.isinf(p):
        res = optimize.linprog(-g, bounds=[(-eps, eps)] * n, method="highs")
        return -res.fun, res.x
    # δ = δ⁺ − δ⁻ with δ± ≥ 0 and Σ(δ⁺ + δ⁻) ≤ ε
    res = optimize.linprog(
        np.concatenate([-g, g]),
        A_ub=np.ones((1, 2 * n)),
        b_ub=[eps],
        bounds=[(0, None)] * (2 * n),
        method="highs",
    )
    return -res.fun, res.x[:n] - res.x[n:]


def _slsqp_maximum(g, eps, p):
    """``max gᵀδ`` over ``Σ|δ_i|^p ≤ ε^p`` by SLSQP, in units of ε and ‖g‖_∞ (better scaled)."""
    g = np.asarray(g, dtype=np.float64)
    scale = float(np.abs(g).max())
    h = g / scale
    res = optimize.minimize(
        lambda v: -h @ v,
        np.zeros_like(h),
        jac=lambda v: -h,
        constraints=[
            {
                "type": "ineq",
                "fun": lambda v: 1.0 - np.sum(np.abs(v) ** p),
                "jac": lambda v: -p * np.sign(v) * np.abs(v) ** (p - 1),
            }
        ],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 500},
    )
    v = res.x / max(1.0, _norm(res.x, p))  # back inside the ball if SLSQP ends just outside
    return eps * scale * float(h @ v), eps * v


def _maximizer_check(orders, solver, tolerance):
    def check(candidate, seed):
        worst = None
        for g, eps in GRADIENTS:
            for p in orders:
                best, _ = solver(g, eps, p)
                delta = np.asarray(candidate(np.array(g), eps, p), dtype=np.float64)
                point = {"g": g, "eps": eps, "p": p}
                if delta.shape != (len(g),):
                    return Evidence(
                        passed=False,
                        message=f"shape {delta.shape} for g of length {len(g)}",
                        witness=Witness(point, f"shape {delta.shape}", f"shape {(len(g),)}"),
                    )
                size = _norm(delta, p)
                value = float(np.dot(g, delta))
                slack = tolerance * eps * _norm(g, 1)
                if size > eps * (1 + FEASIBLE_RTOL):
                    return Evidence(
                        passed=False,
                        expected=eps,
                        measured=size,
                        message=f"‖δ‖_p = {size:.6g} > ε = {eps:g} at p = {p:g}",
                        witness=Witness({**point, "quantity": "‖δ‖_p"}, size, eps),
                    )
                gap = best - value
                if worst is None or gap > worst[0]:
                    worst = (gap, point, value, best, slack)
        gap, point, value, best, slack = worst
        passed = gap <= slack
        return Evidence(
            passed=passed,
            expected=best,
            measured=value,
            error=max(gap, 0.0),
            tolerance=slack,
            n=len(GRADIENTS) * len(orders),
            message=(
                f"gᵀδ within {max(gap, 0):.2g} of the optimum at every (g, ε, p); worst at p = "
                f"{point['p']:g}"
                if passed
                else f"gᵀδ = {value:.8g} below the optimum {best:.8g} at p = {point['p']:g}"
            ),
            witness=Witness({**point, "quantity": "gᵀδ"}, value, best),
        )

    return check


# --- projections --------------------------------------------------------------------------------
#: δ with coordinates inside, outside on both sides, on the boundary (±ε) and zero.
DELTAS = (
    ((0.05, -0.0313, 0.0, 0.01, -0.2, 0.0313), 0.0313),
    ((0.4, -0.9, 0.3, 0.0, 1.2), 0.6),
)
#: δ inside the L2 ball (its projection is δ) and outside.
DELTAS_L2 = (((0.01, -0.02, 0.005, 0.0), 0.0313), ((0.4, -0.9, 0.3, 0.0, 1.2), 0.6))
#: Pixels at 0 and 1, near them and inside, pushed out of [0, 1] by δ.
PIXEL_CASES = (
    ((0.0, 1.0, 0.99, 0.01, 0.5, 0.3), (-0.05, 0.05, 0.04, -0.02, 0.2, -0.01), 0.0313),
    ((1.0, 0.0, 0.97, 0.5), (0.2, 0.3, -0.6, -0.7), 0.45),
)


def _nearest(delta, constraints, bounds=None):
    """``argmin ½‖z − δ‖²`` under linear or convex constraints, by SLSQP."""
    delta = np.asarray(delta, dtype=np.float64)
    res = optimize.minimize(
        lambda z: 0.5 * np.sum((z - delta) ** 2),
        np.zeros_like(delta),
        jac=lambda z: z - delta,
        constraints=constraints,
        bounds=bounds,
        method="SLSQP",
        options={"ftol": 1e-16, "maxiter": 500},
    )
    return res.x


def _linf_constraints(eps, n):
    eye = np.eye(n)
    return [
        {"type": "ineq", "fun": lambda z: eps - z, "jac": lambda z: -eye},
        {"type": "ineq", "fun": lambda z: eps + z, "jac": lambda z: eye},
    ]


def _projection_cases(kind):
    if kind == "linf":
        return [
            (d, e, math.inf, None, _nearest(d, _linf_constraints(e, len(d)))) for d, e in DELTAS
        ]
    if kind == "l2":
        return [
            (
                d,
                e,
                2.0,
                None,
                _nearest(
                    d,
                    [{"type": "ineq", "fun": lambda z, e=e: e**2 - z @ z, "jac": lambda z: -2 * z}],
                ),
            )
            for d, e in DELTAS_L2
        ]
    out = []
    for x, d, e in PIXEL_CASES:
        x_ = np.asarray(x)
        eye = np.eye(len(x))
        box = [
            {"type": "ineq", "fun": lambda z, x_=x_: x_ + z, "jac": lambda z, eye=eye: eye},
            {"type": "ineq", "fun": lambda z, x_=x_: 1 - x_ - z, "jac": lambda z, eye=eye: -eye},
        ]
        out.append((d, e, math.inf, x, _nearest(d, _linf_constraints(e, len(d)) + box)))
    return out


@lru_cache
def projection_references(kind: str):
    """The reference projections of one claim: ``(delta, eps, p, x, nearest point)`` tuples.

    >>> projection_references("linf")[0][4].round(4).tolist()
    [0.0313, -0.0313, 0.0, 0.01, -0.0313, 0.0313]
    """
    if kind not in ("linf", "l2", "box"):
        raise ValueError(f"kind: one of 'linf', 'l2', 'box' is required, got {kind!r}")
    return tuple(_projection_cases(kind))


#: SLSQP meets the KKT conditions of these small quadratic programs to about 1e-10.
PROJECTION_TOL = 1e-8


def _projection_check(kind):
    def check(candidate, seed):
        worst = None
        for delta, eps, p, x, ref in projection_references(kind):
            kwargs = {} if x is None else {"x": np.array(x)}
            got = np.asarray(candidate(np.array(delta), eps, p, **kwargs), dtype=np.float64)
            w = worst_entry(
                got, ref, {"delta": delta, "eps": eps, "p": p, **({"x": x} if x else {})}
            )
            err = math.inf if got.shape != ref.shape else float(np.max(np.abs(got - ref)))
            if worst is None or err > worst[0]:
                worst = (err, w)
        err, w = worst
        passed = err <= PROJECTION_TOL
        return Evidence(
            passed=passed,
            error=err,
            tolerance=PROJECTION_TOL,
            witness=w,
            expected=w.reference,
            measured=w.candidate,
            message=f"largest distance from SLSQP's nearest point: {err:.2g}",
        )

    return check


# --- SAM ----------------------------------------------------------------------------------------
SAM_ORDERS = (2.0, 1.5, 3.0, math.inf, 1.0)
SAM_RHO = 0.05


@lru_cache
def parameter_gradient() -> np.ndarray:
    """The gradient of the small CNN's loss in its parameters (flattened), by autograd.

    >>> parameter_gradient().shape
    (763,)
    """
    from verify.robustness.attacks import small_cnn

    model, x, y = small_cnn()
    loss = torch.nn.functional.cross_entropy(model(x), y, reduction="mean")
    grads = torch.autograd.grad(loss, list(model.parameters()))
    return torch.cat([g.flatten() for g in grads]).numpy()


def _sam_check(candidate, seed):
    cases = [(parameter_gradient(), 2.0)] + [
        (np.array(g), p) for g, _ in GRADIENTS for p in SAM_ORDERS
    ]
    worst = None
    for g, p in cases:
        q = 1.0 if math.isinf(p) else (math.inf if p == 1 else p / (p - 1))
        e_hat = np.asarray(candidate(g.copy(), SAM_RHO, p), dtype=np.float64)
        point = {"g": tuple(g) if g.size < 10 else "CNN parameter gradient", "rho": SAM_RHO, "p": p}
        size = _norm(e_hat, p)
        if e_hat.shape != g.shape or size > SAM_RHO * (1 + FEASIBLE_RTOL):
            return Evidence(
                passed=False,
                expected=SAM_RHO,
                measured=size,
                message=f"‖ε̂‖_p = {size:.6g} > ρ = {SAM_RHO:g} at p = {p:g}",
                witness=Witness({**point, "quantity": "‖ε̂‖_p"}, size, SAM_RHO),
            )
        target = SAM_RHO * _norm(g, q)  # NumPy's dual norm: Hölder's bound
        rel = abs(float(g @ e_hat) - target) / target
        if worst is None or rel > worst[0]:
            worst = (rel, point, float(g @ e_hat), target)
    rel, point, value, target = worst
    return Evidence(
        passed=rel <= 1e-12,
        expected=target,
        measured=value,
        error=rel,
        tolerance=1e-12,
        n=len(cases),
        message=f"gᵀε̂ = ρ‖g‖_q to {rel:.2g} relative in the worst case (p = {point['p']:g})",
        witness=Witness({**point, "quantity": "gᵀε̂"}, value, target),
    )
