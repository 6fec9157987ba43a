"""Answer keys for the course network: every quantity of one SGD step, in plain NumPy.

The numbers follow the matrix rules that :mod:`derivations.mlp` derives, written the way
micrograd would: ``h1_bar = W1 @ x + b1``, ``dl_dW2 = dl_dh2 @ h1.T``, … :func:`backprop`
runs them for any depth and widths; :func:`answer_key` is the course's two-layer instance
with per-student weights (:func:`student_parameters`), and :func:`worked_solution` writes
it out as a student must show it: formula, substituted values, result.

>>> key = answer_key(0)
>>> list(key)[:5]
['h1_bar', 'h1', 'h2', 'p', 'loss']
>>> key["dl_dW2"].shape, key["dl_db1"].shape
((3, 4), (4, 1))
"""

from __future__ import annotations

import numpy as np

from derivations import arguments as arg

#: The course instance: input, 1-based label, learning rate, LeakyReLU slope.
X = (1.0, -1.0, 1.5)
LABEL = 3
LR = 0.01
SLOPE = 0.01
#: Parameter names and shapes, in the order the course's generator draws them.
SHAPES = {"W1": (4, 3), "b1": (4, 1), "W2": (3, 4), "b2": (3, 1)}
#: The keys of an answer key, in the order a solution computes them.
KEYS = (
    "h1_bar",
    "h1",
    "h2",
    "p",
    "loss",
    "dl_dh2",
    "dl_dW2",
    "dl_db2",
    "dl_dh1",
    "dl_dh1_bar",
    "dl_dW1",
    "dl_db1",
    "W2_new",
    "b2_new",
    "W1_new",
    "b1_new",
)


#: Student ids seed NumPy's legacy generator, which takes 32-bit seeds.
ID_LIMIT = 2**32


def student_parameters(student_id) -> dict[str, np.ndarray]:
    """The course's weights for one student: ``W1, b1, W2, b2`` drawn from ``rand``.

    The course seeds NumPy's legacy global generator with the id and draws in this order;
    a ``RandomState`` seeded alike draws the very same stream without touching the global
    state of the caller.

    >>> p = student_parameters(0)
    >>> {k: v.shape for k, v in p.items()}
    {'W1': (4, 3), 'b1': (4, 1), 'W2': (3, 4), 'b2': (3, 1)}
    >>> round(float(p["W1"][0, 0]), 6)
    0.548814
    >>> student_parameters(1.0)
    Traceback (most recent call last):
    ...
    TypeError: student_id: an integer in [0, 2**32 - 1] is required, got 1.0 (float)
    """
    student_id = arg.integer(student_id, "student_id", minimum=0, maximum=ID_LIMIT - 1)
    rng = np.random.RandomState(student_id)
    return {name: rng.rand(*shape) for name, shape in SHAPES.items()}


def _matrix(name: str, value, rows: int | None, cols: int | None) -> np.ndarray:
    a = arg.array(value, name)
    if a.ndim == 1 and cols == 1:  # a bias or input given flat is a column
        a = a.reshape(-1, 1)
    return arg.array(a, name, shape=(rows, cols))


def _layers(params) -> tuple[np.ndarray, ...]:
    arg.options(params, "params", SHAPES, required=SHAPES)
    W1 = _matrix("params['W1']", params["W1"], None, None)
    b1 = _matrix("params['b1']", params["b1"], W1.shape[0], 1)
    W2 = _matrix("params['W2']", params["W2"], None, W1.shape[0])
    b2 = _matrix("params['b2']", params["b2"], W2.shape[0], 1)
    return W1, b1, W2, b2


