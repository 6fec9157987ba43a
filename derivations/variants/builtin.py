"""The built-in per-student questions: the course's MLP step, ridge, initialization.

Loaded by :data:`derivations.variants.LAZY` on first use; each topic is imported inside the
functions that need it.

>>> MLP.name, RIDGE.name, INITIALIZATION.name
('mlp', 'ridge', 'initialization')
"""

from __future__ import annotations

import numpy as np

from derivations.variants import Variant, rng, student_id

# --- the MLP question: the course's own generator ----------------------------------------------

_MLP_OPTIONS = ("x", "label", "lr", "label_smoothing", "slope", "activation", "hidden")


def _mlp_parameters(sid, **options):
    from derivations.mlp import student_parameters

    hidden = options.get("hidden") or (4,)
    return {k: v.tolist() for k, v in student_parameters(sid, hidden=hidden).items()}


def _mlp_key(sid, **options):
    from derivations.mlp import answer_key

    key = answer_key(student_id(sid), **options)
    return {k: (float(v) if k in ("loss", "y_hat") else v) for k, v in key.items()}


def _mlp_worked(sid, fmt, **options):
    from derivations.mlp.solution import worked_solution

    return worked_solution(student_id(sid), fmt=fmt, **options)


MLP = Variant(
    "mlp",
    "One SGD step of the course network",
    _mlp_parameters,
    _mlp_key,
    options=_MLP_OPTIONS,
    worked=_mlp_worked,
)


# --- the ridge question --------------------------------------------------------------------

#: Values a drawn parameter takes: none is 1 (a factor of 1 hides a missing factor), and the
#: eigenvalues are distinct so a sum term written for the wrong direction shows.
_EIGENVALUES = (0.5, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
_SIGMA_W2 = (0.5, 1.5, 2.0, 2.5, 3.0, 4.0)
_SIGMA_EPS2 = (0.25, 0.5, 0.75, 1.5, 2.0)
_MU = (0.25, 0.5, 0.75, 1.5, 2.0, 3.0)
RIDGE_SALT = 0x72696467  # "ridg"
INIT_SALT = 0x696E6974  # "init"


def _pick(g: np.random.Generator, values):
    return values[int(g.integers(len(values)))]


def _ridge_parameters(sid, **options):
    if options:
        raise ValueError(f"options: the ridge question takes none, got {sorted(options)}")
    g = rng(sid, RIDGE_SALT)
    d = int(g.integers(3, 6))  # 3 to 5 directions: short enough to sum by hand
    eig = sorted((float(e) for e in g.choice(_EIGENVALUES, size=d, replace=False)), reverse=True)
    return {
        "d": d,
        "eigenvalues": eig,
        "sigma_w2": _pick(g, _SIGMA_W2),
        "sigma_eps2": _pick(g, _SIGMA_EPS2),
        "mu": _pick(g, _MU),
    }


def _ridge_key(sid, **options):
    from derivations.ridge import bayes_risk, optimal_mu

    p = _ridge_parameters(sid, **options)
    eig, sw2, se2 = p["eigenvalues"], p["sigma_w2"], p["sigma_eps2"]
    mu_star = optimal_mu(p["d"], sw2, se2)
    return {
        "bayes_risk": bayes_risk(eig, p["mu"], sw2, se2),
        "optimal_mu": mu_star,
        "optimal_risk": bayes_risk(eig, mu_star, sw2, se2),
    }


RIDGE = Variant(
    "ridge",
    "Bayes risk of ridge regression",
    _ridge_parameters,
    _ridge_key,
    formulas={
        "bayes_risk": "Σᵢ ((σ_w²/d) μ² + σ_ε² λᵢ)/(λᵢ + μ)² at the given μ",
        "optimal_mu": "μ* = d σ_ε²/σ_w²",
        "optimal_risk": "Σᵢ ((σ_w²/d) μ*² + σ_ε² λᵢ)/(λᵢ + μ*)²",
    },
)


# --- the initialization question -------------------------------------------------------------

_SCHEMES = ("xavier_relu", "kaiming_relu", "xavier_tanh")
_WIDTHS = (64, 128, 256, 512)


def _init_parameters(sid, **options):
    if options:
        raise ValueError(f"options: the initialization question takes none, got {sorted(options)}")
    g = rng(sid, INIT_SALT)
    fan_in, fan_out = (int(v) for v in g.integers(20, 1000, size=2))
    return {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "scheme": _pick(g, _SCHEMES),
        "layer": int(g.integers(2, 9)),
        "width": _pick(g, _WIDTHS),
    }


def _init_key(sid, **options):
    from derivations.initialization import (
        kaiming_normal_std,
        post_activation_moments,
        xavier_uniform_bound,
    )

    p = _init_parameters(sid, **options)
    mean, std = post_activation_moments(p["scheme"], p["layer"], p["width"])
    return {
        "xavier_uniform_bound": xavier_uniform_bound(p["fan_in"], p["fan_out"]),
        "kaiming_normal_std": kaiming_normal_std(p["fan_in"]),
        "post_activation_mean": mean,
        "post_activation_std": std,
    }


INITIALIZATION = Variant(
    "initialization",
    "Initialization scales and post-activation moments",
    _init_parameters,
    _init_key,
    formulas={
        "xavier_uniform_bound": "sqrt(6/(fan_in + fan_out))",
        "kaiming_normal_std": "sqrt(2/fan_in)",
        "post_activation_mean": "mean of φ(u_layer), u_layer ~ N(0, q_layer) (variance map)",
        "post_activation_std": "std of φ(u_layer), u_layer ~ N(0, q_layer)",
    },
)
