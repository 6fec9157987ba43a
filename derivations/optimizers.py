"""Optimizer update rules, and why two momentum conventions and two decays agree or not.

The update rules follow the course API: ``update(w, dw, config=None) -> (next_w, config)``,
with the optimizer's state (velocity, moments, step count) kept in ``config``. Momentum uses
convention A, ``v ← μv − ηg; w ← w + v``; PyTorch uses convention B,
``v ← μv + g; w ← w − ηv``. The derivations prove that A and B give the same iterates while
``η`` is constant (``v_A = −η v_B``), compute the gap a change of ``η`` opens, show that an L2
penalty is decoupled weight decay for SGD with the factor ``1 − ηλ``, and that it is not for
Adam, where the normalisation rescales the penalty's gradient.

>>> import numpy as np
>>> w, config = sgd_momentum(np.array([1.0]), np.array([2.0]), {"learning_rate": 0.1})
>>> w, config["velocity"]
(array([0.8]), array([-0.2]))
>>> momentum_conventions().check().ok
True
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.printing import Equation
from derivations.render import Reason

# --- update rules ----------------------------------------------------------------------------


def _arrays(w, dw) -> tuple[np.ndarray, np.ndarray]:
    w, dw = arg.array(w, "w"), arg.array(dw, "dw")
    if w.shape != dw.shape:
        raise ValueError(f"dw: shape {dw.shape} does not match w's shape {w.shape}")
    return w, dw


def _state(config: dict, key: str, w: np.ndarray) -> np.ndarray:
    state = arg.array(config.get(key, np.zeros_like(w)), key)
    if state.shape != w.shape:
        raise ValueError(f"{key}: shape {state.shape} does not match w's shape {w.shape}")
    return state


def _config(config, defaults: dict, state=()) -> dict:
    """The settings with their defaults; a key the rule does not read (a typo such as
    ``"lr"``) is refused rather than silently replaced by its default."""
    return {**defaults, **arg.options(config, "config", (*defaults, *state))}


def _finite(value: np.ndarray, name: str, what: str, **inputs) -> np.ndarray:
    """``value``, or an OverflowError naming ``name`` when the step left float64's range."""
    if not np.all(np.isfinite(value)):
        shown = ", ".join(
            f"max |{k}| = {float(np.max(np.abs(v))):.3g}" if np.ndim(v) else f"{k} = {v:.3g}"
            for k, v in inputs.items()
        )
        raise OverflowError(f"{name}: {what} overflows float64 ({shown})")
    return value


