"""The two momentum conventions: the same iterates for constant ``η`` from starts with
``v_A0 = −η v_B0`` (so from zero), the gap any other start opens, and the gap a change of ``η``
opens.

>>> momentum_conventions().check().ok, start_condition()
(True, -eta*v_B)
"""

from __future__ import annotations

import sympy as sp

from derivations.core import Derivation, Step
from derivations.optimizers.symbols import (
    a,
    eta,
    eta_0,
    eta_1,
    g,
    mu,
    unit_mu,
    v_A,
    v_B,
    v_B_next,
    w,
    w_B_next,
)
from derivations.printing import Equation
from derivations.render import Reason


def momentum_conventions() -> Derivation:
    """The induction step: if ``v_A = −η v_B`` before a step, it holds after it, and both
    conventions move ``w`` to the same point. Updates act coordinate-wise, so scalars do.

    >>> momentum_conventions().check().counts()["proved"]
    2
    """
    hypothesis = sp.Mul(-1, eta, v_B, evaluate=False)  # v_A, kept visible as -η v_B
    v_A_next = sp.Add(sp.Mul(mu, hypothesis, evaluate=False), -eta * g, evaluate=False)
    w_A_next = sp.Add(w, v_A_next, evaluate=False)
    b_next = mu * v_B + g
    return Derivation(
        "Conventions A and B: one step preserves v_A = −η v_B",
        [w, g, v_B, eta, mu],
        [
            Step(
                sp.Matrix([v_A_next, w_A_next]),
                Reason("A's step, hypothesis {}", (Equation(v_A, -eta * v_B),)),
            ),
            Step(sp.Matrix([-eta * mu * v_B - eta * g, w - eta * mu * v_B - eta * g]), "expand"),
            Step(
                sp.Matrix([-eta * b_next, w - eta * b_next]),
                Reason(
                    "factor {}: B's step {}, {}",
                    (
                        -eta,
                        Equation(v_B_next, mu * v_B + g),
                        Equation(w_B_next, w - eta * v_B_next),
                    ),
                ),
            ),
        ],
        domain=unit_mu,
        lhs=sp.Matrix([sp.Symbol("v'_A"), sp.Symbol("w'_A")]),
        notes=(
            "Base case: both velocities start at zero, and 0 = −η·0 (momentum_start: from any "
            "other start that breaks v_A = −η v_B the iterates differ after one step).",
            "So for constant η the iterates coincide at every step.",
        ),
    )


def momentum_start() -> Derivation:
    """One step of A from velocity ``v_A`` and of B from buffer ``v_B``, from the same ``w``
    with the same gradient: the weights and the defect ``v_A + η v_B`` both move by μ times
    the defect they start with.

    >>> momentum_start().result.T
    Matrix([[mu*(eta*v_B + v_A), mu*(eta*v_B + v_A)]])
    """
    a_velocity = sp.Add(sp.Mul(mu, v_A, evaluate=False), -eta * g, evaluate=False)
    b_velocity = sp.Add(sp.Mul(mu, v_B, evaluate=False), g, evaluate=False)
    w_gap = sp.Add(
        sp.Add(w, a_velocity, evaluate=False),
        sp.Mul(
            -1,
            sp.Add(w, sp.Mul(-1, eta, b_velocity, evaluate=False), evaluate=False),
            evaluate=False,
        ),
        evaluate=False,
    )
    defect = sp.Add(a_velocity, sp.Mul(eta, b_velocity, evaluate=False), evaluate=False)
    return Derivation(
        "Conventions A and B from any start: one step",
        [w, g, v_A, v_B, eta, mu],
        [
            Step(
                sp.Matrix([w_gap, defect]),
                Reason(
                    "A's step {}, {}; B's step {}, {}",
                    (
                        Equation(sp.Symbol("v'_A"), mu * v_A - eta * g),
                        Equation(sp.Symbol("w'_A"), w + sp.Symbol("v'_A")),
                        Equation(v_B_next, mu * v_B + g),
                        Equation(w_B_next, w - eta * v_B_next),
                    ),
                ),
            ),
            Step(
                sp.Matrix([mu * v_A + eta * mu * v_B] * 2),
                Reason("expand: {} and {} cancel", (w, eta * g)),
            ),
            Step(sp.Matrix([mu * (v_A + eta * v_B)] * 2), Reason("factor {}", (mu,))),
        ],
        domain=unit_mu,
        lhs=sp.Matrix(
            [sp.Symbol("w'_A") - sp.Symbol("w'_B"), sp.Symbol("v'_A") + eta * sp.Symbol("v'_B")]
        ),
        notes=(
            "With μ > 0 both entries vanish iff v_A = −η v_B. Then the weights agree after the "
            "step and so does the relation (momentum_conventions), so by induction the two "
            "recursions coincide at every step; otherwise they differ after the first step. "
            "The iterates coincide for all steps iff the starts satisfy v_A0 = −η v_B0.",
            "From zero both hold 0 = −η·0, and so does torch's first step, which sets its "
            "buffer to g (B from v_B0 = 0). One array v ≠ 0 given to both as their start is "
            "v_A0 + η v_B0 = (1 + η)v: the weights part by μ(1 + η)v in one step.",
        ),
    )


