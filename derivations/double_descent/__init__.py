"""Double descent, computed: the exact risk of min-norm least squares, ridge, the three kinds.

- :mod:`.min_norm`: the finite-sample risk on both sides of the interpolation threshold
  ``N = d`` (inverse-Wishart moments), the test risk, when more data hurts, the misspecified
  model, the proportional limits;
- :mod:`.ridge_limit`: the Marchenko–Pastur limit of the ridge risk and its optimal ``λ``;
- :mod:`.kinds`: model-wise (random ReLU features and their kernel, the degree-1 arc-cosine
  kernel) and epoch-wise (gradient descent on two scales, exact in the eigenbasis).

>>> min_norm_risk(24, 12, 0.6, 2.5), test_risk(24, 12, 0.6, 2.5)
(0.6545..., 1.2545...)
"""

from __future__ import annotations

from derivations.double_descent import kinds, min_norm, ridge_limit
from derivations.double_descent.kinds import arccos_kernel, gd_risk_curve, monotone_pieces
from derivations.double_descent.min_norm import (
    min_norm_risk,
    misspecified_test_risk,
    more_data_hurts,
    test_risk,
)
from derivations.double_descent.ridge_limit import (
    min_norm_limit,
    optimal_lambda,
    ridge_limit_risk,
    stieltjes,
)

#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {
    "double_descent.inverse_wishart_d1": min_norm.chi_square_inverse,
    "double_descent.projection": min_norm.projection_mean,
    "double_descent.under": min_norm.under_risk,
    "double_descent.over": min_norm.over_risk,
    "double_descent.test_point": min_norm.fresh_point,
    "double_descent.more_data": min_norm.more_data,
    "double_descent.misspecified": min_norm.misspecified,
    "double_descent.limit_under": lambda: min_norm.proportional_limits()[0],
    "double_descent.limit_over": lambda: min_norm.proportional_limits()[1],
    "double_descent.marchenko_pastur": ridge_limit.stieltjes_equation,
    "double_descent.ridge_optimum": ridge_limit.optimum,
    "double_descent.ridgeless_under": lambda: ridge_limit.ridgeless()[0],
    "double_descent.ridgeless_over": lambda: ridge_limit.ridgeless()[1],
    "double_descent.arccos_kernel": kinds.arccos_derivation,
    "double_descent.gd_eigenbasis": kinds.gd_step,
}

__all__ = [
    "DERIVATIONS",
    "arccos_kernel",
    "gd_risk_curve",
    "min_norm_limit",
    "min_norm_risk",
    "misspecified_test_risk",
    "monotone_pieces",
    "more_data_hurts",
    "optimal_lambda",
    "ridge_limit_risk",
    "stieltjes",
    "test_risk",
]
