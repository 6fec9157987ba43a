"""Plausible wrong answers to the ridge claims (collected by test_mutations.py).

A Bayes-risk candidate is one direction's risk in ``lam, mu, sw2, se2, d`` (summed over the
spectrum by the claim); a ``μ*`` candidate is an expression in ``d, sw2, se2``.
"""

import sympy as sp

from verify.ridge import CONFIGS

lam, mu, sw2, se2, d = sp.symbols("lam mu sw2 se2 d")

RISK = {
    "μ instead of μ²": (sw2 / d * mu + se2 * lam) / (lam + mu) ** 2,
    "λ_i squared in the numerator": (sw2 / d * mu**2 + se2 * lam**2) / (lam + mu) ** 2,
    "σ_w² instead of σ_w²/d": (sw2 * mu**2 + se2 * lam) / (lam + mu) ** 2,
    "(λ_i + μ) not squared": (sw2 / d * mu**2 + se2 * lam) / (lam + mu),
}

MUTATIONS = {f"ridge.bayes_risk.{name}": dict(RISK) for name in CONFIGS}
MUTATIONS["ridge.optimal_mu"] = {
    "d forgotten: σ_ε²/σ_w²": se2 / sw2,
    "ratio inverted: d σ_w²/σ_ε²": d * sw2 / se2,
    "d in the denominator: σ_ε²/(d σ_w²)": se2 / (d * sw2),
    "standard deviations: d σ_ε/σ_w": d * sp.sqrt(se2 / sw2),
}
