"""Per-layer tables: output shape, parameters and multiply–accumulates of every layer.

:func:`table` computes them from a :class:`~derivations.architectures.layers.Spec` by the
rules of :mod:`derivations.architectures.layers`; :func:`from_torch` reads them off any
``torch.nn.Module`` by running it once. ReLU, dropout and flatten hold no parameter and do
no multiply–accumulate; they are folded into their neighbours rather than given rows (a
dense layer after a map flattens it). Multiply–accumulates (MACs) are those of convolutions
(``C_out·H_out·W_out · (C_in/groups)·k_h·k_w``) and dense layers (``in·out``); bias
additions, normalization, pooling and activations are not multiply–accumulates and count 0.

>>> from derivations.architectures.layers import Layer, Spec
>>> t = table(Spec((Layer("conv", out=4, kernel=3), Layer("maxpool", kernel=2, stride=2),
...                 Layer("dense", out=10))), "1x8x8")
>>> [(r.name, r.output_shape, r.params) for r in t.rows]
[('conv1', (4, 6, 6), 40), ('pool1', (4, 3, 3), 0), ('fc1', (10,), 370)]
>>> t.total, round(t.share("dense"), 4)
(410, 0.9024)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass

from derivations.architectures.layers import FOLDED, Layer, Rules, Spec

#: Largest number of entries an input shape may have (a typed shape is a few numbers).
MAX_DIMS = 4
#: Largest size of one input dimension accepted.
MAX_SIZE = 1 << 20
SHARE_KINDS = ("conv", "dense", "batchnorm")


@dataclass(frozen=True)
class Row:
    """One layer of a table."""

    name: str
    kind: str
    output_shape: tuple
    params: int
    macs: int


@dataclass(frozen=True)
class Table:
    """The rows of a network for one input shape, with totals and shares.

    >>> t = Table((Row("fc1", "dense", (3,), 15, 12),), (4,))
    >>> t.total, t.total_macs, t.share("conv")
    (15, 12, 0.0)
    """

    rows: tuple
    input_shape: tuple

    @property
    def total(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def params(self) -> tuple:
        return tuple(r.params for r in self.rows)

    @property
    def shapes(self) -> tuple:
        return tuple(r.output_shape for r in self.rows)

    @property
    def macs(self) -> tuple:
        return tuple(r.macs for r in self.rows)

    def share(self, kind: str) -> float:
        """The fraction of all parameters held by layers of ``kind`` (conv, dense, batchnorm).

        >>> Table((Row("a", "conv", (1,), 3, 0), Row("b", "dense", (1,), 1, 1)), (1,)).share("conv")
        0.75
        >>> Table((), (1,)).share("pool")
        Traceback (most recent call last):
        ...
        ValueError: kind: 'pool' is not one of conv, dense, batchnorm
        """
        if kind not in SHARE_KINDS:
            raise ValueError(f"kind: {kind!r} is not one of {', '.join(SHARE_KINDS)}")
        total = self.total
        return sum(r.params for r in self.rows if r.kind == kind) / total if total else 0.0

    def to_dict(self) -> dict:
        """JSON-ready.

        >>> Table((Row("fc1", "dense", (3,), 15, 12),), (4,)).to_dict()["total"]
        15
        """
        return {
            "input_shape": list(self.input_shape),
            "rows": [{**asdict(r), "output_shape": list(r.output_shape)} for r in self.rows],
            "total": self.total,
            "total_macs": self.total_macs,
            "shares": {k: self.share(k) for k in SHARE_KINDS},
        }

    def render(self, fmt: str = "text") -> str:
        """The table as ``text``, ``markdown`` or ``json``.

        >>> print(Table((Row("fc1", "dense", (3,), 15, 12),), (4,)).render("markdown"))
        | layer | output | parameters | MACs |
        |---|---|---:|---:|
        | input | 4 | 0 | 0 |
        | fc1 | 3 | 15 | 12 |
        | **total** |  | **15** | **12** |
        <BLANKLINE>
        shares of the parameters: conv 0.00%, dense 100.00%, batchnorm 0.00%
        """
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2)
        if fmt not in ("text", "markdown"):
            raise ValueError(f"format: {fmt!r} is not one of text, markdown, json")
        lines = [("input", shape_text(self.input_shape), "0", "0")]
        lines += [
            (r.name, shape_text(r.output_shape), f"{r.params:,}", f"{r.macs:,}") for r in self.rows
        ]
        shares = ", ".join(f"{k} {100 * self.share(k):.2f}%" for k in SHARE_KINDS)
        tail = f"\nshares of the parameters: {shares}"
        if fmt == "markdown":
            out = ["| layer | output | parameters | MACs |", "|---|---|---:|---:|"]
            out += [
                f"| {a} | {b} | {c.replace(',', '')} | {d.replace(',', '')} |"
                for a, b, c, d in lines
            ]
            out.append(f"| **total** |  | **{self.total}** | **{self.total_macs}** |")
            return "\n".join(out) + "\n" + tail
        lines.append(("total", "", f"{self.total:,}", f"{self.total_macs:,}"))
        widths = [max(len(x[i]) for x in lines) for i in range(4)]
        head = (
            "layer".ljust(widths[0]),
            "output".ljust(widths[1]),
            "parameters".rjust(widths[2]),
            "MACs".rjust(widths[3]),
        )
        out = ["  ".join(head)]
        out += [
            "  ".join(
                (a.ljust(widths[0]), b.ljust(widths[1]), c.rjust(widths[2]), d.rjust(widths[3]))
            )
            for a, b, c, d in lines
        ]
        return "\n".join(out) + tail


def shape_text(shape) -> str:
    """``(64, 112, 112)`` as ``64×112×112``.

    >>> shape_text((64, 112, 112))
    '64×112×112'
    """
    return "×".join(str(int(v)) for v in shape)


def input_shape(value, name: str = "input_shape") -> tuple:
    """An input shape from a tuple of positive integers or text such as ``3x224x224``
    (channels first, as torch has it; no batch dimension).

    >>> input_shape("3x224x224"), input_shape((784,))
    ((3, 224, 224), (784,))
    >>> input_shape("3x-4x4")
    Traceback (most recent call last):
    ...
    ValueError: input_shape: positive integers such as 3x224x224 (C×H×W) or 784 are required, got '3x-4x4'
    """
    wanted = (
        f"{name}: positive integers such as 3x224x224 (C×H×W) or 784 are required, got {value!r}"
    )
    if isinstance(value, str):
        parts = re.split(r"\s*[x×,]\s*", value.strip().strip("()[]"))
        if not all(p.isdigit() and p.isascii() and len(p) <= 7 for p in parts):
            raise ValueError(wanted)
        value = tuple(int(p) for p in parts)
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= MAX_DIMS:
        raise ValueError(wanted)
    if any(isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SIZE for v in value):
        raise ValueError(wanted)
    if len(value) not in (1, 3):
        raise ValueError(f"{name}: (C, H, W) or (D,) is required, got {tuple(value)}")
    return tuple(int(v) for v in value)


_ROW_PREFIX = {
    "conv": "conv",
    "dense": "fc",
    "batchnorm": "bn",
    "maxpool": "pool",
    "avgpool": "pool",
    "gap": "gap",
    "residual": "block",
}


class _Walker:
    """Carries the running shape through the layers and writes the rows."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.rows: list[Row] = []
        self.counts: dict[str, int] = {}

    def name(self, layer: Layer, prefix: str) -> str:
        key = _ROW_PREFIX[layer.kind]
        self.counts[prefix + key] = self.counts.get(prefix + key, 0) + 1
        return prefix + (layer.name or f"{key}{self.counts[prefix + key]}")

    def walk(self, layers, shape: tuple, prefix: str = "") -> tuple:
        for index, layer in enumerate(layers):
            shape = self.layer(layer, shape, prefix, index)
        return shape

    def _spatial(self, layer: Layer, shape: tuple, what: str) -> tuple:
        if len(shape) != 3:
            raise ValueError(
                f"spec: {what} {layer.name or layer.kind!r} needs a C×H×W input, got "
                f"{shape_text(shape)}"
            )
        size = self.rules.output_size
        return tuple(
            size(
                shape[1 + a],
                layer.kernel[a],
                stride=layer.stride[a],
                padding=layer.padding[a],
                dilation=layer.dilation[a],
            )
            for a in (0, 1)
        )

    def layer(self, layer: Layer, shape: tuple, prefix: str, index: int) -> tuple:
        kind = layer.kind
        if kind in FOLDED:
            return (math.prod(shape),) if kind == "flatten" else shape
        if kind == "residual":
            name = self.name(layer, prefix)
            out = self.walk(layer.body, shape, name + ".")
            side = self.walk(layer.shortcut, shape, name + ".") if layer.shortcut else shape
            if side != out:
                raise ValueError(
                    f"spec: block {name}: the body gives {shape_text(out)} but the shortcut "
                    f"{shape_text(side)}; they must match to be added"
                )
            return out
        name = self.name(layer, prefix)
        if kind == "conv":
            h, w = self._spatial(layer, shape, "convolution")
            params = self.rules.conv_params(
                layer.kernel[0],
                layer.kernel[1],
                shape[0],
                layer.out,
                groups=layer.groups,
                bias=layer.bias,
            )
            out = (layer.out, h, w)
            macs = (
                layer.out * h * w * (shape[0] // layer.groups) * layer.kernel[0] * layer.kernel[1]
            )
        elif kind == "dense":
            n_in = math.prod(shape)
            params = self.rules.dense_params(n_in, layer.out, bias=layer.bias)
            out, macs = (layer.out,), n_in * layer.out
        elif kind == "batchnorm":
            params, out, macs = self.rules.batchnorm_params(shape[0]), shape, 0
        elif kind == "gap":
            if len(shape) != 3:
                raise ValueError(
                    f"spec: global pooling needs a C×H×W input, got {shape_text(shape)}"
                )
            params, out, macs = 0, (shape[0], 1, 1), 0
        else:  # max or average pooling
            h, w = self._spatial(layer, shape, "pooling")
            params, out, macs = 0, (shape[0], h, w), 0
        self.rows.append(Row(name, kind, out, params, macs))
        return out


def table(spec: Spec, input_shape_=None, *, rules: Rules | None = None) -> Table:
    """The per-layer table of ``spec`` on ``input_shape_`` (default: the spec's own).

    ``rules`` replaces the counting rules (to see what a slip does); the default is right.

    >>> from derivations.architectures import NETWORKS
    >>> t = table(NETWORKS["vgg11"])
    >>> t.rows[0].output_shape, t.rows[0].params, t.total
    ((64, 224, 224), 1792, 132863336)
    >>> table(NETWORKS["vgg11"], "3x20x20")
    Traceback (most recent call last):
    ...
    ValueError: kernel: the window δ(k − 1) + 1 = 2 is larger than the padded input n + 2p = 1
    """
    if not isinstance(spec, Spec):
        raise TypeError(
            f"spec: a Spec (from parse or NETWORKS) is required, got {type(spec).__name__}"
        )
    if input_shape_ is None:
        if spec.input_shape is None:
            raise ValueError("input_shape: the spec declares none; give one, e.g. 3x224x224")
        input_shape_ = spec.input_shape
    shape = input_shape(input_shape_)
    walker = _Walker(rules or Rules())
    walker.walk(spec.layers, shape)
    return Table(tuple(walker.rows), shape)


_TORCH_KINDS = {
    "Conv2d": "conv",
    "Linear": "dense",
    "BatchNorm2d": "batchnorm",
    "BatchNorm1d": "batchnorm",
    "MaxPool2d": "maxpool",
    "AvgPool2d": "avgpool",
    "AdaptiveAvgPool2d": "gap",
}
_TORCH_FOLDED = ("ReLU", "LeakyReLU", "Dropout", "Flatten", "Identity")


def from_torch(module, input_shape_=None) -> Table:
    """The table of any ``torch.nn.Module``, by running it once on zeros of ``input_shape_``
    (C×H×W or D, no batch dimension) and reading each leaf module: its own parameters
    (``numel``), its output shape, its multiply–accumulates.

    >>> import torch
    >>> t = from_torch(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()), (4,))
    >>> [(r.kind, r.output_shape, r.params, r.macs) for r in t.rows]
    [('dense', (3,), 15, 12)]
    >>> from_torch(torch.nn.Linear(4, 3))
    Traceback (most recent call last):
    ...
    ValueError: input_shape: a module is run to be counted; give the shape of one input, e.g. 3x224x224
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module: a torch.nn.Module is required, got {type(module).__name__}")
    if input_shape_ is None:
        raise ValueError(
            "input_shape: a module is run to be counted; give the shape of one input, e.g. 3x224x224"
        )
    shape = input_shape(input_shape_)
    rows: list[Row] = []
    handles = []

    def hook(name):
        def record(mod, inputs, output):
            cls = type(mod).__name__
            if cls in _TORCH_FOLDED:
                return
            out = tuple(output.shape[1:])
            params = sum(p.numel() for p in mod.parameters(recurse=False))
            macs = 0
            if isinstance(mod, torch.nn.Conv2d):
                macs = math.prod(out) * mod.weight[0].numel()
            elif isinstance(mod, torch.nn.Linear):
                macs = math.prod(out) * mod.in_features
            rows.append(Row(name, _TORCH_KINDS.get(cls, cls.lower()), out, int(params), int(macs)))

        return record

    for name, mod in module.named_modules():
        if not list(mod.children()):
            handles.append(mod.register_forward_hook(hook(name)))
    was_training = module.training
    try:
        param = next(module.parameters(), None)
        device = param.device if param is not None else "cpu"
        module.eval()
        with torch.no_grad():
            module(torch.zeros((1, *shape), device=device))
    finally:
        module.train(was_training)
        for h in handles:
            h.remove()
    return Table(tuple(rows), shape)
