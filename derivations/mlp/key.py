"""Answer keys for the course network: every quantity of one SGD step, in plain NumPy.

The numbers follow the matrix rules that :mod:`derivations.mlp` derives, written the way
micrograd would: ``h1_bar = W1 @ x + b1``, ``dl_dW2 = dl_dh2 @ h1.T``, … :func:`backprop`
runs them for any depth and widths; :func:`answer_key` is the course's instance with
per-student weights (:func:`student_parameters`): one hidden layer by default, or any
``hidden`` widths, with ReLU or LeakyReLU, and :func:`worked_solution` writes
it out as a student must show it: formula, substituted values, result.

>>> key = answer_key(0)
>>> list(key)[:6]
['h1_bar', 'h1', 'h2', 'p', 'y_hat', 'loss']
>>> key["dl_dW2"].shape, key["dl_db1"].shape
((3, 4), (4, 1))
"""

from __future__ import annotations

import numpy as np

from derivations import arguments as arg

#: The course instance: input, 1-based label, learning rate, LeakyReLU slope, hidden widths.
X = (1.0, -1.0, 1.5)
LABEL = 3
LR = 0.01
SLOPE = 0.01
HIDDEN = (4,)
CLASSES = 3
#: The hidden-layer activations an answer key may use (the same on every hidden layer).
ACTIVATIONS = ("leaky_relu", "relu")
#: Parameter names and shapes of the course network, in the order its generator draws them.
SHAPES = {"W1": (4, 3), "b1": (4, 1), "W2": (3, 4), "b2": (3, 1)}
#: A worked solution prints every entry: past these sizes it is no longer a solution to read
#: (and the parameters would fill memory), so larger networks are refused by name.
MAX_HIDDEN_LAYERS = 32
MAX_WIDTH = 1024
MAX_PARAMETERS = 10**6


def keys(depth: int = 2) -> tuple[str, ...]:
    """The keys of the answer key of a network with ``depth`` affine layers (``depth − 1``
    hidden layers), in the order a solution computes them.

    >>> keys(2)[:6]
    ('h1_bar', 'h1', 'h2', 'p', 'y_hat', 'loss')
    >>> keys(3)[5:11]
    ('p', 'y_hat', 'loss', 'dl_dh3', 'dl_dW3', 'dl_db3')
    """
    depth = arg.count(depth, "depth", minimum=2, maximum=MAX_HIDDEN_LAYERS + 1)
    forward = [f"h{k}{s}" for k in range(1, depth) for s in ("_bar", "")]
    backward = [f"dl_dh{depth}"]
    for k in range(depth, 0, -1):
        backward += [f"dl_dW{k}", f"dl_db{k}"]
        if k > 1:
            backward += [f"dl_dh{k - 1}", f"dl_dh{k - 1}_bar"]
    updates = [f"{n}{k}_new" for k in range(depth, 0, -1) for n in ("W", "b")]
    return (*forward, f"h{depth}", "p", "y_hat", "loss", *backward, *updates)


#: The keys of an answer key of the course network (one hidden layer).
KEYS = keys(2)


def hidden_widths(hidden, name: str = "hidden") -> tuple[int, ...]:
    """``hidden`` as a tuple of widths: one positive integer per hidden layer.

    >>> hidden_widths([4, 3])
    (4, 3)
    >>> hidden_widths(())
    Traceback (most recent call last):
    ...
    ValueError: hidden: 1 to 32 widths (one per hidden layer) are required, got ()
    >>> hidden_widths([4, 0])
    Traceback (most recent call last):
    ...
    ValueError: hidden[1]: an integer in [1, 1024] is required, got 0
    """
    if not isinstance(hidden, tuple | list):
        raise TypeError(
            f"{name}: a list of widths (one per hidden layer) is required, got "
            f"{arg.shown(hidden)} ({type(hidden).__name__})"
        )
    if not 1 <= len(hidden) <= MAX_HIDDEN_LAYERS:
        raise ValueError(
            f"{name}: 1 to {MAX_HIDDEN_LAYERS} widths (one per hidden layer) are required, "
            f"got {arg.shown(tuple(hidden))}"
        )
    return tuple(
        arg.integer(w, f"{name}[{i}]", minimum=1, maximum=MAX_WIDTH) for i, w in enumerate(hidden)
    )