def _network(weights, biases, x):
    """Layer ``k`` maps ``n_{k-1}`` inputs to ``n_k`` outputs: ``W_k`` is ``(n_k, n_{k-1})``,
    ``b_k`` a column of ``n_k``, ``x`` a column of ``n_0``."""
    for name, value in (("weights", weights), ("biases", biases)):
        if not isinstance(value, list | tuple) or not value:
            raise TypeError(
                f"{name}: a non-empty list of arrays is required, got {arg.shown(value)}"
            )
    if len(biases) != len(weights):
        raise ValueError(f"biases: one per layer is required ({len(weights)}), got {len(biases)}")
    ws, bs = [], []
    for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
        previous = ws[-1].shape[0] if ws else None
        ws.append(arg.array(w, f"weights[{k}]", shape=(None, previous)))
        bs.append(arg.array(b, f"biases[{k}]", shape=(ws[-1].shape[0], 1)))
    return ws, bs, arg.array(x, "x", shape=(ws[0].shape[1], 1))


def leaky_relu(u: np.ndarray, slope: float) -> np.ndarray:
    """``u`` where positive, ``slope * u`` elsewhere.

    >>> leaky_relu(np.array([-2.0, 0.0, 3.0]), 0.01).tolist()
    [-0.02, 0.0, 3.0]
    """
    return np.where(u > 0, u, slope * u)


def leaky_relu_prime(u: np.ndarray, slope: float) -> np.ndarray:
    """1 where ``u > 0``, else ``slope`` (at 0 the left derivative, as PyTorch returns).

    >>> leaky_relu_prime(np.array([-2.0, 0.0, 3.0]), 0.01).tolist()
    [0.01, 0.01, 1.0]
    """
    return np.where(u > 0, 1.0, slope)