def sgd(w, dw, config=None):
    """One step of SGD, ``w ← (1 − ηλ)w − η dw``; returns ``(next_w, config)``.

    ``weight_decay`` is λ of the penalty ``(λ/2)‖w‖²`` (default 0); for SGD the penalty's
    gradient and the decoupled decay are the same step (:func:`sgd_weight_decay`).

    >>> import numpy as np
    >>> sgd(np.array([1.0, 2.0]), np.array([10.0, -10.0]))[0]
    array([0.9, 2.1])
    >>> sgd(np.ones(2), np.ones(3))
    Traceback (most recent call last):
    ...
    ValueError: dw: shape (3,) does not match w's shape (2,)
    >>> sgd(np.ones(2), np.ones(2), {"lr": 0.1})
    Traceback (most recent call last):
    ...
    ValueError: config: keys among 'learning_rate', 'weight_decay' are required, got unknown key 'lr'
    >>> sgd(np.ones(2), np.full(2, 1e300), {"learning_rate": 1e10})
    Traceback (most recent call last):
    ...
    OverflowError: learning_rate: the step overflows float64 (learning_rate = 1e+10, max |w| = 1, max |dw| = 1e+300)
    """
    config = _config(config, {"learning_rate": 1e-2, "weight_decay": 0.0})
    w, dw = _arrays(w, dw)
    lr = arg.non_negative(config["learning_rate"], "learning_rate")
    decay = arg.non_negative(config["weight_decay"], "weight_decay")
    with np.errstate(over="ignore", invalid="ignore"):
        next_w = (1 - lr * decay) * w - lr * dw
    _finite(next_w, "learning_rate", "the step", learning_rate=lr, w=w, dw=dw)
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """One step of heavy-ball momentum in convention A: ``v ← μv − η(dw + λw); w ← w + v``.

    Config keys: ``learning_rate`` η (1e-2), ``momentum`` μ in [0, 1) (0.9), ``velocity``
    (zeros like ``w``), ``weight_decay`` λ (0; an L2 penalty, so it enters the velocity as in
    ``torch.optim.SGD``). Returns ``(next_w, config)``.

    From a nonzero ``velocity`` v this is ``torch.optim.SGD`` started from the buffer −v/η,
    not from v and not a fresh torch optimizer (whose first buffer is g): the two conventions
    coincide at every step iff ``v_A0 = −η v_B0`` (:func:`momentum_start`).

    >>> import numpy as np
    >>> w, c = sgd_momentum(np.array([1.0]), np.array([1.0]), {"learning_rate": 0.5})
    >>> w, c = sgd_momentum(w, np.array([1.0]), c)
    >>> w, c["velocity"]
    (array([-0.45]), array([-0.95]))
    >>> sgd_momentum(w, w, {"momentum": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: momentum: a real number in [0, 1) is required, got 1.0
    """
    config = _config(config, _MOMENTUM, ("velocity",))
    w, dw = _arrays(w, dw)
    lr = arg.non_negative(config["learning_rate"], "learning_rate")
    mu = arg.probability(config["momentum"], "momentum", open_high=True)
    decay = arg.non_negative(config["weight_decay"], "weight_decay")
    velocity = _state(config, "velocity", w)
    with np.errstate(over="ignore", invalid="ignore"):
        v = mu * velocity - lr * (dw + decay * w)
        next_w = w + v
    _finite(next_w, "learning_rate", "the step", learning_rate=lr, w=w, dw=dw, velocity=velocity)
    config["velocity"] = v
    return next_w, config


def sgd_momentum_pytorch(w, dw, config=None):
    """Momentum in convention B (PyTorch): ``b ← μb + (dw + λw); w ← w − ηb``.

    The state is ``config["buffer"]``. Same keys and defaults as :func:`sgd_momentum`.

    >>> import numpy as np
    >>> w, c = sgd_momentum_pytorch(np.array([1.0]), np.array([1.0]), {"learning_rate": 0.5})
    >>> w, c["buffer"]
    (array([0.5]), array([1.]))
    """
    config = _config(config, _MOMENTUM, ("buffer",))
    w, dw = _arrays(w, dw)
    lr = arg.non_negative(config["learning_rate"], "learning_rate")
    mu = arg.probability(config["momentum"], "momentum", open_high=True)
    decay = arg.non_negative(config["weight_decay"], "weight_decay")
    buffer = _state(config, "buffer", w)
    with np.errstate(over="ignore", invalid="ignore"):
        b = mu * buffer + (dw + decay * w)
        next_w = w - lr * b
    _finite(next_w, "learning_rate", "the step", learning_rate=lr, w=w, dw=dw, buffer=buffer)
    config["buffer"] = b
    return next_w, config


_MOMENTUM = {"learning_rate": 1e-2, "momentum": 0.9, "weight_decay": 0.0}
_ADAM = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
_ADAM_STATE = ("m", "v", "t")


def _adam_direction(w, dw, config, culprit="dw"):
    """Advance the moments in ``config`` by the gradient ``dw``; return ``m̂/(√v̂ + ε)``.
    ``culprit`` is the argument an overflow of the moments is blamed on."""
    b1 = arg.probability(config["beta1"], "beta1", open_high=True)
    b2 = arg.probability(config["beta2"], "beta2", open_high=True)
    eps = arg.non_negative(config["epsilon"], "epsilon")
    t = arg.non_negative_int(config.get("t", 0), "t") + 1
    m_prev, v_prev = _state(config, "m", w), _state(config, "v", w)
    with np.errstate(over="ignore", invalid="ignore"):
        m = b1 * m_prev + (1 - b1) * dw
        v = b2 * v_prev + (1 - b2) * dw**2
    # an infinite second moment would make the step silently 0, not an error
    _finite(v, culprit, "the second moment (1 - beta2)·g²", g=dw, v=v_prev)
    _finite(m, culprit, "the first moment", g=dw, m=m_prev)
    config.update(m=m, v=v, t=t)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return m_hat / (np.sqrt(v_hat) + eps)


