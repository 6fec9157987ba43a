"""The elementwise and per-feature layers; :mod:`derivations.layers` is the public API.

Forward returns ``(out, cache)``, backward takes ``(dout, cache)``.

Every backward pass here is the general form of a formula derived and checked on a small
symbolic instance in :mod:`derivations.layers.chains` (the derivation is named in each
docstring).

>>> x = np.array([[1.0, -2.0], [3.0, 0.5]])
>>> out, cache = relu_forward(x)
>>> relu_backward(np.ones_like(x), cache)
array([[1., 0.],
       [1., 1.]])
"""

from __future__ import annotations

import numpy as np

from derivations import arguments as arg


def _mismatch(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray, why: str) -> ValueError:
    return ValueError(f"{name_a} of shape {a.shape} and {name_b} of shape {b.shape}: {why}")


def _finite(names: str, what: str, *results) -> None:
    """Refuse a result that overflowed float64 (inf, or nan from inf − inf), naming the
    arguments whose size caused it: a layer never returns inf or nan for finite input."""
    for r in results:
        if not np.all(np.isfinite(r)):
            raise OverflowError(
                f"{names}: {what} overflows float64 (its magnitude exceeds ~1.8e308)"
            )


#: Inside a layer, an overflow is caught by :func:`_finite` and named; NumPy's warning would
#: only repeat it without the name.
def _quiet():
    return np.errstate(over="ignore", invalid="ignore")