def softmax(h: np.ndarray) -> np.ndarray:
    """``e^h / Σ e^h`` per column, shifted by the maximum so no exponential overflows.

    >>> softmax(np.array([[0.0], [np.log(3.0)]])).ravel().tolist()
    [0.25, 0.75]
    """
    e = np.exp(h - h.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def target(label: int, classes: int, label_smoothing: float = 0.0) -> np.ndarray:
    """``ỹ = (1 − α) onehot(y) + α/M`` as a column; ``label`` is 1-based.

    >>> target(2, 4, 0.2).ravel().tolist()
    [0.05, 0.8500000000000001, 0.05, 0.05]
    """
    y = np.zeros((classes, 1))
    y[label - 1, 0] = 1.0
    return (1.0 - label_smoothing) * y + label_smoothing / classes


def backprop(weights, biases, x, label, *, label_smoothing=0.0, slope=SLOPE) -> dict:
    """Forward and backward pass of a LeakyReLU network of any depth.

    Layer ``k`` computes ``h̄ᵏ = Wᵏ hᵏ⁻¹ + bᵏ``; every layer but the last applies
    LeakyReLU; the last layer's output are the logits. Returns lists indexed by layer (0 is
    the input): ``h_bar``, ``h``, and ``dl_dW``, ``dl_db``, ``dl_dh``, ``dl_dh_bar``, plus
    ``p`` and ``loss``. Each backward line is one of the derived rules.

    >>> W = [np.eye(2), np.eye(2)]; b = [np.zeros((2, 1))] * 2
    >>> out = backprop(W, b, np.array([[0.0], [0.0]]), 1)
    >>> out["p"].ravel().tolist(), round(out["loss"], 6)
    ([0.5, 0.5], 0.693147)
    >>> backprop(W, b, np.zeros((3, 1)), 1)
    Traceback (most recent call last):
    ...
    ValueError: x: a real array of shape (2, 1) is required, got shape (3, 1)
    """
    weights, biases, x = _network(weights, biases, x)
    label = arg.integer(label, "label", minimum=1, maximum=weights[-1].shape[0])  # 1-based
    label_smoothing = arg.probability(label_smoothing, "label_smoothing", open_high=True)
    slope = arg.probability(slope, "slope", open_high=True)
    depth = len(weights)
    h_bar, h = [None], [x]
    for k in range(1, depth + 1):
        h_bar.append(weights[k - 1] @ h[k - 1] + biases[k - 1])
        h.append(leaky_relu(h_bar[k], slope) if k < depth else h_bar[k])
    p = softmax(h[depth])
    y_tilde = target(label, p.shape[0], label_smoothing)
    log_p = h[depth] - h[depth].max() - np.log(np.exp(h[depth] - h[depth].max()).sum())
    loss = float(-(y_tilde * log_p).sum())
    dl_dh = [None] * (depth + 1)
    dl_dh_bar = [None] * (depth + 1)
    dl_dW, dl_db = [None] * (depth + 1), [None] * (depth + 1)
    dl_dh[depth] = dl_dh_bar[depth] = p - y_tilde  # softmax + cross-entropy: p − ỹ
    for k in range(depth, 0, -1):
        delta = dl_dh_bar[k]
        dl_dW[k] = delta @ h[k - 1].T  # δᵏ (hᵏ⁻¹)ᵀ
        dl_db[k] = delta  # δᵏ
        if k > 1:
            dl_dh[k - 1] = weights[k - 1].T @ delta  # (Wᵏ)ᵀ δᵏ
            dl_dh_bar[k - 1] = dl_dh[k - 1] * leaky_relu_prime(h_bar[k - 1], slope)  # ⊙ φ′
    return dict(
        h_bar=h_bar,
        h=h,
        p=p,
        y_tilde=y_tilde,
        loss=loss,
        dl_dh=dl_dh,
        dl_dh_bar=dl_dh_bar,
        dl_dW=dl_dW,
        dl_db=dl_db,
    )


def answer_key(
    student_id=None,
    *,
    params=None,
    x=X,
    label=LABEL,
    lr=LR,
    label_smoothing=0.0,
    slope=SLOPE,
) -> dict:
    """Every quantity of one SGD step of the 2-layer net, in the order a solution has them.

    Give a ``student_id`` (weights from :func:`student_parameters`) or explicit ``params``
    (``W1, b1, W2, b2`` of any compatible sizes). ``label`` is 1-based, as in the course.
    Column vectors are ``(n, 1)`` arrays; ``loss`` is a float.

    >>> key = answer_key(0)
    >>> round(key["loss"], 10), key["p"].shape
    (2.3581419438, (3, 1))
    >>> answer_key(0, label=0)
    Traceback (most recent call last):
    ...
    ValueError: label: an integer in [1, 3] is required, got 0
    >>> answer_key(0, lr=-0.1)
    Traceback (most recent call last):
    ...
    ValueError: lr: a finite real number >= 0 is required, got -0.1
    """
    if (student_id is None) == (params is None):
        raise ValueError("student_id, params: give exactly one of them")
    chosen = student_parameters(student_id) if params is None else params
    W1, b1, W2, b2 = _layers(chosen)
    x = _matrix("x", x, W1.shape[1], 1)
    classes = W2.shape[0]
    label = arg.integer(label, "label", minimum=1, maximum=classes)  # 1-based
    lr = arg.non_negative(lr, "lr")
    alpha = arg.probability(label_smoothing, "label_smoothing", open_high=True)
    slope = arg.probability(slope, "slope", open_high=True)
    out = backprop([W1, W2], [b1, b2], x, label, label_smoothing=alpha, slope=slope)
    key = dict(
        h1_bar=out["h_bar"][1],
        h1=out["h"][1],
        h2=out["h"][2],
        p=out["p"],
        loss=out["loss"],
        dl_dh2=out["dl_dh"][2],
        dl_dW2=out["dl_dW"][2],
        dl_db2=out["dl_db"][2],
        dl_dh1=out["dl_dh"][1],
        dl_dh1_bar=out["dl_dh_bar"][1],
        dl_dW1=out["dl_dW"][1],
        dl_db1=out["dl_db"][1],
    )
    # θ ← θ − η ∂l/∂θ
    key["W2_new"] = W2 - lr * key["dl_dW2"]
    key["b2_new"] = b2 - lr * key["dl_db2"]
    key["W1_new"] = W1 - lr * key["dl_dW1"]
    key["b1_new"] = b1 - lr * key["dl_db1"]
    return {k: key[k] for k in KEYS}
