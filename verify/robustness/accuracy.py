"""The robust accuracy of a linear classifier on two Gaussian classes, by simulation.

>>> sorted(ACCURACY_SETTINGS)
['l1', 'l2', 'l3', 'linf']
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations import robustness as rb
from verify.claims import Evidence, Witness, as_function
from verify.lazy import lazy, torch
from verify.robustness.optima import P_LP, _lp_maximum, _norm, _slsqp_maximum

mc = lazy("verify.montecarlo")
optimize = lazy("scipy.optimize")


# --- the robust accuracy of a linear classifier, by simulation -----------------------------------
#: Names a typed answer may use: m = wᵀμ, nq = ‖w‖_q, np = ‖w‖_p, n2 = ‖w‖₂, s, eps.
ACCURACY_VARIABLES = ("m", "nq", "np", "n2", "s", "eps")
#: The classifier and the classes: unequal weights with a zero, so every norm differs.
W = (0.9, -0.4, 0.25, 0.0, 1.3, -0.7)
MU = (0.5, -0.3, 0.4, 0.6, 0.35, -0.2)
S = 0.8
#: ε per attack norm, each chosen so that the robust accuracy is far from 0, 1 and the clean
#: accuracy, and the wrong answers of ``wrong.py`` lie at least 9.6 standard errors away
#: (tests/test_robustness.py computes it): rejected with probability 1 − 1e-6.
ACCURACY_SETTINGS = {
    "linf": (math.inf, 0.15),
    "l2": (2.0, 0.35),
    "l3": (3.0, 0.3),
    "l1": (1.0, 0.45),
}
#: draws per setting: mc.required_draws for a 1% relative error at the accuracy's cv.
ACCURACY_DRAWS = 480_000


def _setting(name: str) -> tuple[float, float]:
    if name not in ACCURACY_SETTINGS:
        raise ValueError(
            f"name: one of {', '.join(map(repr, ACCURACY_SETTINGS))} is required, got {name!r}"
        )
    return ACCURACY_SETTINGS[name]


def accuracy_point(name: str) -> dict:
    """The numbers a candidate formula is evaluated at for one setting.

    >>> accuracy_point("l2")["n2"] == accuracy_point("l2")["nq"]
    True
    >>> accuracy_point("l4")
    Traceback (most recent call last):
    ...
    ValueError: name: one of 'linf', 'l2', 'l3', 'l1' is required, got 'l4'
    """
    p, eps = _setting(name)
    q = 1.0 if math.isinf(p) else (math.inf if p == 1 else p / (p - 1))
    w, mu = np.array(W), np.array(MU)
    return {
        "m": float(w @ mu),
        "nq": _norm(w, q),
        "np": _norm(w, p),
        "n2": _norm(w, 2),
        "s": S,
        "eps": eps,
    }


@lru_cache
def worst_direction(p: float, eps: float) -> np.ndarray:
    """``argmax_{‖δ‖_p ≤ ε} wᵀδ`` for the claims' ``w``, by linear programming or SLSQP.

    >>> round(float(np.dot(W, worst_direction(math.inf, 0.15))), 12)  # 0.15 ‖w‖₁
    0.5325
    """
    p, eps = rb.norm_order(p), arg.non_negative(eps, "eps")
    if eps == 0:
        return np.zeros(len(W))
    solver = _lp_maximum if p in P_LP else _slsqp_maximum
    return solver(W, eps, p)[1]


def robust_correct_sampler(p: float, eps: float):
    """A sampler of the indicator that the attacked point is still classified right.

    Draw ``y = ±1`` and ``x = yμ + s z``; attack with ``δ = −y δ_w`` (``δ_w`` of
    :func:`worst_direction`: the worst perturbation of a linear score is the same for every
    point, up to the label's sign); record ``y wᵀ(x + δ) > 0``.

    >>> s = robust_correct_sampler(2.0, 0.35)
    >>> s(5, torch.Generator().manual_seed(0)).shape
    torch.Size([5])
    """
    w = torch.tensor(W, dtype=torch.float64)
    mu = torch.tensor(MU, dtype=torch.float64)
    attack = torch.tensor(worst_direction(p, eps), dtype=torch.float64)

    def sampler(n, gen):
        y = torch.randint(0, 2, (n, 1), generator=gen, dtype=torch.float64) * 2 - 1
        x = y * mu + S * torch.randn(n, len(W), generator=gen, dtype=torch.float64)
        return ((y.squeeze(1) * ((x - y * attack) @ w)) > 0).to(torch.float64)

    return sampler


@lru_cache(maxsize=32)
def simulated_accuracy(name: str, seed: int):
    """The Monte Carlo estimate of the robust accuracy for one setting from ``seed``.

    >>> 0.5 < simulated_accuracy("linf", 0).mean < 0.9
    True
    """
    return mc.estimate(robust_correct_sampler(*_setting(name)), ACCURACY_DRAWS, seed=seed)


def _accuracy_check(name):
    def check(candidate, seed):
        point = accuracy_point(name)
        fn = (
            as_function(candidate, ACCURACY_VARIABLES)
            if isinstance(candidate, sp.Basic)
            else candidate
        )
        try:
            expected = float(fn(*(point[k] for k in ACCURACY_VARIABLES)))
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            return Evidence(
                passed=False,
                message=f"the answer cannot be evaluated: {exc}",
                witness=Witness(point, str(exc), None),
            )
        return mc.evidence(
            f"robustness.linear_accuracy.{name}",
            simulated_accuracy(name, seed),
            expected,
            point={**point, "p": ACCURACY_SETTINGS[name][0]},
        )

    return check
