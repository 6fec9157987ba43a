"""Layers as data, and the counting rules: output size, parameters, multiply–accumulates.

A network is a :class:`Spec`: a tuple of :class:`Layer` objects and, optionally, the input
shape it is meant for (``(C, H, W)`` for images, ``(D,)`` for vectors). Each rule is a plain
function of integers that validates its arguments; :class:`Rules` bundles them so that a
table can be recomputed under another rule (a course's slip, for instance) without touching
the layers.

>>> output_size(224, 3, stride=1, padding=1)
224
>>> conv_params(3, 3, 64, 128)  # 3·3·64·128 weights + 128 biases
73856
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

#: Layer kinds. ``relu``, ``dropout`` and ``flatten`` are folded into their neighbours by a
#: table (they hold no parameter and change no count); the others are rows.
KINDS = (
    "conv",
    "dense",
    "batchnorm",
    "maxpool",
    "avgpool",
    "gap",
    "relu",
    "dropout",
    "flatten",
    "residual",
)
FOLDED = ("relu", "dropout", "flatten")


def _int(value, name: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum``; a float, a bool or a string is a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}: an integer >= {minimum} is required, got {value!r}")
    return int(value)


def pair(value, name: str, minimum: int) -> tuple[int, int]:
    """One integer or a ``(height, width)`` pair, as a pair.

    >>> pair(3, "kernel", 1), pair((1, 2), "padding", 0)
    ((3, 3), (1, 2))
    >>> pair(1.5, "stride", 1)
    Traceback (most recent call last):
    ...
    ValueError: stride: an integer >= 1 is required, got 1.5
    """
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(
                f"{name}: an integer or a pair (height, width) is required, got {value!r}"
            )
        return (_int(value[0], name, minimum), _int(value[1], name, minimum))
    v = _int(value, name, minimum)
    return (v, v)


def output_size(n, kernel, *, stride=1, padding=0, dilation=1) -> int:
    """⌊(n + 2p − δ(k − 1) − 1)/s⌋ + 1: the number of window positions along one axis.

    The window's taps sit at ``i·s + δ·j`` (``j = 0 … k − 1``) in the padded input of
    length ``n + 2p``; a position counts when its last tap is inside it.

    >>> output_size(13, 2, stride=2)  # a 13-row map pooled 2×2, stride 2: the last row is lost
    6
    >>> output_size(7, 3, dilation=4)
    Traceback (most recent call last):
    ...
    ValueError: kernel: the window δ(k − 1) + 1 = 9 is larger than the padded input n + 2p = 7
    >>> output_size(-3, 2)
    Traceback (most recent call last):
    ...
    ValueError: n: an integer >= 1 is required, got -3
    """
    n = _int(n, "n", 1)
    kernel = _int(kernel, "kernel", 1)
    stride = _int(stride, "stride", 1)
    padding = _int(padding, "padding", 0)
    dilation = _int(dilation, "dilation", 1)
    span = dilation * (kernel - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(
            f"kernel: the window δ(k − 1) + 1 = {span} is larger than the padded input "
            f"n + 2p = {n + 2 * padding}"
        )
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_params(k_h, k_w, c_in, c_out, *, groups=1, bias=True) -> int:
    """``k_h·k_w·(C_in/groups)·C_out`` weights, plus ``C_out`` biases.

    >>> conv_params(3, 3, 32, 64, groups=4)  # each filter sees 32/4 = 8 input channels
    4672
    >>> conv_params(3, 3, 30, 64, groups=4)
    Traceback (most recent call last):
    ...
    ValueError: groups: 4 must divide both C_in = 30 and C_out = 64
    """
    k_h, k_w = _int(k_h, "k_h", 1), _int(k_w, "k_w", 1)
    c_in, c_out = _int(c_in, "c_in", 1), _int(c_out, "c_out", 1)
    groups = _int(groups, "groups", 1)
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups: {groups} must divide both C_in = {c_in} and C_out = {c_out}")
    return k_h * k_w * (c_in // groups) * c_out + (c_out if _flag(bias, "bias") else 0)


def dense_params(n_in, n_out, *, bias=True) -> int:
    """``in·out`` weights plus ``out`` biases.

    >>> dense_params(4096, 1000)
    4097000
    """
    n_in, n_out = _int(n_in, "n_in", 1), _int(n_out, "n_out", 1)
    return n_in * n_out + (n_out if _flag(bias, "bias") else 0)


def batchnorm_params(channels) -> int:
    """``2C``: a scale γ and a shift β per channel. The running mean and variance (another
    ``2C`` numbers) are buffers, estimated rather than learned, and are not parameters.

    >>> batchnorm_params(64)
    128
    """
    return 2 * _int(channels, "channels", 1)


def _flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: True or False is required, got {value!r}")
    return value


@dataclass(frozen=True)
class Rules:
    """The counting rules a table applies; the defaults are the right ones.

    >>> Rules().output_size(5, 3, stride=2, padding=0, dilation=1)
    2
    """

    output_size: Callable[..., int] = output_size
    conv_params: Callable[..., int] = conv_params
    dense_params: Callable[..., int] = dense_params
    batchnorm_params: Callable[..., int] = batchnorm_params


@dataclass(frozen=True)
class Layer:
    """One layer. ``out`` is the number of output channels (conv) or units (dense);
    ``kernel``, ``stride``, ``padding`` and ``dilation`` are ``(height, width)`` pairs;
    ``body`` and ``shortcut`` are the two branches of a ``residual`` block (an empty
    shortcut is the identity), whose outputs are added.

    >>> Layer("conv", "conv1", out=8, kernel=(5, 5)).stride
    (1, 1)
    >>> Layer("lstm", "x")
    Traceback (most recent call last):
    ...
    ValueError: kind: 'lstm' is not one of conv, dense, batchnorm, maxpool, avgpool, gap, relu, dropout, flatten, residual
    """

    kind: str
    name: str = ""
    out: int | None = None
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = True
    body: tuple = field(default=())
    shortcut: tuple = field(default=())

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        for name, low in (("kernel", 1), ("stride", 1), ("padding", 0), ("dilation", 1)):
            object.__setattr__(self, name, pair(getattr(self, name), name, low))
        _int(self.groups, "groups", 1)
        _flag(self.bias, "bias")
        if self.kind in ("conv", "dense"):
            _int(self.out, "out", 1)
        object.__setattr__(self, "body", tuple(self.body))
        object.__setattr__(self, "shortcut", tuple(self.shortcut))


@dataclass(frozen=True)
class Spec:
    """A network: its layers, the input shape it is meant for (or None), and a note saying
    where it comes from.

    >>> Spec((Layer("dense", "fc", out=3),), (4,)).input_shape
    (4,)
    """

    layers: tuple
    input_shape: tuple | None = None
    name: str = ""
    note: str = ""

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.layers or not all(isinstance(x, Layer) for x in self.layers):
            raise ValueError("layers: a non-empty sequence of Layer objects is required")
