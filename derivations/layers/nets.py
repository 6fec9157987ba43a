"""Two networks built from the layers: affine – ReLU – … – affine – softmax loss.

Their gradients are the layers' backward passes chained (the chain rule, one layer at a
time) plus ``reg·W`` from the penalty ``0.5·reg·Σ‖W‖²``. The layer functions are class
attributes, so a variant with one faulty layer is a one-line subclass (the mutation tests
and the benchmark build their faults that way). Import the nets from
:mod:`derivations.layers`.

>>> net = TwoLayerNet(input_dim=4, hidden_dim=3, num_classes=2, weight_scale=0.1, reg=0.5)
>>> sorted(net.params)
['W1', 'W2', 'b1', 'b2']
>>> net.loss(np.ones((5, 4))).shape
(5, 2)
"""

from __future__ import annotations

import numpy as np

from derivations import arguments as arg
from derivations.layers.basic import (
    affine_backward,
    affine_forward,
    l2_penalty,
    relu_backward,
    relu_forward,
    softmax_loss,
)


class FullyConnectedNet:
    """``{affine – ReLU} × len(hidden_dims)`` then affine and softmax loss.

    Weights are ``weight_scale · N(0, 1)`` from ``numpy.random.default_rng(seed)``, biases 0;
    ``params`` holds ``W1, b1, …, WL, bL``; ``reg`` (the L2 strength) may be changed at any time.

    >>> net = FullyConnectedNet([5, 4], input_dim=3, num_classes=2, reg=0.1, seed=0)
    >>> [net.params[f"W{i}"].shape for i in (1, 2, 3)]
    [(3, 5), (5, 4), (4, 2)]
    >>> loss, grads = net.loss(np.ones((2, 3)), np.array([0, 1]))
    >>> sorted(grads) == sorted(net.params)
    True
    >>> FullyConnectedNet([0])
    Traceback (most recent call last):
    ...
    ValueError: hidden_dims[0]: a positive integer is required, got 0
    """

    affine_forward = staticmethod(affine_forward)
    affine_backward = staticmethod(affine_backward)
    relu_forward = staticmethod(relu_forward)
    relu_backward = staticmethod(relu_backward)
    data_loss = staticmethod(softmax_loss)

    def __init__(
        self,
        hidden_dims=(100, 100),
        input_dim=3 * 32 * 32,
        num_classes=10,
        reg=0.0,
        weight_scale=1e-2,
        seed=0,
    ):
        if not isinstance(hidden_dims, list | tuple | range | np.ndarray):
            raise TypeError(
                f"hidden_dims: a list of widths is required, got {arg.shown(hidden_dims)}"
            )
        widths = [arg.count(h, f"hidden_dims[{i}]") for i, h in enumerate(hidden_dims)]
        dims = [arg.count(input_dim, "input_dim"), *widths]
        dims.append(arg.count(num_classes, "num_classes"))
        scale = arg.non_negative(weight_scale, "weight_scale")
        self.reg = arg.non_negative(reg, "reg")
        self.num_layers = len(dims) - 1
        rng = np.random.default_rng(arg.seed(seed))
        self.params = {}
        for i, (d_in, d_out) in enumerate(zip(dims, dims[1:], strict=False), start=1):
            self.params[f"W{i}"] = scale * rng.standard_normal((d_in, d_out))
            self.params[f"b{i}"] = np.zeros(d_out)

    def loss(self, X, y=None):
        """Scores (N, C) when ``y`` is None; else ``(loss, grads)`` with the data loss plus
        ``0.5·reg·Σ‖W‖²`` and one gradient per entry of ``params``. A loss or gradient beyond
        the float64 range is an ``OverflowError`` naming ``X, params``, never inf or nan.

        >>> net = FullyConnectedNet([2], input_dim=2, num_classes=2, weight_scale=1e200)
        >>> net.loss(np.full((1, 2), 1e200), np.array([0]))
        Traceback (most recent call last):
        ...
        OverflowError: X, params: the network's x, w, b: x_flat @ w + b overflows float64 ...
        """
        X = arg.array(X, "X", min_ndim=2)
        d = int(np.prod(X.shape[1:]))
        if d != self.params["W1"].shape[0]:
            raise ValueError(
                f"X of shape {X.shape}: each row must flatten to input_dim = "
                f"{self.params['W1'].shape[0]} values, got {d}"
            )
        try:
            return self._loss(X, y)
        except OverflowError as exc:
            # A layer names its own arguments; here they are the network's X and params.
            raise OverflowError(f"X, params: the network's {exc}") from None

    def _loss(self, X, y):
        h, caches = X, []
        for i in range(1, self.num_layers + 1):
            h, cache = self.affine_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            caches.append(cache)
            if i < self.num_layers:
                h, cache = self.relu_forward(h)
                caches.append(cache)
        if y is None:
            return h
        data_loss, dh = self.data_loss(h, y)
        weights = [self.params[f"W{i}"] for i in range(1, self.num_layers + 1)]
        reg_loss, reg_grads = l2_penalty(weights, self.reg)
        grads = {}
        for i in range(self.num_layers, 0, -1):
            if i < self.num_layers:
                dh = self.relu_backward(dh, caches.pop())
            dh, dW, db = self.affine_backward(dh, caches.pop())
            grads[f"W{i}"] = dW + reg_grads[i - 1]
            grads[f"b{i}"] = db
        total = data_loss + reg_loss
        if not np.isfinite(total):
            raise OverflowError("data loss + 0.5·reg·Σ‖W‖² overflows float64")
        return total, grads


class TwoLayerNet(FullyConnectedNet):
    """affine – ReLU – affine – softmax, with course defaults (3072 → 100 → 10, scale 1e-3).

    >>> net = TwoLayerNet(input_dim=2, hidden_dim=3, num_classes=2, weight_scale=0.0)
    >>> loss, grads = net.loss(np.ones((4, 2)), np.array([0, 1, 0, 1]))
    >>> round(float(loss), 6) == round(float(np.log(2)), 6), grads["b2"].tolist()
    (True, [0.0, 0.0])
    """

    def __init__(
        self,
        input_dim=3 * 32 * 32,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        seed=0,
    ):
        super().__init__([hidden_dim], input_dim, num_classes, reg, weight_scale, seed)
