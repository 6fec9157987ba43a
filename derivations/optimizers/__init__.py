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

from derivations.optimizers.decay import adam_first_step_gap, adam_gap_value, sgd_weight_decay
from derivations.optimizers.momentum import (
    momentum_conventions,
    momentum_schedule_gap,
    momentum_start,
    quadratic_schedule_example,
    start_condition,
)
from derivations.optimizers.rules import adam, adamw, sgd, sgd_momentum, sgd_momentum_pytorch
from derivations.optimizers.symbols import a, eps, eta, eta_0, eta_1, g, lam, mu, v_A, v_B, w

#: Every derivation of the topic by id (for the CLI and the page).
DERIVATIONS = {
    "optimizers.momentum_conventions": momentum_conventions,
    "optimizers.momentum_start": momentum_start,
    "optimizers.momentum_schedule_gap": momentum_schedule_gap,
    "optimizers.quadratic_schedule_example": quadratic_schedule_example,
    "optimizers.sgd_weight_decay": sgd_weight_decay,
    "optimizers.adam_first_step_gap": adam_first_step_gap,
}

__all__ = [
    "DERIVATIONS", "a", "adam", "adam_first_step_gap", "adam_gap_value", "adamw", "eps", "eta",
    "eta_0", "eta_1", "g", "lam", "momentum_conventions", "momentum_schedule_gap",
    "momentum_start", "mu", "quadratic_schedule_example", "sgd", "sgd_momentum",
    "sgd_momentum_pytorch", "sgd_weight_decay", "start_condition", "v_A", "v_B", "w",
]  # fmt: skip