def adam(w, dw, config=None):
    """One Adam step; ``weight_decay`` λ (default 0) is an L2 penalty added to the gradient.

    Config keys ``learning_rate`` (1e-3), ``beta1`` (0.9), ``beta2`` (0.999), ``epsilon``
    (1e-8), ``weight_decay``; state ``m``, ``v``, ``t``. This is ``torch.optim.Adam``.

    >>> import numpy as np
    >>> w, c = adam(np.array([1.0, 1.0]), np.array([3.0, -0.5]), {"epsilon": 0.0})
    >>> w, c["t"]
    (array([0.999, 1.001]), 1)
    >>> adam(np.ones(2), np.full(2, 1e200))  # dw² would be inf and the step silently 0
    Traceback (most recent call last):
    ...
    OverflowError: dw: the second moment (1 - beta2)·g² overflows float64 (max |g| = 1e+200, max |v| = 0)
    """
    config = _config(config, {**_ADAM, "weight_decay": 0.0}, _ADAM_STATE)
    w, dw = _arrays(w, dw)
    lr = arg.non_negative(config["learning_rate"], "learning_rate")
    decay = arg.non_negative(config["weight_decay"], "weight_decay")
    with np.errstate(over="ignore", invalid="ignore"):
        grad = dw + decay * w
    _finite(grad, "weight_decay", "the penalised gradient dw + weight_decay·w", dw=dw, w=w)
    penalty_larger = np.max(np.abs(decay * w), initial=0.0) > np.max(np.abs(dw), initial=0.0)
    direction = _adam_direction(w, grad, config, "weight_decay" if penalty_larger else "dw")
    with np.errstate(over="ignore", invalid="ignore"):
        next_w = w - lr * direction
    _finite(next_w, "learning_rate", "the step", learning_rate=lr, w=w)
    return next_w, config


def adamw(w, dw, config=None):
    """One AdamW step: decoupled decay ``w ← (1 − ηλ)w``, then Adam on ``dw`` alone.

    Same keys as :func:`adam`; ``weight_decay`` defaults to 1e-2 (``torch.optim.AdamW``).

    >>> import numpy as np
    >>> adamw(np.array([1.0]), np.array([3.0]), {"epsilon": 0.0, "weight_decay": 0.5})[0]
    array([0.9985])
    """
    config = _config(config, {**_ADAM, "weight_decay": 1e-2}, _ADAM_STATE)
    w, dw = _arrays(w, dw)
    lr = arg.non_negative(config["learning_rate"], "learning_rate")
    decay = arg.non_negative(config["weight_decay"], "weight_decay")
    direction = _adam_direction(w, dw, config)
    with np.errstate(over="ignore", invalid="ignore"):
        next_w = (1 - lr * decay) * w - lr * direction
    _finite(next_w, "learning_rate", "the step", learning_rate=lr, weight_decay=decay, w=w)
    return next_w, config


# --- derivations -------------------------------------------------------------------------------

w, g, v_A, v_B = sp.symbols("w g v_A v_B", real=True)
eta, eta_0, eta_1, lam, eps, a = sp.symbols("eta eta_0 eta_1 lambda epsilon a", positive=True)
mu = sp.Symbol("mu", nonnegative=True)
_UNIT = {mu: (0, 0.99)}
# Quoted in reasons and shown on the left-hand side.
_v_B_next, _w_B_next = sp.symbols("v'_B w'_B")
_v_A = v_A


