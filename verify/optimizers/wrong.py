"""Plausible wrong optimizers (each is rejected in tests/test_mutations.py).

Each is an update function with the course API, written out here on its own so that one
slip at a time stands in for the derived rule.
"""

import numpy as np
import sympy as sp

from derivations import optimizers as opt

# the start claims' arguments, by name: v_B0, η (and μ, v_A0 for the gap)
v_A, v_B, eta, mu = sp.symbols("v_A v_B eta mu", real=True)


def _get(config, key, default):
    return (config or {}).get(key, default)


def _sgd(decay_factor):
    """SGD whose decay multiplies w by ``decay_factor(lr, decay)``."""

    def update(w, dw, config=None):
        config = dict(config or {})
        lr, decay = _get(config, "learning_rate", 1e-2), _get(config, "weight_decay", 0.0)
        return decay_factor(lr, decay) * w - lr * dw, config

    return update


def _momentum(*, mu_sign=1.0, w_sign=1.0, carry=True, decoupled=False):
    def update(w, dw, config=None):
        config = dict(config or {})
        lr, mu = _get(config, "learning_rate", 1e-2), _get(config, "momentum", 0.9)
        decay = _get(config, "weight_decay", 0.0)
        v = config.get("velocity", np.zeros_like(w)) if carry else np.zeros_like(w)
        grad = dw if decoupled else dw + decay * w
        v = mu_sign * mu * v - lr * grad
        config["velocity"] = v
        w_next = w + w_sign * v
        return (w_next - lr * decay * w if decoupled else w_next), config

    return update


def _adam(*, l2=True, decoupled=False, bias_correction=True, eps_inside=False, decay_lr=True):
    def update(w, dw, config=None):
        config = dict(config or {})
        lr, decay = _get(config, "learning_rate", 1e-3), _get(config, "weight_decay", 0.0)
        b1, b2, eps = 0.9, 0.999, _get(config, "epsilon", 1e-8)
        grad = dw + decay * w if l2 else dw
        t = config.get("t", 0) + 1
        m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * grad
        v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * grad**2
        config.update(m=m, v=v, t=t)
        m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if bias_correction else (m, v)
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        if decoupled:
            w = (1 - (lr if decay_lr else 1.0) * decay) * w
        return w - lr * m_hat / denom, config

    return update


def _gap_normalised_decay(w, g, lr, decay, eps):
    return lr * decay * w / (np.abs(g) + eps)


WRONG_ANSWERS = {
    "optimizers.sgd.torch": {
        "decay factor 1 − λ (η dropped)": _sgd(lambda lr, decay: 1 - decay),
        "decay factor 1 − ηλ/2 (the ½ of the penalty kept)": _sgd(lambda lr, d: 1 - lr * d / 2),
        "decay with the wrong sign, 1 + ηλ": _sgd(lambda lr, decay: 1 + lr * decay),
    },
    "optimizers.sgd_momentum.torch": {
        "momentum sign flipped, v ← −μv − ηg": _momentum(mu_sign=-1.0),
        "velocity subtracted, w ← w − v": _momentum(w_sign=-1.0),
        "velocity not carried between steps": _momentum(carry=False),
        "decay decoupled from the velocity": _momentum(decoupled=True),
    },
    "optimizers.sgd_momentum.schedule": {
        "convention B behind the A API": opt.sgd_momentum_pytorch,
        "momentum sign flipped, v ← −μv − ηg": _momentum(mu_sign=-1.0),
        "velocity not carried between steps": _momentum(carry=False),
    },
    "optimizers.sgd_momentum.start": {
        "v_A0 = v_B0: A equals B from any start": v_B,
        "v_A0 = η v_B0 (sign lost)": eta * v_B,
        "v_A0 = −v_B0 (η dropped)": -v_B,
        "v_A0 = −v_B0/η (the conversion inverted)": -v_B / eta,
        "v_A0 = 0 whatever B's buffer (torch's fresh start assumed)": sp.Integer(0),
    },
    "optimizers.sgd_momentum.start_gap": {
        "no gap: A equals B from any start": sp.Integer(0),
        "μ(v_A0 − η v_B0) (sign of B's buffer)": mu * (v_A - eta * v_B),
        "v_A0 + η v_B0 (μ dropped)": v_A + eta * v_B,
        "μ(v_A0 + v_B0) (η dropped)": mu * (v_A + v_B),
        "μ v_A0 (B's buffer ignored, as torch's fresh optimizer)": mu * v_A,
    },
    "optimizers.adam.torch": {
        "bias correction missing": _adam(bias_correction=False),
        "decoupled decay where the L2 penalty is due": _adam(l2=False, decoupled=True),
        "ε inside the square root": _adam(eps_inside=True),
    },
    "optimizers.adamw.torch": {
        "L2 penalty in the gradient where decoupled decay is due": _adam(l2=True),
        "decay factor 1 − λ (η dropped)": _adam(l2=False, decoupled=True, decay_lr=False),
        "bias correction missing": _adam(l2=False, decoupled=True, bias_correction=False),
    },
    "optimizers.adam.l2_vs_adamw": {
        "no gap: equivalent, as for SGD": lambda w, g, lr, decay, eps: np.zeros_like(w),
        "ηλw (the normalisation ignored)": lambda w, g, lr, decay, eps: lr * decay * w,
        "ηλw/(|g| + ε) (the decay normalised too)": _gap_normalised_decay,
    },
}