def start_condition() -> sp.Expr:
    """The start of A that makes it follow B from buffer ``v_B``: the root in ``v_A`` of the
    first step's gap :func:`momentum_start` (for μ > 0).

    >>> start_condition()
    -eta*v_B
    """
    positive_mu = sp.Symbol("mu", positive=True)
    gap = momentum_start().result[0].xreplace({mu: positive_mu})
    (root,) = sp.solveset(gap, v_A, sp.S.Reals)
    return root


def momentum_schedule_gap() -> Derivation:
    """The gap one change of rate opens: ``η₀`` for every step so far, then ``η₁``.

    Before the change ``v_A = −η₀ v_B`` (:func:`momentum_conventions`); the first step at
    ``η₁`` takes A to ``w + μv_A − η₁g`` and B to ``w − η₁(μv_B + g)``.

    >>> momentum_schedule_gap().result
    mu*v_B*(-eta_0 + eta_1)
    """
    hypothesis = sp.Mul(-1, eta_0, v_B, evaluate=False)  # v_A before the change
    w_A_next = sp.Add(w, sp.Mul(mu, hypothesis, evaluate=False), -eta_1 * g, evaluate=False)
    w_B_next = w - eta_1 * (mu * v_B + g)
    return Derivation(
        "Conventions A and B after the rate changes from η₀ to η₁",
        [w, g, v_B, eta_0, eta_1, mu],
        [
            Step(
                sp.Add(w_A_next, -w_B_next, evaluate=False),
                Reason("both steps; {}", (Equation(v_A, -eta_0 * v_B),)),
            ),
            Step(
                eta_1 * mu * v_B - eta_0 * mu * v_B,
                Reason("expand; {} and {} cancel", (w, eta_1 * g)),
            ),
            Step(mu * v_B * (eta_1 - eta_0), "factor"),
        ],
        domain=unit_mu,
        lhs=sp.Symbol("w'_A") - sp.Symbol("w'_B"),
        notes=("Zero only if η₁ = η₀, μ = 0 or v_B = 0: A keeps velocity measured in old steps.",),
    )


def quadratic_schedule_example() -> Derivation:
    """A concrete schedule on ``f(w) = a w²/2`` from ``w₀``, zero velocity: step 1 at ``η₀``,
    step 2 at ``η₁``. The iterates are built by running both recurrences symbolically.

    >>> quadratic_schedule_example().result
    a*mu*w_0*(-eta_0 + eta_1)
    """
    w_0 = sp.Symbol("w_0", real=True)
    grad = lambda u: a * u  # noqa: E731 - the loss's gradient, as the recurrences see it
    w_A, vel_A, w_B, vel_B = w_0, sp.Integer(0), w_0, sp.Integer(0)
    for rate in (eta_0, eta_1):
        vel_A = mu * vel_A - rate * grad(w_A)
        w_A = w_A + vel_A
        vel_B = mu * vel_B + grad(w_B)
        w_B = w_B - rate * vel_B
    return Derivation(
        "Two steps on a quadratic, the rate changing from η₀ to η₁",
        [w_0, a, eta_0, eta_1, mu],
        [
            Step(sp.Add(w_A, -w_B, evaluate=False), "run A and B for two steps"),
            Step(sp.expand(w_A - w_B), "expand"),
            Step(a * mu * w_0 * (eta_1 - eta_0), "factor"),
        ],
        domain=unit_mu,
        lhs=sp.Symbol("w_A^(2)") - sp.Symbol("w_B^(2)"),
        notes=("The same gap as the one-step lemma with v_B = a w₀, B's velocity after step 1.",),
    )
