"""Plausible wrong answers to the mlp claims (each is rejected in tests/test_mutations.py).

Each wrong answer key is the right computation with one slip a student (or a careless
implementation) makes; the slips are written out here, not borrowed from the derived code.
"""

import numpy as np

from derivations import mlp
from derivations.mlp.key import SHAPES

X = (1.0, -1.0, 1.5)


def _wrong_key(slip):
    """An answer-key function with the slip ``slip`` in it."""

    def key(
        student_id=None, *, params=None, x=X, label=3, lr=0.01, label_smoothing=0.0, slope=0.01
    ):
        p_ = mlp.student_parameters(student_id) if params is None else params
        W1, b1, W2, b2 = (np.asarray(p_[k], dtype=float) for k in ("W1", "b1", "W2", "b2"))
        x = np.asarray(x, dtype=float).reshape(-1, 1)
        h1_bar = W1 @ x + b1
        h1 = np.where(h1_bar > 0, h1_bar, slope * h1_bar)
        h2 = W2 @ h1 + b2
        p = np.exp(h2 - h2.max()) / np.exp(h2 - h2.max()).sum()
        m = len(h2)
        index = label if slip == "0-based label" else label - 1
        onehot = np.eye(m)[:, [index]]
        y_tilde = (1 - label_smoothing) * onehot + label_smoothing / m
        if slip == "smoothing in the loss only":
            loss = float(-(y_tilde * np.log(p)).sum())
            dl_dh2 = p - onehot
        elif slip == "onehot(y) for ỹ":
            loss = float(-np.log(p[index, 0]))
            dl_dh2 = p - onehot
        elif slip == "α/M left out of ỹ":
            y_tilde = (1 - label_smoothing) * onehot
            loss = float(-(y_tilde * np.log(p)).sum())
            dl_dh2 = p - y_tilde
        else:
            loss = float(-(y_tilde * np.log(p)).sum())
            dl_dh2 = p - y_tilde
        dl_dW2 = h1 @ dl_dh2.T if slip == "δhᵀ transposed" else dl_dh2 @ h1.T
        dl_dh1 = W2.T @ dl_dh2
        phi_prime = {
            "no φ′": np.ones_like(h1_bar),
            "ReLU′": np.where(h1_bar > 0, 1.0, 0.0),
            "φ′(0) = 1": np.where(h1_bar >= 0, 1.0, slope),
        }.get(slip, np.where(h1_bar > 0, 1.0, slope))
        dl_dh1_bar = dl_dh1 * phi_prime
        dl_dW1 = dl_dh1_bar @ x.T
        sign = {"θ + η g": -1.0}.get(slip, 1.0)
        step = {"η left out": 1.0, "η squared": lr * lr}.get(slip, lr)
        grads = {"W2": dl_dW2, "b2": dl_dh2, "W1": dl_dW1, "b1": dl_dh1_bar}
        values = dict(W1=W1, b1=b1, W2=W2, b2=b2)
        new = {f"{k}_new": values[k] - sign * step * grads[k] for k in ("W2", "b2", "W1", "b1")}
        return dict(
            h1_bar=h1_bar,
            h1=h1,
            h2=h2,
            p=p,
            y_hat=int(np.argmax(h2[:, 0])) + 1,
            loss=loss,
            dl_dh2=dl_dh2,
            dl_dW2=dl_dW2,
            dl_db2=dl_dh2,
            dl_dh1=dl_dh1,
            dl_dh1_bar=dl_dh1_bar,
            dl_dW1=dl_dW1,
            dl_db1=dl_dh1_bar,
            **new,
        )

    return key


def _wrong_deep_key(slip):
    """An answer key for ReLU or LeakyReLU nets of any depth, with the slip ``slip``."""

    def key(
        student_id=None, *, params=None, x=X, label=3, lr=0.01, label_smoothing=0.0,
        activation="leaky_relu", slope=None, hidden=None,
    ):  # fmt: skip
        if params is None:
            params = mlp.student_parameters(student_id, hidden=hidden or (4,))
        depth = len(params) // 2
        W = [np.asarray(params[f"W{k}"], dtype=float) for k in range(1, depth + 1)]
        b = [np.asarray(params[f"b{k}"], dtype=float).reshape(-1, 1) for k in range(1, depth + 1)]
        a = 0.0 if activation == "relu" else (0.01 if slope is None else slope)
        if slip == "slope fixed at 0.01":
            a = 0.0 if activation == "relu" else 0.01
        h, pre = [np.asarray(x, dtype=float).reshape(-1, 1)], [None]
        for k in range(depth):
            pre.append(W[k] @ h[-1] + b[k])
            h.append(np.where(pre[-1] > 0, pre[-1], a * pre[-1]) if k < depth - 1 else pre[-1])
        z = h[-1][:, 0]
        p = np.exp(z - z.max())
        p = (p / p.sum()).reshape(-1, 1)
        out = {}
        for k in range(1, depth):
            out[f"h{k}_bar"], out[f"h{k}"] = pre[k], h[k]
        out[f"h{depth}"], out["p"] = h[-1], p
        tied = np.flatnonzero(z == z.max())
        out["y_hat"] = {
            "ŷ counted from 0": int(tied[0]),
            "ŷ the last of tied logits": int(tied[-1]) + 1,
        }.get(slip, int(tied[0]) + 1)
        out["loss"] = float(-np.log(p[label - 1, 0]))
        delta = p - np.eye(len(p))[:, [label - 1]]
        out[f"dl_dh{depth}"] = delta
        for k in range(depth, 0, -1):
            out[f"dl_dW{k}"], out[f"dl_db{k}"] = delta @ h[k - 1].T, delta
            if k > 1:
                back = W[k - 1].T @ delta
                u = pre[k - 1]
                if slip == "φ′(0) = 1":
                    gate = np.where(u >= 0, 1.0, a)
                elif slip == "ReLU′ for LeakyReLU′":
                    gate = np.where(u > 0, 1.0, 0.0)
                elif slip == "φ′ at the first hidden layer only" and k - 1 > 1:
                    gate = np.ones_like(u)
                else:
                    gate = np.where(u > 0, 1.0, a)
                delta = back * gate
                out[f"dl_dh{k - 1}"], out[f"dl_dh{k - 1}_bar"] = back, delta
        for k in range(depth, 0, -1):
            out[f"W{k}_new"] = W[k - 1] - lr * out[f"dl_dW{k}"]
            out[f"b{k}_new"] = b[k - 1] - lr * out[f"dl_db{k}"]
        return out

    return key


