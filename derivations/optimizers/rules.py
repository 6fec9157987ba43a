"""The update rules with the course API, ``update(w, dw, config=None) -> (next_w, config)``:
SGD, momentum in conventions A and B, Adam and AdamW, each validating its arguments.

>>> import numpy as np
>>> sgd(np.array([1.0]), np.array([2.0]), {"learning_rate": 0.25})[0]
array([0.5])
"""

from __future__ import annotations

import numpy as np

from derivations import arguments as arg


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


def finite(value: np.ndarray, name: str, what: str, **inputs) -> np.ndarray:
    """``value``, or an OverflowError naming ``name`` when the step left float64's range;
    ``inputs`` are the values the message shows.

    >>> finite(np.array([1.0, np.inf]), "learning_rate", "the step", learning_rate=1e308)
    Traceback (most recent call last):
    ...
    OverflowError: learning_rate: the step overflows float64 (learning_rate = 1e+308)
    """
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
    finite(next_w, "learning_rate", "the step", learning_rate=lr, w=w, dw=dw)
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
    finite(next_w, "learning_rate", "the step", learning_rate=lr, w=w, dw=dw, velocity=velocity)
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
    finite(next_w, "learning_rate", "the step", learning_rate=lr, w=w, dw=dw, buffer=buffer)
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
    finite(v, culprit, "the second moment (1 - beta2)·g²", g=dw, v=v_prev)
    finite(m, culprit, "the first moment", g=dw, m=m_prev)
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
    finite(grad, "weight_decay", "the penalised gradient dw + weight_decay·w", dw=dw, w=w)
    penalty_larger = np.max(np.abs(decay * w), initial=0.0) > np.max(np.abs(dw), initial=0.0)
    direction = _adam_direction(w, grad, config, "weight_decay" if penalty_larger else "dw")
    with np.errstate(over="ignore", invalid="ignore"):
        next_w = w - lr * direction
    finite(next_w, "learning_rate", "the step", learning_rate=lr, w=w)
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
    finite(next_w, "learning_rate", "the step", learning_rate=lr, weight_decay=decay, w=w)
    return next_w, config
