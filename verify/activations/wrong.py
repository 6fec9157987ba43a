"""Plausible wrong answers to the activations claims (each is rejected in tests/test_mutations.py)."""

import sympy as sp

from derivations import activations as act
from derivations.functions import Phi, sigmoid

x = act.x
oo = sp.oo
W = sp.LambertW(sp.exp(-1))
GELU_MIN = act.get("gelu").output_range.inf
z1, z2, z3 = sp.symbols("z1:4", real=True)
_S = sp.exp(z1) + sp.exp(z2) + sp.exp(z3)
_p = sp.Matrix([sp.exp(z) / _S for z in (z1, z2, z3)])


def pw(neg, pos):
    return sp.Piecewise((neg, x < 0), (pos, True))


WRONG_ANSWERS = {
    "activations.leaky_relu.derivative": {
        "slope 0.1 instead of 0.01": pw(sp.Rational(1, 10), 1),
        "ReLU′ used for LeakyReLU": pw(0, 1),
        # right everywhere but at the kink, where torch returns the slope
        "LeakyReLU′(0) = 1 (slope 1 for x ≥ 0)": pw(sp.Rational(1, 100), 1),
    },
    "activations.softplus.derivative": {
        "eˣ/(1+eˣ)²": sp.exp(x) / (1 + sp.exp(x)) ** 2,
        "eˣ (outer derivative forgotten)": sp.exp(x),
        "σ(−x)": sigmoid(-x),
    },
    "activations.sigmoid.derivative": {
        "σ²": sigmoid(x) ** 2,
        "σ(1 + σ)": sigmoid(x) * (1 + sigmoid(x)),
    },
    "activations.tanh.derivative": {
        "1 − tanh": 1 - sp.tanh(x),
        "1 + tanh²": 1 + sp.tanh(x) ** 2,
    },
    "activations.relu.derivative": {
        "cases swapped": pw(1, 0),
        "the function instead of its derivative": pw(0, x),
        # right everywhere but at the kink, where torch returns 0
        "ReLU′(0) = 1 (slope 1 for x ≥ 0)": pw(0, 1),
        "ReLU′(0) = ½ (SymPy's Heaviside)": sp.Heaviside(x),
    },
    "activations.elu.derivative": {
        "eˣ − 1 kept for x < 0": pw(sp.exp(x) - 1, 1),
        "derivative 0 for x > 0": pw(sp.exp(x), 0),
    },
    "activations.gelu.derivative": {
        "Φ only (product rule forgotten)": Phi(x),
        "missing 1/√(2π)": Phi(x) + x * sp.exp(-(x**2) / 2),
    },
    "activations.silu.derivative": {
        "σ′ only": sigmoid(x) * (1 - sigmoid(x)),
        "missing the σ factor": 1 + x * (1 - sigmoid(x)),
    },
    "activations.leaky_relu.range": {
        "ReLU's range": sp.Interval(0, oo),
        "bounded below": sp.Interval(-1, oo),
    },
    "activations.softplus.range": {
        "closed at 0": sp.Interval(0, oo),
        "(0, 1)": sp.Interval.open(0, 1),
    },
    "activations.sigmoid.range": {
        "closed [0, 1]": sp.Interval(0, 1),
        "(−1, 1)": sp.Interval.open(-1, 1),
    },
    "activations.tanh.range": {
        "closed [−1, 1]": sp.Interval(-1, 1),
        "(0, 1)": sp.Interval.open(0, 1),
    },
    "activations.relu.range": {
        "(0, ∞)": sp.Interval.open(0, oo),
        "all reals": sp.Interval(-oo, oo),
    },
    "activations.elu.range": {
        "closed at −1": sp.Interval(-1, oo),
        "all reals": sp.Interval(-oo, oo),
    },
    "activations.gelu.range": {
        "open at the minimum": sp.Interval.open(GELU_MIN, oo),
        "[0, ∞)": sp.Interval(0, oo),
        "minimum −0.5": sp.Interval(-sp.Rational(1, 2), oo),
    },
    "activations.silu.range": {
        "open at the minimum": sp.Interval.open(-W, oo),
        "minimum −1/e": sp.Interval(-sp.exp(-1), oo),
    },
    "activations.relu.kink": {"ReLU′(0) = 1": 1, "ReLU′(0) = ½": 0.5},
    "activations.leaky_relu.kink": {"LeakyReLU′(0) = 1": 1, "ReLU's 0": 0},
    "activations.elu.kink": {"ELU′(0) = 0": 0, "ELU′(0) = 2": 2, "ELU′(0) = ½": 0.5},
    "activations.softmax.jacobian": {
        "diag(p) + p pᵀ": sp.diag(*_p) + _p * _p.T,
        "− p pᵀ only": -_p * _p.T,
        "diag(p) only": sp.diag(*_p),
    },
}
