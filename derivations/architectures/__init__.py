"""Architecture arithmetic: output shapes, parameter counts and multiply–accumulates.

``parse(text)`` reads VGG's notation (``CONV3-64 POOL2 … FC-4096``) or a layer per line;
``table(spec, input_shape)`` gives each layer's output shape, parameters and MACs, the total
and the shares; ``from_torch(module, input_shape)`` gives the same table for any
``torch.nn.Module`` by running it; ``NETWORKS`` holds VGG-11 and the courses' networks (the
latter reconstructed, see :mod:`derivations.architectures.networks`). The rules are derived
step by step in :mod:`derivations.architectures.steps`.

>>> t = table(NETWORKS["vgg11"])
>>> t.total, round(t.share("dense"), 3)
(132863336, 0.931)
"""

from derivations.architectures.layers import (
    Layer,
    Rules,
    Spec,
    batchnorm_params,
    conv_params,
    dense_params,
    output_size,
)
from derivations.architectures.networks import NETWORKS
from derivations.architectures.parsing import parse
from derivations.architectures.steps import DERIVATIONS, receptive_field
from derivations.architectures.tables import Row, Table, from_torch, input_shape, table

__all__ = [
    "DERIVATIONS",
    "NETWORKS",
    "Layer",
    "Row",
    "Rules",
    "Spec",
    "Table",
    "batchnorm_params",
    "conv_params",
    "dense_params",
    "from_torch",
    "input_shape",
    "output_size",
    "parse",
    "receptive_field",
    "table",
]
