"""The symbols the optimizer derivations share, with their assumptions.

>>> mu.is_nonnegative, eta.is_positive, v_A.is_real
(True, True, True)
"""

from __future__ import annotations

import sympy as sp

w, g, v_A, v_B = sp.symbols("w g v_A v_B", real=True)
eta, eta_0, eta_1, lam, eps, a = sp.symbols("eta eta_0 eta_1 lambda epsilon a", positive=True)
mu = sp.Symbol("mu", nonnegative=True)
#: The domain of the numeric spot checks: a momentum below 1.
unit_mu = {mu: (0, 0.99)}
#: B's next buffer and weights, quoted in reasons.
v_B_next, w_B_next = sp.symbols("v'_B w'_B")