# --- affine ----------------------------------------------------------------------------------
def affine_forward(x, w, b):
    """``out = x_flat @ w + b`` with ``x`` of shape ``(N, d1, …, dk)`` flattened to ``(N, D)``.

    >>> out, _ = affine_forward(np.ones((2, 2, 3)), np.ones((6, 4)), np.arange(4.0))
    >>> out
    array([[6., 7., 8., 9.],
           [6., 7., 8., 9.]])
    >>> affine_forward(np.ones((2, 5)), np.ones((6, 4)), np.zeros(4))
    Traceback (most recent call last):
    ...
    ValueError: x of shape (2, 5) and w of shape (6, 4): x flattens to D = 5 columns, w needs D = 6 rows
    """
    x = arg.array(x, "x", min_ndim=2)
    w = arg.array(w, "w", ndim=2)
    b = arg.array(b, "b", ndim=1)
    d = int(np.prod(x.shape[1:]))
    if w.shape[0] != d:
        raise _mismatch(
            "x", x, "w", w, f"x flattens to D = {d} columns, w needs D = {w.shape[0]} rows"
        )
    if b.shape[0] != w.shape[1]:
        raise _mismatch("w", w, "b", b, f"b needs M = {w.shape[1]} entries")
    with _quiet():
        out = x.reshape(x.shape[0], d) @ w + b
    _finite("x, w, b", "x_flat @ w + b", out)
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Gradients ``(dx, dw, db)``: ``dx = dout wᵀ`` (reshaped to ``x``), ``dw = x_flatᵀ dout``,
    ``db = Σ_n dout`` — derivation ``affine``.

    >>> x, w, b = np.ones((2, 3)), np.ones((3, 2)), np.zeros(2)
    >>> dx, dw, db = affine_backward(np.array([[1.0, 2.0], [3.0, 4.0]]), (x, w, b))
    >>> dx[0], dw[0], db
    (array([3., 3., 3.]), array([4., 6.]), array([4., 6.]))
    """
    x, w, b = cache
    dout = arg.array(dout, "dout", ndim=2)
    if dout.shape != (x.shape[0], w.shape[1]):
        raise _mismatch("dout", dout, "out", np.empty((x.shape[0], w.shape[1])), "must match")
    x_flat = x.reshape(x.shape[0], -1)
    with _quiet():
        dx = (dout @ w.T).reshape(x.shape)
        dw = x_flat.T @ dout
        db = dout.sum(axis=0)
    _finite("dout", "a gradient", dx, dw, db)
    return dx, dw, db


# --- ReLU ------------------------------------------------------------------------------------
def relu_forward(x):
    """``max(0, x)`` elementwise.

    >>> relu_forward(np.array([-1.0, 0.0, 2.0]))[0]
    array([0., 0., 2.])
    """
    x = arg.array(x, "x")
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    """``dout`` where ``x > 0``, 0 where ``x ≤ 0`` — derivation ``relu``. At the kink
    ReLU′(0) = 0, torch's convention (for 0.0 and −0.0 alike).

    >>> relu_backward(np.ones(4), np.array([-1.0, -0.0, 0.0, 2.0]))
    array([0., 0., 0., 1.])
    """
    x = cache
    dout = arg.array(dout, "dout")
    arg.same_shape("dout", dout, "x", x)
    return dout * (x > 0)


# --- softmax cross-entropy -------------------------------------------------------------------
def softmax_loss(x, y):
    """Mean cross-entropy of the softmax of scores ``x`` (N, C) for labels ``y``; ``(loss, dx)``
    with ``dx = (p - onehot(y)) / N`` — derivation ``softmax_loss``.

    Stable: scores are shifted by their row maximum and the log-probabilities are computed as
    ``shifted - log Σ exp(shifted)``, so no exponential overflows and no log of 0 occurs. Even
    scores near ±1e308, whose differences overflow, give the right loss: each row's loss
    ``(max − x_y) + log Σ exp(shifted)`` is halved before it is added and divided by N first.
    A loss beyond the float64 range is refused (``OverflowError``), never returned as inf.

    >>> loss, dx = softmax_loss(np.array([[1000.0, 1000.0]]), np.array([0]))
    >>> bool(np.isclose(loss, np.log(2))), dx.tolist()
    (True, [[-0.5, 0.5]])
    >>> float(softmax_loss(np.array([[1e308, -1e308], [0.0, 0.0]]), np.array([1, 0]))[0])
    1e+308
    >>> softmax_loss(np.zeros((2, 3)), np.array([0, 3]))
    Traceback (most recent call last):
    ...
    ValueError: y: labels must be integers in [0, 3), got [0, 3]
    """
    x = arg.array(x, "x", ndim=2)
    n, c = x.shape
    if n == 0 or c == 0:
        raise ValueError(
            f"x: scores of shape (N, C) with N >= 1 and C >= 1 are required, got shape {x.shape}"
        )
    y = arg.array(y, "y", dtype=int)
    if y.shape != (n,):
        raise _mismatch("x", x, "y", y, "y needs one label per row of x")
    if y.min() < 0 or y.max() >= c:
        raise ValueError(f"y: labels must be integers in [0, {c}), got {y.tolist()}")
    rows = np.arange(n)
    top = x.max(axis=1, keepdims=True)
    with _quiet():  # x - top may overflow to -inf: then e^shifted is 0, as it should be
        shifted = x - top
    log_z = np.log(np.exp(shifted).sum(axis=1))  # in [0, log C]
    # loss_n = (top_n − x_ny) + log_z_n, with top_n − x_ny up to 2·1.8e308: add halves over N.
    half = (top[:, 0] / 2 - x[rows, y] / 2 + log_z / 2) / n
    loss = 2 * float(np.sum(half))
    if not np.isfinite(loss):
        raise OverflowError(
            "x: the mean cross-entropy of these scores exceeds ~1.8e308, beyond float64"
        )
    dx = np.exp(shifted - log_z[:, None])
    dx[rows, y] -= 1.0
    return loss, dx / n


# --- L2 penalty ------------------------------------------------------------------------------
def l2_penalty(weights, reg):
    """``0.5·reg·Σ‖W‖²`` over a sequence of weight arrays and its gradients ``reg·W`` —
    derivation ``l2``.

    >>> loss, grads = l2_penalty([np.array([3.0, 4.0])], 0.1)
    >>> float(loss), grads[0].tolist()
    (1.25, [0.30000000000000004, 0.4])
    """
    reg = arg.non_negative(reg, "reg")
    if isinstance(weights, np.ndarray) or not isinstance(weights, list | tuple):
        raise TypeError(f"weights: a list of arrays is required, got {arg.shown(weights)}")
    weights = [arg.array(w, f"weights[{i}]") for i, w in enumerate(weights)]
    with _quiet():
        loss = 0.5 * reg * sum(float(np.sum(w * w)) for w in weights)
    _finite("weights, reg", "0.5·reg·Σ‖W‖²", loss)
    return loss, [reg * w for w in weights]


# --- batch normalization ---------------------------------------------------------------------
def batchnorm_forward(x, gamma, beta, bn_param=None):
    """Training-mode batch normalization of ``x`` (N, D) per feature with the batch's biased
    variance: ``γ (x - μ)/√(σ² + eps) + β``; ``bn_param`` may set ``eps`` (default 1e-5), and
    nothing else (there is no test mode with running statistics here).

    >>> out, _ = batchnorm_forward(np.array([[1.0], [3.0]]), np.ones(1), np.zeros(1))
    >>> out.round(4).ravel().tolist()
    [-1.0, 1.0]
    """
    x = arg.array(x, "x", ndim=2)
    gamma = arg.array(gamma, "gamma", ndim=1)
    beta = arg.array(beta, "beta", ndim=1)
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v.shape[0] != x.shape[1]:
            raise _mismatch("x", x, name, v, f"{name} needs one entry per feature of x")
    # Only eps: a 'mode' or running statistics (test-time batch norm) would be ignored silently.
    bn_param = arg.options(bn_param, "bn_param", ("eps",))
    eps = arg.positive(bn_param.get("eps", 1e-5), "bn_param['eps']")
    if x.shape[0] == 0:
        raise ValueError(f"x: a batch of at least one row is required, got shape {x.shape}")
    with _quiet():
        mu = x.mean(axis=0)
        sigma = np.sqrt(x.var(axis=0) + eps)
        x_hat = (x - mu) / sigma
        out = gamma * x_hat + beta
    # An overflowed variance would make σ = inf and x̂ = 0 silently: refuse it by name.
    _finite("x", "the batch variance", sigma)
    _finite("x, gamma, beta", "gamma·x̂ + beta", out)
    return out, (x_hat, gamma, sigma)


def batchnorm_backward(dout, cache):
    """``(dx, dγ, dβ)``: ``dx = γ/(N σ) · (N dout - Σ dout - x̂ Σ dout x̂)`` (sums over the
    batch), ``dγ = Σ dout x̂``, ``dβ = Σ dout`` — derivation ``batchnorm``.

    >>> out, cache = batchnorm_forward(np.array([[1.0], [3.0]]), np.ones(1), np.zeros(1))
    >>> dx, dgamma, dbeta = batchnorm_backward(np.array([[1.0], [1.0]]), cache)
    >>> dx.ravel().tolist(), dbeta.tolist()
    ([0.0, 0.0], [2.0])
    """
    x_hat, gamma, sigma = cache
    dout = arg.array(dout, "dout", ndim=2)
    arg.same_shape("dout", dout, "x", x_hat)
    n = x_hat.shape[0]
    with _quiet():
        dbeta = dout.sum(axis=0)
        dgamma = (dout * x_hat).sum(axis=0)
        dx = gamma / (n * sigma) * (n * dout - dbeta - x_hat * dgamma)
    _finite("dout", "a gradient", dx, dgamma, dbeta)
    return dx, dgamma, dbeta


def _channels_last(x):
    n, c, h, w = x.shape
    return x.transpose(0, 2, 3, 1).reshape(n * h * w, c)


def _channels_first(x2, shape):
    n, c, h, w = shape
    return x2.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, bn_param=None):
    """Batch normalization of ``x`` (N, C, H, W) per channel over ``N·H·W`` values.

    >>> out, _ = spatial_batchnorm_forward(np.arange(8.0).reshape(2, 1, 2, 2), np.ones(1),
    ...                                    np.zeros(1))
    >>> round(float(out.mean()), 12), round(float(out.var()), 4)
    (0.0, 1.0)
    >>> spatial_batchnorm_forward(np.ones((2, 3, 2, 2)), np.ones(2), np.zeros(3))
    Traceback (most recent call last):
    ...
    ValueError: x of shape (2, 3, 2, 2) and gamma of shape (2,): gamma needs one entry per channel of x
    """
    x = arg.array(x, "x", ndim=4)
    # Checked here, on the arguments as given: the per-feature layer only sees the reshape.
    for name, v in (("gamma", gamma), ("beta", beta)):
        v = arg.array(v, name, ndim=1)
        if v.shape[0] != x.shape[1]:
            raise _mismatch("x", x, name, v, f"{name} needs one entry per channel of x")
    if x.shape[0] * x.shape[2] * x.shape[3] == 0:
        raise ValueError(
            f"x: at least one value per channel (N·H·W >= 1) is required, got shape {x.shape}"
        )
    out, cache = batchnorm_forward(_channels_last(x), gamma, beta, bn_param)
    return _channels_first(out, x.shape), (cache, x.shape)


def spatial_batchnorm_backward(dout, cache):
    """``(dx, dγ, dβ)`` of :func:`spatial_batchnorm_forward`: the per-feature formula with
    ``N·H·W`` samples per channel.

    >>> x = np.arange(8.0).reshape(2, 1, 2, 2)
    >>> out, cache = spatial_batchnorm_forward(x, np.ones(1), np.zeros(1))
    >>> spatial_batchnorm_backward(np.ones_like(x), cache)[2]
    array([8.])
    """
    inner, shape = cache
    dout = arg.array(dout, "dout", ndim=4)
    if dout.shape != shape:
        raise _mismatch("dout", dout, "x", np.empty(shape), "the shapes must be equal")
    dx, dgamma, dbeta = batchnorm_backward(_channels_last(dout), inner)
    return _channels_first(dx, shape), dgamma, dbeta


# --- inverted dropout ------------------------------------------------------------------------
MODES = ("train", "test")


def dropout_forward(x, dropout_param):
    """Inverted dropout. ``dropout_param['p']`` is the probability of **dropping** a unit (as in
    ``torch.nn.Dropout``), in ``[0, 1)``; kept units are scaled by ``1/(1 - p)`` so the
    expectation is unchanged. ``mode`` is ``'train'`` (default) or ``'test'`` (identity);
    ``seed`` (optional) fixes the mask.

    >>> out, (mask, _) = dropout_forward(np.ones(6), {"p": 0.5, "seed": 1})
    >>> sorted(set(out.tolist())), bool(np.all(out == mask))
    ([0.0, 2.0], True)
    >>> dropout_forward(np.ones(2), {"p": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: dropout_param['p']: a real number in [0, 1) is required, got 1.0
    """
    x = arg.array(x, "x")
    arg.options(dropout_param, "dropout_param", ("p", "mode", "seed"), required=("p",))
    p = arg.probability(dropout_param["p"], "dropout_param['p']", open_high=True)
    mode = arg.choice(dropout_param.get("mode", "train"), "dropout_param['mode']", MODES)
    seed = dropout_param.get("seed")
    seed = None if seed is None else arg.seed(seed, "dropout_param['seed']")
    if mode == "test":
        return x.copy(), (None, dropout_param)
    rng = np.random.default_rng(seed)
    mask = (rng.random(x.shape) >= p) / (1.0 - p)
    with _quiet():
        out = x * mask
    _finite("x", "x / (1 - p)", out)
    return out, (mask, dropout_param)


def dropout_backward(dout, cache):
    """``dout · mask`` with the scaled mask of the forward pass (identity in test mode) —
    derivation ``dropout``.

    >>> out, cache = dropout_forward(np.ones(4), {"p": 0.5, "seed": 1})
    >>> bool(np.all(dropout_backward(np.ones(4), cache) == out))
    True
    """
    mask, _ = cache
    dout = arg.array(dout, "dout")
    if mask is None:
        return dout.copy()
    arg.same_shape("dout", dout, "mask", mask)
    with _quiet():
        dx = dout * mask
    _finite("dout", "dout / (1 - p)", dx)
    return dx
