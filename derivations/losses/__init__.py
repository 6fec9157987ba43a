"""Losses and augmentation: one-versus-all, mixup and CutMix (SPEC §11).

Labels are 0-based, as in torch. :mod:`~derivations.losses.ova` derives the one-versus-all
loss and its gradient and computes it stably (:func:`ova_loss`); :mod:`~derivations.losses.mixup`
derives the mixup loss identity and the law of ``λ ~ Beta(α, α)``;
:mod:`~derivations.losses.cutmix` follows the reference CutMix procedure pixel by pixel and
derives the law and the mean of the recomputed label weight.

>>> loss, grad = ova_loss([[1000.0, -1000.0]], [0])
>>> float(loss), grad.tolist()
(0.0, [[0.0, 0.0]])
"""

import importlib

from derivations.losses.cutmix import (
    adjusted_law,
    adjusted_mean,
    axis_law,
    box,
    continuous_adjusted_mean,
    continuous_mean_weight,
    cutmix,
    half_side,
    mean_weight,
    weight_law,
)
from derivations.losses.mixup import mixup, mixup_loss, onehot, sample_lambda
from derivations.losses.ova import ova_loss, sigmoid_array

# The functions mixup and cutmix shadow their modules' names here: reach the modules directly.
_cutmix = importlib.import_module("derivations.losses.cutmix")
_mixup = importlib.import_module("derivations.losses.mixup")
_ova = importlib.import_module("derivations.losses.ova")

__all__ = [
    "adjusted_law",
    "adjusted_mean",
    "axis_law",
    "box",
    "continuous_adjusted_mean",
    "continuous_mean_weight",
    "cutmix",
    "half_side",
    "mean_weight",
    "mixup",
    "mixup_loss",
    "onehot",
    "ova_loss",
    "sample_lambda",
    "sigmoid_array",
    "weight_law",
    "DERIVATIONS",
]

#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {
    "losses.ova.gradient": _ova.gradient,
    "losses.ova.as_bce": _ova.as_bce,
    "losses.ova.softmax_gradient": _ova.softmax_gradient,
    "losses.mixup.identity": _mixup.identity,
    "losses.mixup.variance": _mixup.moments,
    "losses.mixup.shape": _mixup.shape,
    "losses.cutmix.axis_mean": _cutmix.axis_mean,
    "losses.cutmix.continuous_axis_mean": _cutmix.continuous_axis_mean,
    "losses.cutmix.continuous_bias": _cutmix.continuous_bias,
}