def parameter_shapes(hidden=HIDDEN, inputs: int = len(X), classes: int = CLASSES) -> dict:
    """Name -> shape of every parameter of an ``inputs → hidden… → classes`` network, in the
    order the course draws them: layer by layer, each ``Wᵏ`` then its ``bᵏ``.

    >>> parameter_shapes((4, 3))
    {'W1': (4, 3), 'b1': (4, 1), 'W2': (3, 4), 'b2': (3, 1), 'W3': (3, 3), 'b3': (3, 1)}
    """
    hidden = hidden_widths(hidden)
    inputs = arg.integer(inputs, "inputs", minimum=1, maximum=MAX_WIDTH)
    classes = arg.integer(classes, "classes", minimum=2, maximum=MAX_WIDTH)
    widths = (inputs, *hidden, classes)
    shapes = {}
    for k, (n_in, n_out) in enumerate(zip(widths, widths[1:], strict=False), 1):
        shapes[f"W{k}"], shapes[f"b{k}"] = (n_out, n_in), (n_out, 1)
    total = sum(r * c for r, c in shapes.values())
    if total > MAX_PARAMETERS:
        raise ValueError(
            f"hidden: a network of at most {MAX_PARAMETERS:,} parameters is required, got "
            f"{total:,} for widths {widths}"
        )
    return shapes


#: Student ids seed NumPy's legacy generator, which takes 32-bit seeds.
ID_LIMIT = 2**32


def student_parameters(
    student_id, *, hidden=HIDDEN, inputs: int = len(X), classes: int = CLASSES
) -> dict[str, np.ndarray]:
    """The course's weights for one student: ``W1, b1, W2, b2`` (and ``W3, b3``, … with more
    hidden layers) drawn from ``rand``.

    The course seeds NumPy's legacy global generator with the id and draws in this order;
    a ``RandomState`` seeded alike draws the very same stream without touching the global
    state of the caller. With ``hidden=(4, 4)`` the draws go on layer by layer
    (:func:`parameter_shapes`).

    >>> p = student_parameters(0)
    >>> {k: v.shape for k, v in p.items()}
    {'W1': (4, 3), 'b1': (4, 1), 'W2': (3, 4), 'b2': (3, 1)}
    >>> round(float(p["W1"][0, 0]), 6)
    0.548814
    >>> list(student_parameters(0, hidden=(4, 4)))
    ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']
    >>> student_parameters(1.0)
    Traceback (most recent call last):
    ...
    TypeError: student_id: an integer in [0, 2**32 - 1] is required, got 1.0 (float)
    """
    student_id = arg.integer(student_id, "student_id", minimum=0, maximum=ID_LIMIT - 1)
    shapes = parameter_shapes(hidden, inputs, classes)
    rng = np.random.RandomState(student_id)
    return {name: rng.rand(*shape) for name, shape in shapes.items()}


def _matrix(name: str, value, rows: int | None, cols: int | None) -> np.ndarray:
    # NumPy reads [1, True] as the integers [1, 1]: bools and strings are refused first
    a = arg.array(arg.numbers_only(value, name, depth=2), name)
    if a.ndim == 1 and cols == 1:  # a bias or input given flat is a column
        a = a.reshape(-1, 1)
    return arg.array(a, name, shape=(rows, cols))


