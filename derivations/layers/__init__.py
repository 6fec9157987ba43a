"""Modular layers in NumPy: forward returns ``(out, cache)``, backward takes ``(dout, cache)``.

The public API of the layers topic, gathered from one module per concept:
:mod:`derivations.layers.basic` (affine, ReLU, softmax loss, L2, batch normalization,
dropout), :mod:`derivations.layers.spatial` (convolution, max pooling) and
:mod:`derivations.layers.nets` (the two networks). Every backward pass is the general form of a
formula derived on a small symbolic instance in :mod:`derivations.layers.chains`. The
networks chain the layers; their gradients are the chain rule applied layer by layer, plus the
gradient ``reg·W`` of the penalty ``0.5·reg·Σ‖W‖²``.

>>> import numpy as np
>>> x = np.array([[1.0, -2.0], [3.0, 0.5]])
>>> out, cache = relu_forward(x)
>>> relu_backward(np.ones_like(x), cache)
array([[1., 0.],
       [1., 1.]])
"""

from __future__ import annotations

from derivations.layers.basic import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    l2_penalty,
    relu_backward,
    relu_forward,
    softmax_loss,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from derivations.layers.nets import FullyConnectedNet, TwoLayerNet
from derivations.layers.spatial import (
    conv_backward,
    conv_forward,
    conv_input_gradient,
    dilate,
    max_pool_argmax,
    max_pool_backward,
    max_pool_forward,
    output_size,
)

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "softmax_loss",
    "l2_penalty",
    "batchnorm_forward",
    "batchnorm_backward",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "dropout_forward",
    "dropout_backward",
    "conv_forward",
    "conv_backward",
    "conv_input_gradient",
    "dilate",
    "max_pool_forward",
    "max_pool_backward",
    "max_pool_argmax",
    "output_size",
    "TwoLayerNet",
    "FullyConnectedNet",
]


def __getattr__(name: str):
    # The derivations need SymPy; the layers themselves are NumPy only, so the table is
    # imported the first time it is asked for.
    if name == "DERIVATIONS":
        from derivations.layers.chains import DERIVATIONS

        return DERIVATIONS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
