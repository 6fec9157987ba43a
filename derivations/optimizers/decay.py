"""Weight decay: an L2 penalty is decoupled decay for SGD (factor ``1 − ηλ``), not for Adam.

>>> sgd_weight_decay().check().ok
True
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.optimizers.rules import finite
from derivations.optimizers.symbols import eps, eta, g, lam, unit_mu, w
from derivations.printing import Equation
from derivations.render import Reason


def sgd_weight_decay() -> Derivation:
    """SGD on ``f + (λ/2)w²`` is decoupled weight decay with the factor ``1 − ηλ``.

    >>> sgd_weight_decay().result
    -eta*g + w*(-eta*lambda + 1)
    """
    return Derivation(
        "An L2 penalty in SGD is decoupled weight decay",
        [w, g, eta, lam],
        [
            Step(
                w - eta * (g + sp.Derivative(lam * w**2 / 2, w)),
                Reason("SGD on {}", (sp.Symbol("f") + lam / 2 * w**2,)),
            ),
            Step(w - eta * (g + lam * w), "power rule"),
            Step((1 - eta * lam) * w - eta * g, Reason("collect {}", (w,))),
        ],
        lhs=sp.Symbol("w'"),
        notes=("Coordinate-wise, so the same holds for vectors: w ← (1 − ηλ)w − ηg.",),
    )


def adam_first_step_gap() -> Derivation:
    """Adam on ``f + (λ/2)w²`` against AdamW with decay λ: their first steps from zero moments.

    From zero moments the bias-corrected moments at ``t = 1`` are ``m̂ = ĝ`` and ``v̂ = ĝ²``
    for the gradient ``ĝ`` each one sees; what remains is the normalised direction of two
    different gradients, and the decay that only AdamW applies.

    >>> adam_first_step_gap().check().ok
    True
    """
    g_l2 = g + lam * w

    def first_step(grad):
        return eta * grad / (sp.sqrt(grad**2) + eps)

    l2, decoupled = w - first_step(g_l2), (1 - eta * lam) * w - first_step(g)
    m_hat, g_hat = sp.symbols("mhat ghat")
    return Derivation(
        "First step of Adam with an L2 penalty minus the first step of AdamW",
        [w, g, eta, lam, eps],
        [
            Step(
                sp.Add(l2, -decoupled, evaluate=False),
                Reason(
                    "one step each; at {}, {}, {}",
                    (
                        Equation(sp.Symbol("t"), 1),
                        Equation(m_hat, g_hat),
                        Equation(sp.sqrt(sp.Symbol("vhat")), sp.Abs(g_hat)),
                    ),
                ),
            ),
            Step(
                eta * lam * w + eta * g / (sp.Abs(g) + eps) - eta * g_l2 / (sp.Abs(g_l2) + eps),
                Reason(
                    "{}",
                    (
                        Equation(
                            sp.Add(w, sp.Mul(-1, 1 - eta * lam, w, evaluate=False), evaluate=False),
                            eta * lam * w,
                        ),
                    ),
                ),
            ),
            Step(
                eta * (lam * w + g / (sp.Abs(g) + eps) - g_l2 / (sp.Abs(g_l2) + eps)),
                Reason("collect {}", (eta,)),
            ),
        ],
        domain={**unit_mu, eps: (1e-3, 1)},
        lhs=sp.Symbol("w'_L2") - sp.Symbol("w'_AdamW"),
        notes=(
            "With ε → 0 and g, g + λw of one sign, the normalised directions cancel and the gap "
            "is ηλw: the size of AdamW's decay, which Adam's normalisation removes from the L2 "
            "step.",
        ),
    )


def adam_gap_value(w_value, g_value, lr, weight_decay, epsilon):
    """The first-step gap of :func:`adam_first_step_gap` at numbers (NumPy, elementwise).

    >>> round(float(adam_gap_value(1.0, 1.0, 0.1, 0.1, 0.0)), 12)
    0.01
    """
    w_value, g_value = arg.array(w_value, "w_value"), arg.array(g_value, "g_value")
    lr = arg.non_negative(lr, "lr")
    weight_decay = arg.non_negative(weight_decay, "weight_decay")
    epsilon = arg.non_negative(epsilon, "epsilon")
    gap = sp.lambdify([w, g, eta, lam, eps], adam_first_step_gap().result, "numpy")
    with np.errstate(over="ignore", invalid="ignore"):
        value = np.asarray(gap(w_value, g_value, lr, weight_decay, epsilon), dtype=np.float64)
    return finite(value, "lr", "the gap", lr=lr, weight_decay=weight_decay, w_value=w_value)