def momentum_conventions() -> Derivation:
    """The induction step: if ``v_A = −η v_B`` before a step, it holds after it, and both
    conventions move ``w`` to the same point. Updates act coordinate-wise, so scalars do.

    >>> momentum_conventions().check().counts()["proved"]
    2
    """
    v_A = sp.Mul(-1, eta, v_B, evaluate=False)  # the induction hypothesis, kept visible
    v_A_next = sp.Add(sp.Mul(mu, v_A, evaluate=False), -eta * g, evaluate=False)
    w_A_next = sp.Add(w, v_A_next, evaluate=False)
    v_B_next = mu * v_B + g
    return Derivation(
        "Conventions A and B: one step preserves v_A = −η v_B",
        [w, g, v_B, eta, mu],
        [
            Step(
                sp.Matrix([v_A_next, w_A_next]),
                Reason("A's step, hypothesis {}", (Equation(_v_A, -eta * v_B),)),
            ),
            Step(sp.Matrix([-eta * mu * v_B - eta * g, w - eta * mu * v_B - eta * g]), "expand"),
            Step(
                sp.Matrix([-eta * v_B_next, w - eta * v_B_next]),
                Reason(
                    "factor {}: B's step {}, {}",
                    (
                        -eta,
                        Equation(_v_B_next, mu * v_B + g),
                        Equation(_w_B_next, w - eta * _v_B_next),
                    ),
                ),
            ),
        ],
        domain=_UNIT,
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
                        Equation(_v_B_next, mu * v_B + g),
                        Equation(_w_B_next, w - eta * _v_B_next),
                    ),
                ),
            ),
            Step(
                sp.Matrix([mu * v_A + eta * mu * v_B] * 2),
                Reason("expand: {} and {} cancel", (w, eta * g)),
            ),
            Step(sp.Matrix([mu * (v_A + eta * v_B)] * 2), Reason("factor {}", (mu,))),
        ],
        domain=_UNIT,
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
    v_A = sp.Mul(-1, eta_0, v_B, evaluate=False)
    w_A_next = sp.Add(w, sp.Mul(mu, v_A, evaluate=False), -eta_1 * g, evaluate=False)
    w_B_next = w - eta_1 * (mu * v_B + g)
    return Derivation(
        "Conventions A and B after the rate changes from η₀ to η₁",
        [w, g, v_B, eta_0, eta_1, mu],
        [
            Step(
                sp.Add(w_A_next, -w_B_next, evaluate=False),
                Reason("both steps; {}", (Equation(_v_A, -eta_0 * v_B),)),
            ),
            Step(
                eta_1 * mu * v_B - eta_0 * mu * v_B,
                Reason("expand; {} and {} cancel", (w, eta_1 * g)),
            ),
            Step(mu * v_B * (eta_1 - eta_0), "factor"),
        ],
        domain=_UNIT,
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
    w_A, v_A, w_B, v_B_ = w_0, sp.Integer(0), w_0, sp.Integer(0)
    for rate in (eta_0, eta_1):
        v_A = mu * v_A - rate * grad(w_A)
        w_A = w_A + v_A
        v_B_ = mu * v_B_ + grad(w_B)
        w_B = w_B - rate * v_B_
    return Derivation(
        "Two steps on a quadratic, the rate changing from η₀ to η₁",
        [w_0, a, eta_0, eta_1, mu],
        [
            Step(sp.Add(w_A, -w_B, evaluate=False), "run A and B for two steps"),
            Step(sp.expand(w_A - w_B), "expand"),
            Step(a * mu * w_0 * (eta_1 - eta_0), "factor"),
        ],
        domain=_UNIT,
        lhs=sp.Symbol("w_A^(2)") - sp.Symbol("w_B^(2)"),
        notes=("The same gap as the one-step lemma with v_B = a w₀, B's velocity after step 1.",),
    )


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
        domain={**_UNIT, eps: (1e-3, 1)},
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
    return _finite(value, "lr", "the gap", lr=lr, weight_decay=weight_decay, w_value=w_value)


#: Every derivation of the topic by id (for the CLI and the page).
DERIVATIONS = {
    "optimizers.momentum_conventions": momentum_conventions,
    "optimizers.momentum_start": momentum_start,
    "optimizers.momentum_schedule_gap": momentum_schedule_gap,
    "optimizers.quadratic_schedule_example": quadratic_schedule_example,
    "optimizers.sgd_weight_decay": sgd_weight_decay,
    "optimizers.adam_first_step_gap": adam_first_step_gap,
}
