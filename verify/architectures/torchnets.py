"""The named networks written again in ``torch.nn``, and what torch says about them.

Each network is written here from its definition, independently of
:mod:`derivations.architectures` (no spec, no table, no counting rule is used): the layer
sizes a definition gives (filters, kernels, strides, paddings, units), and ``nn.LazyLinear``
for the first dense layer after a map so that torch, not a formula, finds its input size.
Everything is built on the ``meta`` device: shapes and parameter tensors exist, no memory is
filled and no arithmetic is done, so VGG-11's 133 million parameters cost nothing.

:func:`reference` runs one forward pass of a batch of one with a forward hook on every leaf
module and reads, per module in the order they run: the output shape, the module's own
parameters (``numel``; buffers such as batch norm's running statistics are not parameters),
and its multiply–accumulates from the tensors the hook sees (a convolution's output entries
times the entries of one filter, ``weight[0].numel()``; a linear layer's outputs times its
``in_features``). ``torch.utils.flop_counter.FlopCounterMode`` counts the same pass again by
torch's own formulas (two FLOPs per multiply–accumulate). ReLU, dropout and flatten hold no
parameter and do no multiply–accumulate; they are not rows (the tables fold them likewise).

>>> ref = reference("mnist_cnn")
>>> ref.names[:2], ref.shapes[0], ref.params[0]
(('0', '2'), (6, 28, 28), 156)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from verify.lazy import torch

META = "meta"
#: Leaf modules that are not rows: no parameter, no multiply–accumulate.
FOLDED = ("ReLU", "Dropout", "Flatten", "Identity")


def _vgg11():
    nn = torch.nn
    layers, c = [], 3
    for v in (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"):
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1, device=META), nn.ReLU()]
            c = v
    layers += [
        nn.Flatten(),
        nn.LazyLinear(4096, device=META),
        nn.ReLU(),
        nn.Dropout(),
        nn.Linear(4096, 4096, device=META),
        nn.ReLU(),
        nn.Dropout(),
        nn.Linear(4096, 1000, device=META),
    ]
    return nn.Sequential(*layers)


def _gaze_cnn(batchnorm: bool):
    nn = torch.nn

    def conv(c_in, c_out, k, **kw):
        norm = [nn.BatchNorm2d(c_out, device=META)] if batchnorm else []
        return [nn.Conv2d(c_in, c_out, k, device=META, **kw), *norm, nn.ReLU()]

    return nn.Sequential(
        *conv(1, 12, 5),
        nn.MaxPool2d(2, 2),
        *conv(12, 36, 4),
        nn.MaxPool2d(2, 2),
        *conv(36, 32, 3, padding=1),
        nn.Flatten(),
        nn.LazyLinear(124, device=META),
        nn.ReLU(),
        nn.Linear(124, 52, device=META),
        nn.ReLU(),
        nn.Linear(52, 4, device=META),
    )


def _gaze_fcn():
    nn = torch.nn
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(36 * 120, 100, device=META),
        nn.ReLU(),
        nn.Linear(100, 100, device=META),
        nn.ReLU(),
        nn.Linear(100, 100, device=META),
        nn.ReLU(),
        nn.Linear(100, 4, device=META),
    )


def _fit3181():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, device=META),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1, device=META),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, device=META),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1, device=META),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.LazyLinear(512, device=META),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(512, 10, device=META),
    )


def _residual_block(c_in: int, c_out: int):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False, device=META)
            self.bn1 = nn.BatchNorm2d(c_out, device=META)
            self.relu1 = nn.ReLU()
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False, device=META)
            self.bn2 = nn.BatchNorm2d(c_out, device=META)
            self.shortcut = (
                nn.Sequential(
                    nn.Conv2d(c_in, c_out, 1, bias=False, device=META),
                    nn.BatchNorm2d(c_out, device=META),
                )
                if c_in != c_out
                else nn.Identity()
            )

        def forward(self, x):
            y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
            return y + self.shortcut(x)

    return Block()


def _fit5215():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, device=META),
        nn.BatchNorm2d(32, device=META),
        nn.ReLU(),
        _residual_block(32, 32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        _residual_block(32, 64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        _residual_block(64, 128),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, 10, device=META),
    )


def _mnist_mlp():
    nn = torch.nn
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256, device=META),
        nn.ReLU(),
        nn.Linear(256, 128, device=META),
        nn.ReLU(),
        nn.Linear(128, 10, device=META),
    )


def _mnist_cnn():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, device=META),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, device=META),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.LazyLinear(120, device=META),
        nn.ReLU(),
        nn.Linear(120, 84, device=META),
        nn.ReLU(),
        nn.Linear(84, 10, device=META),
    )


def _mnist_volumes():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=2, padding=1, device=META),
        nn.Conv2d(8, 16, 3, dilation=2, device=META),
        nn.Conv2d(16, 32, 3, stride=2, groups=4, device=META),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.Flatten(),
        nn.LazyLinear(10, device=META),
    )


#: name -> (builder, input shape C×H×W as the definition gives it)
BUILDERS = {
    "vgg11": (_vgg11, (3, 224, 224)),
    "gaze_cnn": (lambda: _gaze_cnn(False), (1, 36, 120)),
    "gaze_cnn_bn": (lambda: _gaze_cnn(True), (1, 36, 120)),
    "gaze_fcn": (_gaze_fcn, (1, 36, 120)),
    "fit3181_cnn": (_fit3181, (3, 32, 32)),
    "fit5215_resnet": (_fit5215, (3, 64, 64)),
    "mnist_mlp": (_mnist_mlp, (1, 28, 28)),
    "mnist_cnn": (_mnist_cnn, (1, 28, 28)),
    "mnist_volumes": (_mnist_volumes, (1, 28, 28)),
}


@dataclass(frozen=True)
class Reference:
    """What torch says about one network: per row, and in total."""

    names: tuple
    shapes: tuple
    params: tuple
    macs: tuple
    total: int  # sum of numel over model.parameters()
    buffers: int  # sum of numel over model.buffers() (not parameters)
    flops: int  # FlopCounterMode's count of the same forward pass


@cache
def reference(name: str) -> Reference:
    """Build network ``name`` in torch on the meta device, run it once, read it off.

    >>> reference("gaze_cnn_bn").buffers  # running mean and variance (and a step counter) per batch norm
    163
    """
    if name not in BUILDERS:
        raise ValueError(f"name: one of {', '.join(BUILDERS)} is required, got {name!r}")
    from torch.utils.flop_counter import FlopCounterMode

    build, shape = BUILDERS[name]
    model = build().eval()
    rows = []

    def hook(module_name):
        def record(module, inputs, output):
            if type(module).__name__ in FOLDED:
                return
            own = sum(p.numel() for p in module.parameters(recurse=False))
            macs = 0
            if isinstance(module, torch.nn.Conv2d):
                macs = output.numel() * module.weight[0].numel()
            elif isinstance(module, torch.nn.Linear):
                macs = output.numel() * module.weight.shape[1]
            rows.append((module_name, tuple(output.shape[1:]), int(own), int(macs)))

        return record

    handles = [
        m.register_forward_hook(hook(n)) for n, m in model.named_modules() if not list(m.children())
    ]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.empty((1, *shape), device=META))
    for h in handles:
        h.remove()
    names, shapes, params, macs = zip(*rows, strict=True)
    return Reference(
        names,
        shapes,
        params,
        macs,
        total=int(sum(p.numel() for p in model.parameters())),
        buffers=int(sum(b.numel() for b in model.buffers())),
        flops=int(counter.get_total_flops()),
    )


def count_check(total: int, flops: int) -> bool:
    """Hooks and FlopCounterMode agree: two FLOPs per multiply–accumulate.

    >>> r = reference("mnist_volumes"); count_check(sum(r.macs), r.flops)
    True
    """
    return 2 * total == flops and math.isfinite(total)
