"""The library of plausible wrong implementations the audit runs on a course's checks.

It is the project's own mutations (:data:`verify.layers.wrong.LAYER_MUTATIONS` and
``KINK_MUTATIONS``: wrong backward passes, the unshifted softmax, the L2 slips of the nets)
plus the forward-pass mistakes a check of outputs is there to catch, which the project's
claims (they test backward passes) do not need: a missing ReLU, a leaky ReLU, a missing bias,
an input left unflattened, a summed loss, an L2 penalty without its ½.

Each :class:`Implementation` says which layer it is wrong in and what an input must hold for
the mistake to show (``shows_on``), which is how the audit explains a mistake that passes:

- ``"negative"``: a negative input to the ReLU (where ReLU is not the identity);
- ``"zero"``: an input to the ReLU exactly 0 (the kink);
- ``"overflow"``: a score past log(float64 max) ≈ 709 (where the max shift matters);
- ``"ndim"``: an input of more than two dimensions (where flattening matters);
- ``"reg"``: a positive regularization strength;
- ``"consistent"``: forward and backward are wrong together, so a gradient check, which
  differentiates the implementation's own forward pass, cannot see it.

``parts`` says what the mistake changes (a layer's output or its gradient, the loss value or
its gradient, the penalty or its gradient), so a check of outputs is not said to "let
through" a mistake in a backward pass it never runs.

>>> len(LIBRARY) > 15, CORRECT.functions
(True, {})
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from derivations import layers as L
from verify.layers import wrong as W


@dataclass(frozen=True)
class Implementation:
    """A set of layer functions (overrides of :mod:`derivations.layers`) or a net class."""

    name: str
    layer: str  # affine, relu, softmax_loss or net
    functions: dict = field(default_factory=dict)
    net: type | None = None
    shows_on: tuple = ()
    origin: str = "verify.audit.mutations"
    #: What the mistake changes (see :data:`verify.audit.checks.SEES`): a check that looks at
    #: none of these parts cannot catch it, and is not counted as letting it through.
    parts: tuple = ()

    def function(self, name: str):
        """The implementation's ``name`` (``affine_forward``, …, ``softmax_loss``).

        >>> CORRECT.function("relu_forward") is L.relu_forward
        True
        """
        return self.functions.get(name, getattr(L, name))


CORRECT = Implementation("correct (derivations.layers)", "none", origin="derivations.layers")


def _array(fn):
    # the project's ReLU mutations return (dx,) as its claims' backward passes do; the
    # course's relu_backward returns dx
    return lambda dout, cache: fn(dout, cache)[0]


def _identity_forward(x):
    return np.array(x, dtype=float, copy=True), x


def _leaky_forward(x):
    return np.where(x > 0, x, 0.01 * x), x


def _leaky_backward(dout, x):
    return dout * np.where(x > 0, 1.0, 0.01)


def _no_bias_forward(x, w, b):
    out, cache = L.affine_forward(x, w, np.zeros_like(b))
    return out, (x, w, b)


def _no_bias_backward(dout, cache):
    dx, dw, db = L.affine_backward(dout, cache)
    return dx, dw, np.zeros_like(db)


def _unflattened_forward(x, w, b):
    return x @ w + b, (x, w, b)


def _summed_softmax(x, y):
    loss, dx = L.softmax_loss(x, y)
    return loss * len(y), dx * len(y)


def _l2_without_half(base):
    class L2WithoutHalf(base):
        def loss(self, X, y=None):
            out = super().loss(X, y)
            if y is None:
                return out
            loss, grads = out
            ws = {k: v for k, v in self.params.items() if k.startswith("W")}
            extra = 0.5 * self.reg * sum(float(np.sum(w * w)) for w in ws.values())
            return loss + extra, {
                k: g + self.reg * ws[k] if k in ws else g for k, g in grads.items()
            }

    return L2WithoutHalf


#: How the project's own mutations show (by name); absent: on any input.
_SHOWS = {
    "gradient kept where x ≤ 0": ("negative",),
    "dx not reshaped to x's shape": ("ndim",),
    "no max shift (e^x overflows)": ("overflow",),
    "ReLU′(0) = 1 (mask x ≥ 0)": ("zero",),
    "ReLU′(0) = 1/2": ("zero",),
    "L2 gradient 0.5·reg·W": ("reg",),
    "L2 term missing from the loss": ("reg",),
}


#: What the project's mutations change, where it is not the gradient of their layer alone.
_PARTS = {
    "no max shift (e^x overflows)": ("loss_value", "loss_grad"),
    "L2 gradient 0.5·reg·W": ("reg_grad",),
    "L2 term missing from the loss": ("reg_loss",),
}


def _library() -> list[Implementation]:
    lib = [
        Implementation(
            "ReLU missing (identity forward, dout passed back)",
            "relu",
            {"relu_forward": _identity_forward, "relu_backward": lambda dout, x: dout},
            shows_on=("negative", "consistent"),
            parts=("relu_out", "relu_grad"),
        ),
        Implementation(
            "LeakyReLU (slope 0.01) in place of ReLU",
            "relu",
            {"relu_forward": _leaky_forward, "relu_backward": _leaky_backward},
            shows_on=("negative", "consistent"),
            parts=("relu_out", "relu_grad"),
        ),
        Implementation(
            "bias left out (out = x w, db = 0)",
            "affine",
            {"affine_forward": _no_bias_forward, "affine_backward": _no_bias_backward},
            shows_on=("consistent",),
            parts=("affine_out", "affine_grad"),
        ),
        Implementation(
            "x not flattened to (N, D)",
            "affine",
            {"affine_forward": _unflattened_forward},
            shows_on=("ndim",),
            parts=("affine_out",),
        ),
        Implementation(
            "softmax loss summed over the batch, not averaged",
            "softmax_loss",
            {"softmax_loss": _summed_softmax},
            shows_on=("consistent",),
            parts=("loss_value", "loss_grad"),
        ),
        Implementation(
            "L2 penalty reg·Σ‖W‖² without the ½ (gradient 2·reg·W)",
            "net",
            net=_l2_without_half(L.TwoLayerNet),
            shows_on=("reg", "consistent"),
            parts=("reg_loss", "reg_grad"),
        ),
    ]
    for layer, fname in (("affine", "affine_backward"), ("relu", "relu_backward")):
        for kind in (W.LAYER_MUTATIONS, W.KINK_MUTATIONS):
            for name, fn in kind.get(layer, {}).items():
                fn = _array(fn) if layer == "relu" else fn
                lib.append(
                    Implementation(
                        f"{layer}: {name}",
                        layer,
                        {fname: fn},
                        shows_on=_SHOWS.get(name, ()),
                        origin="verify.layers.wrong",
                        parts=(f"{layer}_grad",),
                    )
                )
    for name, fn in W.LAYER_MUTATIONS["softmax_loss"].items():
        lib.append(
            Implementation(
                f"softmax: {name}",
                "softmax_loss",
                {"softmax_loss": fn},
                shows_on=_SHOWS.get(name, ()),
                origin="verify.layers.wrong",
                parts=_PARTS.get(name, ("loss_grad",)),
            )
        )
    for name, cls in W.LAYER_MUTATIONS["two_layer_net"].items():
        if name.startswith("L2"):  # the others are the layer mistakes above, inside the net
            lib.append(
                Implementation(
                    f"net: {name}",
                    "net",
                    net=cls,
                    shows_on=_SHOWS.get(name, ()),
                    origin="verify.layers.wrong",
                    parts=_PARTS[name],
                )
            )
    return lib


LIBRARY = _library()
