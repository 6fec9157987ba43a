"""Convolution and max pooling on ``(N, C, H, W)`` arrays; import them from
:mod:`derivations.layers`.

Windows are strided views of the (padded) input, so a forward pass is one ``einsum``; the
input gradient of a convolution is itself a convolution (derivation ``conv``), so the backward
pass reuses the same machinery.

Output sizes floor as in torch: a size ``n`` with padding ``p``, window ``k`` and stride ``s``
gives ``⌊(n + 2p − k)/s⌋ + 1`` outputs. When ``s`` does not divide ``n + 2p − k``, the last
``(n + 2p − k) mod s`` rows (or columns) of the padded input lie in no window: they do not
affect the output and their gradient is 0.

>>> out, cache = conv_forward(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), np.zeros(2),
...                           {"stride": 1, "pad": 1})
>>> out.shape
(1, 2, 4, 4)
>>> output_size(64, window=1, stride=2, pad=0), output_size(13, window=2, stride=2, pad=0)
(32, 6)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from derivations import arguments as arg
from derivations.layers.basic import _finite, _mismatch, _quiet


# --- geometry --------------------------------------------------------------------------------
def _geometry(name: str, param, keys, optional=()):
    """The settings ``keys`` (and ``optional``, default 0) of ``param``: a pad may be 0, the
    rest are positive; an unknown key is refused rather than ignored."""
    param = arg.options(param, name, (*keys, *optional), required=keys)
    return [
        arg.integer(param.get(k, 0), f"{name}['{k}']", minimum=0 if k == "pad" else 1)
        for k in (*keys, *optional)
    ]


def output_size(size, *, window, stride, pad=0, what: str = "size") -> int:
    """``⌊(size + 2·pad − window)/stride⌋ + 1``, the number of windows along one axis (torch's
    floor rule); refused when the window is larger than the padded size.

    >>> output_size(55, window=2, stride=2), output_size(7, window=3, stride=2, pad=1)
    (27, 4)
    >>> output_size(2, window=5, stride=1, what="pool_param")
    Traceback (most recent call last):
    ...
    ValueError: pool_param: a window of 5 does not fit in a (padded) size of 2
    """
    size = arg.count(size, "size")
    window = arg.count(window, "window")
    stride = arg.count(stride, "stride")
    pad = arg.non_negative_int(pad, "pad")
    padded = size + 2 * pad
    if padded < window:
        raise ValueError(
            f"{what}: a window of {window} does not fit in a (padded) size of {padded}"
        )
    return (padded - window) // stride + 1


def _spatial(x: np.ndarray) -> np.ndarray:
    """``x`` with a height and a width of at least 1 (a batch may be empty, as in torch)."""
    if 0 in x.shape[2:]:
        raise ValueError(f"x: a height and width of at least 1 are required, got shape {x.shape}")
    return x


def _windows(x: np.ndarray, hh: int, ww: int, stride: int) -> np.ndarray:
    """(N, C, H', W', hh, ww) view of every window (no copy); H' and W' floor as in torch."""
    return sliding_window_view(x, (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]


def _pad(x: np.ndarray, pad: int, value: float = 0.0) -> np.ndarray:
    if pad == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=value)


# --- convolution -----------------------------------------------------------------------------
CONV_KEYS = ("stride", "pad")


def conv_forward(x, w, b, conv_param):
    """Cross-correlation of ``x`` (N, C, H, W) with filters ``w`` (F, C, HH, WW), bias ``b``
    (F,); ``conv_param = {'stride': s, 'pad': p}`` (zero padding) — as ``torch.conv2d``,
    output ``⌊(H + 2p − HH)/s⌋ + 1`` by ``⌊(W + 2p − WW)/s⌋ + 1``.

    >>> out, _ = conv_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1),
    ...                       {"stride": 1, "pad": 0})
    >>> out[0, 0]
    array([[4., 4.],
           [4., 4.]])
    >>> conv_forward(np.ones((1, 1, 64, 64)), np.ones((3, 1, 1, 1)), np.zeros(3),
    ...              {"stride": 2, "pad": 0})[0].shape
    (1, 3, 32, 32)
    >>> conv_forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.zeros(1),
    ...              {"stride": 1, "pad": 0})
    Traceback (most recent call last):
    ...
    ValueError: conv_param: a window of 3 does not fit in a (padded) size of 2
    """
    x = _spatial(arg.array(x, "x", ndim=4))
    w = arg.array(w, "w", ndim=4)
    if 0 in w.shape[2:]:
        raise ValueError(
            f"w: a kernel of height and width at least 1 is required, got shape {w.shape}"
        )
    b = arg.array(b, "b", ndim=1)
    stride, pad = _geometry("conv_param", conv_param, CONV_KEYS)
    if w.shape[1] != x.shape[1]:
        raise _mismatch("x", x, "w", w, "w needs as many input channels as x")
    if b.shape[0] != w.shape[0]:
        raise _mismatch("w", w, "b", b, "b needs one entry per filter")
    hh, ww = w.shape[2:]
    for size, window in ((x.shape[2], hh), (x.shape[3], ww)):
        output_size(size, window=window, stride=stride, pad=pad, what="conv_param")
    windows = _windows(_pad(x, pad), hh, ww, stride)
    with _quiet():
        out = np.einsum("nchwij,fcij->nfhw", windows, w, optimize=True) + b[None, :, None, None]
    _finite("x, w, b", "the convolution", out)
    return out, (x, w, b, {"stride": stride, "pad": pad})


def dilate(dout: np.ndarray, stride: int, shape=None) -> np.ndarray:
    """Insert ``stride - 1`` zeros between neighbouring entries of the last two axes; with
    ``shape`` (height, width), pad zeros on the bottom and right up to that size (the rows of a
    padded input that no window reached when the stride does not divide the size).

    >>> dilate(np.ones((1, 1, 2, 2)), 2)[0, 0]
    array([[1., 0., 1.],
           [0., 0., 0.],
           [1., 0., 1.]])
    >>> dilate(np.ones((1, 1, 1, 2)), 2, shape=(2, 4))[0, 0]
    array([[1., 0., 1., 0.],
           [0., 0., 0., 0.]])
    """
    dout = arg.array(dout, "dout", ndim=4)
    stride = arg.count(stride, "stride")
    n, f, h, w = dout.shape
    least = ((h - 1) * stride + 1, (w - 1) * stride + 1)
    if shape is None:
        shape = least
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise TypeError(f"shape: a pair (height, width) is required, got {arg.shown(shape)}")
    shape = tuple(arg.count(s, f"shape[{i}]") for i, s in enumerate(shape))
    if shape[0] < least[0] or shape[1] < least[1]:
        raise ValueError(f"shape: at least {least} is required to hold dout dilated, got {shape}")
    out = np.zeros((n, f, *shape))
    out[:, :, : least[0] : stride, : least[1] : stride] = dout
    return out


def conv_input_gradient(dout, w, conv_param, x_shape):
    """``dx``: the full correlation of the dilated ``dout`` with the kernel rotated by 180°,
    cropped by the padding — derivation ``conv``. ``dout`` is dilated to the size
    ``n + 2p − k + 1`` of the padded input's window starts, so rows no window reached get 0.

    >>> dx = conv_input_gradient(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)),
    ...                          {"stride": 1, "pad": 0}, (1, 1, 3, 3))
    >>> dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> conv_input_gradient(np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)),
    ...                     {"stride": 2, "pad": 0}, (1, 1, 2, 2))[0, 0]
    array([[1., 0.],
           [0., 0.]])
    """
    dout = arg.array(dout, "dout", ndim=4)
    w = arg.array(w, "w", ndim=4)
    stride, pad = _geometry("conv_param", conv_param, CONV_KEYS)
    if not isinstance(x_shape, tuple | list) or len(x_shape) != 4:
        raise TypeError(f"x_shape: a shape (N, C, H, W) is required, got {arg.shown(x_shape)}")
    x_shape = tuple(arg.count(s, f"x_shape[{i}]") for i, s in enumerate(x_shape))
    hh, ww = w.shape[2:]
    h, wd = x_shape[2:]
    out_shape = (
        x_shape[0],
        w.shape[0],
        output_size(h, window=hh, stride=stride, pad=pad, what="conv_param"),
        output_size(wd, window=ww, stride=stride, pad=pad, what="conv_param"),
    )
    if x_shape[1] != w.shape[1] or dout.shape != out_shape:
        raise ValueError(
            f"dout of shape {dout.shape}, w of shape {w.shape} and x_shape {x_shape}: dout must "
            f"have the output shape {out_shape} and w {x_shape[1]} input channels"
        )
    d = dilate(dout, stride, shape=(h + 2 * pad - hh + 1, wd + 2 * pad - ww + 1))
    d = np.pad(d, ((0, 0), (0, 0), (hh - 1, hh - 1), (ww - 1, ww - 1)))
    rotated = w[:, :, ::-1, ::-1]
    with _quiet():
        dx_pad = np.einsum("nfhwij,fcij->nchw", _windows(d, hh, ww, 1), rotated, optimize=True)
    _finite("dout, w", "the input gradient", dx_pad)
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
    dout = arg.array(dout, "dout", ndim=4)
    stride, pad = conv_param["stride"], conv_param["pad"]
    hh, ww = w.shape[2:]
    windows = _windows(_pad(x, pad), hh, ww, stride)
    if dout.shape != (x.shape[0], w.shape[0], *windows.shape[2:4]):
        raise _mismatch("dout", dout, "out", windows[:, :1, ..., 0, 0], "must match")
    with _quiet():
        dw = np.einsum("nchwij,nfhw->fcij", windows, dout, optimize=True)
        db = dout.sum(axis=(0, 2, 3))
    _finite("dout", "a gradient", dw, db)
    dx = conv_input_gradient(dout, w, conv_param, x.shape)
    return dx, dw, db


# --- max pooling -----------------------------------------------------------------------------
POOL_KEYS = ("pool_height", "pool_width", "stride")


def _pool_geometry(x: np.ndarray, pool_param) -> tuple[int, int, int, int]:
    ph, pw, stride, pad = _geometry("pool_param", pool_param, POOL_KEYS, ("pad",))
    # torch's rule: every window then holds at least one entry of x, never padding alone.
    if pad > min(ph, pw) // 2:
        raise ValueError(
            f"pool_param['pad']: at most half the window, min(pool_height, pool_width) // 2 = "
            f"{min(ph, pw) // 2}, is required, got {pad}"
        )
    for size, window in ((x.shape[2], ph), (x.shape[3], pw)):
        output_size(size, window=window, stride=stride, pad=pad, what="pool_param")
    return ph, pw, stride, pad


def max_pool_forward(x, pool_param):
    """Maximum over each ``pool_height × pool_width`` window, windows ``stride`` apart, as
    ``torch.nn.functional.max_pool2d``: output ``⌊(H + 2p − pool_height)/stride⌋ + 1`` by
    ``⌊(W + 2p − pool_width)/stride⌋ + 1``, with an optional ``pool_param['pad']`` = p
    (default 0, at most half the window) of −∞ around ``x``.

    >>> out, _ = max_pool_forward(np.arange(16.0).reshape(1, 1, 4, 4),
    ...                           {"pool_height": 2, "pool_width": 2, "stride": 2})
    >>> out[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    >>> max_pool_forward(np.ones((1, 1, 13, 55)),
    ...                  {"pool_height": 2, "pool_width": 2, "stride": 2})[0].shape
    (1, 1, 6, 27)
    """
    x = _spatial(arg.array(x, "x", ndim=4))
    ph, pw, stride, pad = _pool_geometry(x, pool_param)
    windows = _windows(_pad(x, pad, -np.inf), ph, pw, stride)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride, "pad": pad}
    return windows.max(axis=(4, 5)), (x, param)


def max_pool_argmax(x, pool_param):
    """Flat index into ``x`` of each window's maximum, shape ``(N, C, H', W')``. At a tie the
    **first** maximum in row-major window order wins, as in torch's CPU kernel (it replaces the
    running maximum only by a strictly larger entry).

    >>> max_pool_argmax(np.arange(4.0).reshape(1, 1, 2, 2),
    ...                 {"pool_height": 2, "pool_width": 2, "stride": 2}).ravel()
    array([3])
    >>> max_pool_argmax(np.array([[[[1.0, 3.0], [3.0, 3.0]]]]),
    ...                 {"pool_height": 2, "pool_width": 2, "stride": 2}).ravel()
    array([1])
    """
    x = _spatial(arg.array(x, "x", ndim=4))
    ph, pw, stride, pad = _pool_geometry(x, pool_param)
    n, c, h, w = x.shape
    windows = _windows(_pad(x, pad, -np.inf), ph, pw, stride)
    ho, wo = windows.shape[2:4]
    # argmax returns the first occurrence of the maximum: torch's tie rule. Padding is -inf,
    # below every (finite) entry, and every window holds an entry, so k never lands on it.
    k = windows.reshape(n, c, ho, wo, ph * pw).argmax(axis=-1)
    rows = np.arange(ho)[:, None] * stride + k // pw - pad
    cols = np.arange(wo)[None, :] * stride + k % pw - pad
    planes = (np.arange(n)[:, None] * c + np.arange(c)[None, :])[:, :, None, None]
    return (planes * h + rows) * w + cols


def max_pool_backward(dout, cache):
    """Each window's upstream gradient goes to the element that attained its maximum (the
    first in row-major order at a tie, as torch); windows that overlap add up — derivation
    ``max_pool``. Entries in no window (the last rows or columns when the stride does not
    divide the size) get 0.

    >>> x = np.array([[[[1.0, 3.0], [2.0, 0.0]]]])
    >>> out, cache = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    >>> max_pool_backward(np.array([[[[5.0]]]]), cache)[0, 0]
    array([[0., 5.],
           [0., 0.]])
    """
    x, pool_param = cache
    dout = arg.array(dout, "dout", ndim=4)
    index = max_pool_argmax(x, pool_param)
    arg.same_shape("dout", dout, "out", index)
    dx = np.zeros(x.size)
    with _quiet():  # overlapping windows add up
        np.add.at(dx, index.ravel(), dout.ravel())
    _finite("dout", "the input gradient", dx)
    return dx.reshape(x.shape)