def _layers(params) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The weights and biases of ``params`` (``W1, b1, …, WL, bL``, L ≥ 2), layer by layer."""
    if not isinstance(params, dict):
        raise TypeError(f"params: a dict of W1, b1, W2, b2, … is required, got {arg.shown(params)}")
    depth = sum(1 for k in params if isinstance(k, str) and k.startswith("W"))
    names = [f"{n}{k}" for k in range(1, max(depth, 2) + 1) for n in ("W", "b")]
    if depth > MAX_HIDDEN_LAYERS + 1:
        raise ValueError(
            f"params: at most {MAX_HIDDEN_LAYERS + 1} layers are required, got {depth}"
        )
    arg.options(params, "params", names, required=names)
    weights, biases = [], []
    for k in range(1, len(names) // 2 + 1):
        previous = weights[-1].shape[0] if weights else None
        weights.append(_matrix(f"params['W{k}']", params[f"W{k}"], None, previous))
        biases.append(_matrix(f"params['b{k}']", params[f"b{k}"], weights[-1].shape[0], 1))
    return weights, biases


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


def relu(u: np.ndarray, slope: float = 0.0) -> np.ndarray:
    """``u`` where positive, 0 elsewhere (``slope`` is ignored: one signature for both).

    >>> relu(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 3.0]
    """
    return np.where(u > 0, u, 0.0)


def relu_prime(u: np.ndarray, slope: float = 0.0) -> np.ndarray:
    """1 where ``u > 0``, else 0 — at the kink ``u = 0`` too, as torch's autograd returns.

    >>> relu_prime(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    return np.where(u > 0, 1.0, 0.0)


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


#: Each activation and its derivative (with the value at the kink that torch uses).
PHI = {"leaky_relu": (leaky_relu, leaky_relu_prime), "relu": (relu, relu_prime)}


def predicted_classes(logits) -> tuple[int, ...]:
    """Every 1-based class whose logit is the largest: one class, or the classes that tie.

    ``ŷ = argmax`` is the first of them (as ``np.argmax`` and ``torch.argmax`` return).

    >>> predicted_classes(np.array([[0.5], [2.0], [2.0]]))
    (2, 3)
    """
    h = arg.array(logits, "logits", shape=(None, 1)).ravel()
    return tuple(int(i) + 1 for i in np.flatnonzero(h == h.max()))


def backprop(
    weights, biases, x, label, *, label_smoothing=0.0, slope=None, activation="leaky_relu"
) -> dict:
    """Forward and backward pass of a ReLU or LeakyReLU network of any depth.

    Layer ``k`` computes ``h̄ᵏ = Wᵏ hᵏ⁻¹ + bᵏ``; every layer but the last applies the
    activation (``slope`` is LeakyReLU's, 0.01 unless given; ReLU takes none); the last
    layer's output are the logits. Returns lists indexed by layer (0 is the input): ``h_bar``,
    ``h``, and ``dl_dW``, ``dl_db``, ``dl_dh``, ``dl_dh_bar``, plus ``p``, ``log_p`` and
    ``loss``. Each backward line is one of the derived rules.

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
    activation, slope = _activation(activation, slope)
    phi, phi_prime = PHI[activation]
    depth = len(weights)
    h_bar, h = [None], [x]
    # overflow shows as inf or nan, which answer_key refuses by name; no warning meanwhile
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, depth + 1):
            h_bar.append(weights[k - 1] @ h[k - 1] + biases[k - 1])
            h.append(phi(h_bar[k], slope) if k < depth else h_bar[k])
        p = softmax(h[depth])
        y_tilde = target(label, p.shape[0], label_smoothing)
        shifted = h[depth] - h[depth].max()
        log_p = shifted - np.log(np.exp(shifted).sum())
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
                dl_dh_bar[k - 1] = dl_dh[k - 1] * phi_prime(h_bar[k - 1], slope)  # ⊙ φ′
    return dict(
        h_bar=h_bar,
        h=h,
        p=p,
        log_p=log_p,
        y_tilde=y_tilde,
        loss=loss,
        dl_dh=dl_dh,
        dl_dh_bar=dl_dh_bar,
        dl_dW=dl_dW,
        dl_db=dl_db,
    )


def _activation(activation, slope) -> tuple[str, float]:
    """The activation's name and LeakyReLU slope (0 for ReLU), both checked."""
    activation = arg.choice(activation, "activation", ACTIVATIONS)
    if activation == "relu":
        if slope is not None:
            raise ValueError(
                "slope: a slope is only allowed with activation 'leaky_relu', got "
                f"{arg.shown(slope)} with activation 'relu'"
            )
        return activation, 0.0
    return activation, arg.probability(SLOPE if slope is None else slope, "slope", open_high=True)


def answer_key(
    student_id=None,
    *,
    params=None,
    x=X,
    label=LABEL,
    lr=LR,
    label_smoothing=0.0,
    slope=None,
    activation="leaky_relu",
    hidden=None,
) -> dict:
    """Every quantity of one SGD step of the network, in the order a solution has them.

    Give a ``student_id`` (weights from :func:`student_parameters`, with ``hidden`` widths,
    ``(4,)`` unless given) or explicit ``params`` (``W1, b1, …, WL, bL`` of any compatible
    sizes; ``hidden``, if given, must match them). ``activation`` is ``"leaky_relu"`` (slope
    ``slope``, 0.01 unless given) or ``"relu"`` (no slope). ``label`` is 1-based, as in the
    course; ``y_hat`` is the predicted class, the first largest logit (see
    :func:`predicted_classes` for ties). Column vectors are ``(n, 1)`` arrays; ``loss`` is a
    float. Keys are :func:`keys` of the depth (:data:`KEYS` for one hidden layer).

    At a pre-activation exactly 0 the derivative is torch's: ReLU′(0) = 0, LeakyReLU′(0) = a.
    Every quantity is finite, or the arguments that make it overflow are refused by name.

    >>> key = answer_key(0)
    >>> round(key["loss"], 10), key["p"].shape, key["y_hat"]
    (2.3581419438, (3, 1), 2)
    >>> list(answer_key(0, activation="relu", hidden=(4, 4)))[:5]
    ['h1_bar', 'h1', 'h2_bar', 'h2', 'h3']
    >>> answer_key(0, label=0)
    Traceback (most recent call last):
    ...
    ValueError: label: an integer in [1, 3] is required, got 0
    >>> answer_key(0, lr=-0.1)
    Traceback (most recent call last):
    ...
    ValueError: lr: a finite real number >= 0 is required, got -0.1
    >>> answer_key(0, lr=1e308)
    Traceback (most recent call last):
    ...
    ValueError: lr: a learning rate for which W2_new = W2 − η ∂l/∂W2 is finite is required, got 1e+308
    """
    if (student_id is None) == (params is None):
        raise ValueError("student_id, params: give exactly one of them")
    activation, slope = _activation(activation, slope)
    if params is None:
        shape = hidden_widths(HIDDEN if hidden is None else hidden)
        # the course draws for its 3 inputs: an x of another length is refused below
        chosen = student_parameters(student_id, hidden=shape)
    else:
        chosen = params
    weights, biases = _layers(chosen)
    if hidden is not None and params is not None:
        given = tuple(w.shape[0] for w in weights[:-1])
        if hidden_widths(hidden) != given:
            raise ValueError(
                f"hidden: the widths of params {given} are required, got {tuple(hidden)}"
            )
    x = _matrix("x", x, weights[0].shape[1], 1)
    label = arg.integer(label, "label", minimum=1, maximum=weights[-1].shape[0])  # 1-based
    lr = arg.non_negative(lr, "lr")
    alpha = arg.probability(label_smoothing, "label_smoothing", open_high=True)
    out = backprop(
        weights,
        biases,
        x,
        label,
        label_smoothing=alpha,
        slope=None if activation == "relu" else slope,
        activation=activation,
    )
    depth = len(weights)
    key = {}
    for k in range(1, depth):
        key[f"h{k}_bar"], key[f"h{k}"] = out["h_bar"][k], out["h"][k]
    key[f"h{depth}"], key["p"], key["loss"] = out["h"][depth], out["p"], out["loss"]
    _finite(key, "params, x", "the forward pass")
    key["y_hat"] = predicted_classes(out["h"][depth])[0]
    key[f"dl_dh{depth}"] = out["dl_dh"][depth]
    for k in range(depth, 0, -1):
        key[f"dl_dW{k}"], key[f"dl_db{k}"] = out["dl_dW"][k], out["dl_db"][k]
        if k > 1:
            key[f"dl_dh{k - 1}"] = out["dl_dh"][k - 1]
            key[f"dl_dh{k - 1}_bar"] = out["dl_dh_bar"][k - 1]
    _finite(key, "params, x", "backpropagation")
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(depth, 0, -1):  # θ ← θ − η ∂l/∂θ
            for n, old in (("W", weights[k - 1]), ("b", biases[k - 1])):
                new = old - lr * key[f"dl_d{n}{k}"]
                if not np.all(np.isfinite(new)):
                    raise ValueError(
                        f"lr: a learning rate for which {n}{k}_new = {n}{k} − η ∂l/∂{n}{k} is "
                        f"finite is required, got {lr!r}"
                    )
                key[f"{n}{k}_new"] = new
    return {k: key[k] for k in keys(depth)}


def _finite(key: dict, names: str, stage: str) -> None:
    """Refuse, naming the arguments, the first quantity that overflowed to inf or nan."""
    for k, v in key.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(
                f"{names}: values for which {stage} stays finite in float64 are required, "
                f"got {k} = {float(np.asarray(v).ravel()[~np.isfinite(np.asarray(v).ravel())][0])}"
            )
