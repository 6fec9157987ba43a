"""Modular layers in NumPy: forward returns ``(out, cache)``, backward takes ``(dout, cache)``.

Every backward pass here is the general form of a formula derived and checked on a small
symbolic instance in :mod:`derivations.layers_derivations` (the derivation is named in each
docstring). The two networks chain the layers; their gradients are the chain rule applied
layer by layer, plus the gradient ``reg·W`` of the penalty ``0.5·reg·Σ‖W‖²``.

>>> x = np.array([[1.0, -2.0], [3.0, 0.5]])
>>> out, cache = relu_forward(x)
>>> relu_backward(np.ones_like(x), cache)
array([[1., 0.],
       [1., 1.]])
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _array(name: str, value, ndim: int | None = None, min_ndim: int = 0) -> np.ndarray:
    if not isinstance(value, np.ndarray | list | tuple | float | int):
        raise TypeError(f"{name}: a NumPy array is required, got {type(value).__name__}")
    a = np.asarray(value, dtype=np.float64)
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name}: a {ndim}-d array is required, got shape {a.shape}")
    if a.ndim < min_ndim:
        raise ValueError(f"{name}: at least {min_ndim} dimensions are required, got {a.shape}")
    return a


def _mismatch(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray, why: str) -> ValueError:
    return ValueError(f"{name_a} of shape {a.shape} and {name_b} of shape {b.shape}: {why}")


def _same_shape(name_a, a, name_b, b):
    if a.shape != b.shape:
        raise _mismatch(name_a, a, name_b, b, "the shapes must be equal")


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
    x = _array("x", x, min_ndim=2)
    w = _array("w", w, ndim=2)
    b = _array("b", b, ndim=1)
    d = int(np.prod(x.shape[1:]))
    if w.shape[0] != d:
        raise _mismatch(
            "x", x, "w", w, f"x flattens to D = {d} columns, w needs D = {w.shape[0]} rows"
        )
    if b.shape[0] != w.shape[1]:
        raise _mismatch("w", w, "b", b, f"b needs M = {w.shape[1]} entries")
    out = x.reshape(x.shape[0], d) @ w + b
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
    dout = _array("dout", dout, ndim=2)
    if dout.shape != (x.shape[0], w.shape[1]):
        raise _mismatch("dout", dout, "out", np.empty((x.shape[0], w.shape[1])), "must match")
    x_flat = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_flat.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


# --- ReLU ------------------------------------------------------------------------------------
def relu_forward(x):
    """``max(0, x)`` elementwise.

    >>> relu_forward(np.array([-1.0, 0.0, 2.0]))[0]
    array([0., 0., 2.])
    """
    x = _array("x", x)
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    """``dout`` where ``x > 0``, 0 where ``x ≤ 0`` (PyTorch's choice at the kink) — ``relu``.

    >>> relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    x = cache
    dout = _array("dout", dout)
    _same_shape("dout", dout, "x", x)
    return dout * (x > 0)


# --- softmax cross-entropy -------------------------------------------------------------------
def softmax_loss(x, y):
    """Mean cross-entropy of the softmax of scores ``x`` (N, C) for labels ``y``; ``(loss, dx)``
    with ``dx = (p - onehot(y)) / N`` — derivation ``softmax_loss``.

    Stable: scores are shifted by their row maximum and the log-probabilities are computed as
    ``shifted - log Σ exp(shifted)``, so no exponential overflows and no log of 0 occurs.

    >>> loss, dx = softmax_loss(np.array([[1000.0, 1000.0]]), np.array([0]))
    >>> bool(np.isclose(loss, np.log(2))), dx.tolist()
    (True, [[-0.5, 0.5]])
    >>> softmax_loss(np.zeros((2, 3)), np.array([0, 3]))
    Traceback (most recent call last):
    ...
    ValueError: y: labels must be integers in [0, 3), got [0, 3]
    """
    x = _array("x", x, ndim=2)
    y = np.asarray(y)
    if y.shape != (x.shape[0],):
        raise _mismatch("x", x, "y", y, "y needs one label per row of x")
    n, c = x.shape
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= c:
        raise ValueError(f"y: labels must be integers in [0, {c}), got {y.tolist()}")
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_p[rows, y].mean()
    dx = np.exp(log_p)
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
    if not isinstance(reg, float | int) or reg < 0:
        raise ValueError(f"reg: a number >= 0 is required, got {reg!r}")
    loss = 0.5 * reg * sum(float(np.sum(w * w)) for w in weights)
    return loss, [reg * w for w in weights]


# --- convolution -----------------------------------------------------------------------------
def _conv_geometry(name: str, param, keys):
    if not isinstance(param, dict) or not set(keys) <= set(param):
        raise ValueError(f"{name}: a dict with keys {', '.join(keys)} is required, got {param!r}")
    values = [param[k] for k in keys]
    for k, v in zip(keys, values, strict=True):
        low = 0 if k == "pad" else 1
        if not isinstance(v, int | np.integer) or v < low:
            raise ValueError(f"{name}['{k}']: an integer >= {low} is required, got {v!r}")
    return values


def _tiles(size: int, window: int, stride: int, what: str) -> int:
    if size < window or (size - window) % stride:
        raise ValueError(
            f"{what}: a window of {window} with stride {stride} does not tile a (padded) size "
            f"of {size}: (size - window) must be a non-negative multiple of the stride"
        )
    return (size - window) // stride + 1


def _windows(x: np.ndarray, hh: int, ww: int, stride: int) -> np.ndarray:
    """(N, C, H', W', hh, ww) view of every window (no copy)."""
    return sliding_window_view(x, (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]


def conv_forward(x, w, b, conv_param):
    """Cross-correlation of ``x`` (N, C, H, W) with filters ``w`` (F, C, HH, WW), bias ``b``
    (F,); ``conv_param = {'stride': s, 'pad': p}`` (zero padding) — as ``torch.conv2d``.

    >>> out, _ = conv_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1),
    ...                       {"stride": 1, "pad": 0})
    >>> out[0, 0]
    array([[4., 4.],
           [4., 4.]])
    >>> conv_forward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), np.zeros(1),
    ...              {"stride": 2, "pad": 0})
    Traceback (most recent call last):
    ...
    ValueError: conv_param: a window of 3 with stride 2 does not tile a (padded) size of 4: ...
    """
    x = _array("x", x, ndim=4)
    w = _array("w", w, ndim=4)
    b = _array("b", b, ndim=1)
    stride, pad = _conv_geometry("conv_param", conv_param, ("stride", "pad"))
    if w.shape[1] != x.shape[1]:
        raise _mismatch("x", x, "w", w, "w needs as many input channels as x")
    if b.shape[0] != w.shape[0]:
        raise _mismatch("w", w, "b", b, "b needs one entry per filter")
    hh, ww = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    _tiles(x_pad.shape[2], hh, stride, "conv_param")
    _tiles(x_pad.shape[3], ww, stride, "conv_param")
    out = np.einsum("nchwij,fcij->nfhw", _windows(x_pad, hh, ww, stride), w, optimize=True)
    return out + b[None, :, None, None], (x, w, b, dict(conv_param))


def dilate(dout: np.ndarray, stride: int) -> np.ndarray:
    """Insert ``stride - 1`` zeros between neighbouring entries of the last two axes.

    >>> dilate(np.ones((1, 1, 2, 2)), 2)[0, 0]
    array([[1., 0., 1.],
           [0., 0., 0.],
           [1., 0., 1.]])
    """
    n, f, h, w = dout.shape
    out = np.zeros((n, f, (h - 1) * stride + 1, (w - 1) * stride + 1))
    out[:, :, ::stride, ::stride] = dout
    return out


def conv_input_gradient(dout, w, conv_param, x_shape):
    """``dx``: the full correlation of the dilated ``dout`` with the kernel rotated by 180°,
    cropped by the padding — derivation ``conv``.

    >>> dx = conv_input_gradient(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)),
    ...                          {"stride": 1, "pad": 0}, (1, 1, 3, 3))
    >>> dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    hh, ww = w.shape[2:]
    d = dilate(dout, stride)
    d = np.pad(d, ((0, 0), (0, 0), (hh - 1, hh - 1), (ww - 1, ww - 1)))
    rotated = w[:, :, ::-1, ::-1]
    dx_pad = np.einsum("nfhwij,fcij->nchw", _windows(d, hh, ww, 1), rotated, optimize=True)
    h, wd = x_shape[2:]
    return dx_pad[:, :, pad : pad + h, pad : pad + wd]


def conv_backward(dout, cache):
    """``(dx, dw, db)`` of :func:`conv_forward`: ``dx`` by :func:`conv_input_gradient`,
    ``dw`` the correlation of the padded input with ``dout``, ``db = Σ dout`` per filter.

    >>> x, w = np.arange(9.0).reshape(1, 1, 3, 3), np.ones((1, 1, 2, 2))
    >>> out, cache = conv_forward(x, w, np.zeros(1), {"stride": 1, "pad": 0})
    >>> dx, dw, db = conv_backward(np.ones_like(out), cache)
    >>> dw[0, 0], db
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    x, w, b, conv_param = cache
    dout = _array("dout", dout, ndim=4)
    stride, pad = conv_param["stride"], conv_param["pad"]
    hh, ww = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = _windows(x_pad, hh, ww, stride)
    if dout.shape != (x.shape[0], w.shape[0], *windows.shape[2:4]):
        raise _mismatch("dout", dout, "out", windows[:, :1, ..., 0, 0], "must match")
    dw = np.einsum("nchwij,nfhw->fcij", windows, dout, optimize=True)
    db = dout.sum(axis=(0, 2, 3))
    dx = conv_input_gradient(dout, w, conv_param, x.shape)
    return dx, dw, db


# --- max pooling -----------------------------------------------------------------------------
POOL_KEYS = ("pool_height", "pool_width", "stride")


def max_pool_forward(x, pool_param):
    """Maximum over each ``pool_height × pool_width`` window, windows ``stride`` apart.

    >>> out, _ = max_pool_forward(np.arange(16.0).reshape(1, 1, 4, 4),
    ...                           {"pool_height": 2, "pool_width": 2, "stride": 2})
    >>> out[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x = _array("x", x, ndim=4)
    ph, pw, stride = _conv_geometry("pool_param", pool_param, POOL_KEYS)
    _tiles(x.shape[2], ph, stride, "pool_param")
    _tiles(x.shape[3], pw, stride, "pool_param")
    windows = _windows(x, ph, pw, stride)
    return windows.max(axis=(4, 5)), (x, dict(pool_param))


def max_pool_argmax(x, pool_param):
    """Flat index into ``x`` of each window's (first) maximum, shape ``(N, C, H', W')``.

    >>> max_pool_argmax(np.arange(4.0).reshape(1, 1, 2, 2),
    ...                 {"pool_height": 2, "pool_width": 2, "stride": 2}).ravel()
    array([3])
    """
    ph, pw, stride = (pool_param[k] for k in POOL_KEYS)
    n, c, h, w = x.shape
    windows = _windows(x, ph, pw, stride)
    ho, wo = windows.shape[2:4]
    k = windows.reshape(n, c, ho, wo, ph * pw).argmax(axis=-1)
    rows = np.arange(ho)[:, None] * stride + k // pw
    cols = np.arange(wo)[None, :] * stride + k % pw
    planes = (np.arange(n)[:, None] * c + np.arange(c)[None, :])[:, :, None, None]
    return (planes * h + rows) * w + cols


def max_pool_backward(dout, cache):
    """Each window's upstream gradient goes to the element that attained its maximum; windows
    that overlap add up — derivation ``max_pool``.

    >>> x = np.array([[[[1.0, 3.0], [2.0, 0.0]]]])
    >>> out, cache = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    >>> max_pool_backward(np.array([[[[5.0]]]]), cache)[0, 0]
    array([[0., 5.],
           [0., 0.]])
    """
    x, pool_param = cache
    dout = _array("dout", dout, ndim=4)
    index = max_pool_argmax(x, pool_param)
    _same_shape("dout", dout, "out", index)
    dx = np.zeros(x.size)
    np.add.at(dx, index.ravel(), dout.ravel())
    return dx.reshape(x.shape)


# --- batch normalization ---------------------------------------------------------------------
def batchnorm_forward(x, gamma, beta, bn_param=None):
    """Training-mode batch normalization of ``x`` (N, D) per feature with the batch's biased
    variance: ``γ (x - μ)/√(σ² + eps) + β``; ``bn_param`` may set ``eps`` (default 1e-5).

    >>> out, _ = batchnorm_forward(np.array([[1.0], [3.0]]), np.ones(1), np.zeros(1))
    >>> out.round(4).ravel().tolist()
    [-1.0, 1.0]
    """
    x = _array("x", x, ndim=2)
    gamma = _array("gamma", gamma, ndim=1)
    beta = _array("beta", beta, ndim=1)
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v.shape[0] != x.shape[1]:
            raise _mismatch("x", x, name, v, f"{name} needs one entry per feature of x")
    eps = (bn_param or {}).get("eps", 1e-5)
    if not isinstance(eps, float | int) or eps <= 0:
        raise ValueError(f"bn_param['eps']: a number > 0 is required, got {eps!r}")
    mu = x.mean(axis=0)
    sigma = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) / sigma
    return gamma * x_hat + beta, (x_hat, gamma, sigma)


def batchnorm_backward(dout, cache):
    """``(dx, dγ, dβ)``: ``dx = γ/(N σ) · (N dout - Σ dout - x̂ Σ dout x̂)`` (sums over the
    batch), ``dγ = Σ dout x̂``, ``dβ = Σ dout`` — derivation ``batchnorm``.

    >>> out, cache = batchnorm_forward(np.array([[1.0], [3.0]]), np.ones(1), np.zeros(1))
    >>> dx, dgamma, dbeta = batchnorm_backward(np.array([[1.0], [1.0]]), cache)
    >>> dx.ravel().tolist(), dbeta.tolist()
    ([0.0, 0.0], [2.0])
    """
    x_hat, gamma, sigma = cache
    dout = _array("dout", dout, ndim=2)
    _same_shape("dout", dout, "x", x_hat)
    n = x_hat.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (n * sigma) * (n * dout - dbeta - x_hat * dgamma)
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
    """
    x = _array("x", x, ndim=4)
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
    dout = _array("dout", dout, ndim=4)
    if dout.shape != shape:
        raise _mismatch("dout", dout, "x", np.empty(shape), "the shapes must be equal")
    dx, dgamma, dbeta = batchnorm_backward(_channels_last(dout), inner)
    return _channels_first(dx, shape), dgamma, dbeta


# --- inverted dropout ------------------------------------------------------------------------
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
    ValueError: dropout_param['p']: the drop probability must lie in [0, 1), got 1.0
    """
    x = _array("x", x)
    if not isinstance(dropout_param, dict) or "p" not in dropout_param:
        raise ValueError(f"dropout_param: a dict with key 'p' is required, got {dropout_param!r}")
    p = dropout_param["p"]
    if not isinstance(p, float | int) or not 0 <= p < 1:
        raise ValueError(f"dropout_param['p']: the drop probability must lie in [0, 1), got {p!r}")
    mode = dropout_param.get("mode", "train")
    if mode not in ("train", "test"):
        raise ValueError(f"dropout_param['mode']: 'train' or 'test' is required, got {mode!r}")
    if mode == "test":
        return x.copy(), (None, dropout_param)
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = (rng.random(x.shape) >= p) / (1.0 - p)
    return x * mask, (mask, dropout_param)


def dropout_backward(dout, cache):
    """``dout · mask`` with the scaled mask of the forward pass (identity in test mode) —
    derivation ``dropout``.

    >>> out, cache = dropout_forward(np.ones(4), {"p": 0.5, "seed": 1})
    >>> bool(np.all(dropout_backward(np.ones(4), cache) == out))
    True
    """
    mask, _ = cache
    dout = _array("dout", dout)
    if mask is None:
        return dout.copy()
    _same_shape("dout", dout, "mask", mask)
    return dout * mask


# The networks chain the functions above; they live in their own module (one concept each).
from derivations.layers_nets import FullyConnectedNet, TwoLayerNet  # noqa: E402

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "softmax_loss",
    "l2_penalty",
    "conv_forward",
    "conv_backward",
    "conv_input_gradient",
    "dilate",
    "max_pool_forward",
    "max_pool_backward",
    "max_pool_argmax",
    "batchnorm_forward",
    "batchnorm_backward",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "dropout_forward",
    "dropout_backward",
    "TwoLayerNet",
    "FullyConnectedNet",
]