def _wrong_backprop(slip):
    """A general backprop (any depth) with the slip ``slip``."""

    def run(weights, biases, x, label, *, label_smoothing=0.0, slope=0.01):
        depth = len(weights)
        hs, pre = [x], [None]
        for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
            pre.append(w @ hs[-1] + b)
            hs.append(np.where(pre[-1] > 0, pre[-1], slope * pre[-1]) if k < depth - 1 else pre[-1])
        p = np.exp(hs[-1] - hs[-1].max())
        p /= p.sum()
        delta = p - np.eye(len(p))[:, [label - 1]]
        dW, db = [None] * (depth + 1), [None] * (depth + 1)
        for k in range(depth, 0, -1):
            dW[k], db[k] = delta @ hs[k - 1].T, delta
            if k > 1:
                back = weights[k - 1].T @ delta
                if slip == "φ′ only at the last hidden layer" and k < depth:
                    delta = back
                elif slip == "no φ′":
                    delta = back
                else:
                    delta = back * np.where(pre[k - 1] > 0, 1.0, slope)
        return {"dl_dW": dW, "dl_db": db}

    return run


def _default_rng(student_id):
    rng = np.random.default_rng(student_id)
    return {"W1": rng.random((4, 3)), "b1": rng.random((4, 1)), "W2": rng.random((3, 4)),
            "b2": rng.random((3, 1))}  # fmt: skip


def _b1_last(student_id):
    rng = np.random.RandomState(student_id)
    W1, W2, b2, b1 = rng.rand(4, 3), rng.rand(3, 4), rng.rand(3, 1), rng.rand(4, 1)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def _global_seed_left_behind(student_id):
    np.random.seed(student_id)
    return {k: np.random.rand(*s) for k, s in SHAPES.items()}


WRONG_ANSWERS = {
    "mlp.student_parameters": {
        "default_rng instead of the legacy generator": _default_rng,
        "b1 drawn last": _b1_last,
        "right draws, global state changed": _global_seed_left_behind,
    },
    "mlp.answer_key.autograd": {
        "φ′(0) = 1 at the kink (torch: LeakyReLU′(0) = a)": _wrong_key("φ′(0) = 1"),
        "∂l/∂h̄¹ without φ′": _wrong_key("no φ′"),
        "ReLU′ where LeakyReLU′ is due": _wrong_key("ReLU′"),
        "δ hᵀ transposed": _wrong_key("δhᵀ transposed"),
        "label taken 0-based": _wrong_key("0-based label"),
    },
    "mlp.answer_key.label_smoothing": {
        "onehot(y) instead of ỹ": _wrong_key("onehot(y) for ỹ"),
        "ỹ in the loss, onehot(y) in the gradient": _wrong_key("smoothing in the loss only"),
        "α/M left out of ỹ": _wrong_key("α/M left out of ỹ"),
    },
    "mlp.sgd_step": {
        "wrong sign: θ + η ∂l/∂θ": _wrong_key("θ + η g"),
        "η left out": _wrong_key("η left out"),
        "η squared": _wrong_key("η squared"),
    },
    "mlp.answer_key.relu": {
        "φ′(0) = 1 at the kink (torch: ReLU′(0) = 0)": _wrong_deep_key("φ′(0) = 1"),
        "φ′ at the first hidden layer only": _wrong_deep_key("φ′ at the first hidden layer only"),
        "ŷ counted from 0": _wrong_deep_key("ŷ counted from 0"),
        "ŷ the last of tied logits": _wrong_deep_key("ŷ the last of tied logits"),
    },
    "mlp.answer_key.leaky_relu": {
        "φ′(0) = 1 at the kink (torch: LeakyReLU′(0) = a)": _wrong_deep_key("φ′(0) = 1"),
        "ReLU′ where LeakyReLU′ is due": _wrong_deep_key("ReLU′ for LeakyReLU′"),
        "slope 0.01 whatever --slope says": _wrong_deep_key("slope fixed at 0.01"),
        "φ′ at the first hidden layer only": _wrong_deep_key("φ′ at the first hidden layer only"),
    },
    "mlp.backprop.depth": {
        "no φ′ anywhere": _wrong_backprop("no φ′"),
        "φ′ at the last hidden layer only": _wrong_backprop("φ′ only at the last hidden layer"),
    },
}
