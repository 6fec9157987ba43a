"""Convolution and max pooling on ``(N, C, H, W)`` arrays; import them from
:mod:`derivations.layers`.

Windows are strided views of the (padded) input, so a forward pass is one ``einsum``; the
input gradient of a convolution is itself a convolution (derivation ``conv``), so the backward
pass reuses the same machinery.

>>> out, cache = conv_forward(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), np.zeros(2),
...                           {"stride": 1, "pad": 1})
>>> out.shape
(1, 2, 4, 4)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from derivations import arguments as arg
from derivations.layers.basic import _mismatch


# --- convolution -----------------------------------------------------------------------------
def _conv_geometry(name: str, param, keys):
    arg.options(param, name, required=keys)
    return [arg.count(param[k], f"{name}['{k}']", minimum=0 if k == "pad" else 1) for k in keys]


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
    x = arg.array(x, "x", ndim=4)
    w = arg.array(w, "w", ndim=4)
    b = arg.array(b, "b", ndim=1)
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
    dout = arg.array(dout, "dout", ndim=4)
    stride = arg.count(stride, "stride")
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
    dout = arg.array(dout, "dout", ndim=4)
    w = arg.array(w, "w", ndim=4)
    stride, pad = _conv_geometry("conv_param", conv_param, ("stride", "pad"))
    if not isinstance(x_shape, tuple | list) or len(x_shape) != 4:
        raise TypeError(f"x_shape: a shape (N, C, H, W) is required, got {arg.shown(x_shape)}")
    x_shape = [arg.count(s, f"x_shape[{i}]") for i, s in enumerate(x_shape)]
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
    dout = arg.array(dout, "dout", ndim=4)
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
    x = arg.array(x, "x", ndim=4)
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
    x = arg.array(x, "x", ndim=4)
    ph, pw, stride = _conv_geometry("pool_param", pool_param, POOL_KEYS)
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
    dout = arg.array(dout, "dout", ndim=4)
    index = max_pool_argmax(x, pool_param)
    arg.same_shape("dout", dout, "out", index)
    dx = np.zeros(x.size)
    np.add.at(dx, index.ravel(), dout.ravel())
    return dx.reshape(x.shape)
