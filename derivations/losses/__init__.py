"""Losses and augmentation: one-versus-all, mixup and CutMix (SPEC §11).

Labels are 0-based, as in torch. :mod:`~derivations.losses.ova` derives the one-versus-all
loss and its gradient and computes it stably (:func:`ova_loss`); :mod:`~derivations.losses.mixing`
derives the mixup loss identity and the law of ``λ ~ Beta(α, α)``;
:mod:`~derivations.losses.boxes` follows the reference CutMix procedure pixel by pixel and
derives the law and the mean of the recomputed label weight.

>>> loss, grad = ova_loss([[1000.0, -1000.0]], [0])
>>> float(loss), grad.tolist()
(0.0, [[0.0, 0.0]])
"""

from derivations.losses import boxes, mixing, ova  # noqa: E402 - the modules, for DERIVATIONS
from derivations.losses.boxes import (
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
from derivations.losses.mixing import mixup, mixup_loss, onehot, sample_lambda
from derivations.losses.ova import ova_loss, sigmoid_array

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
    "losses.ova.gradient": ova.gradient,
    "losses.ova.as_bce": ova.as_bce,
    "losses.ova.softmax_gradient": ova.softmax_gradient,
    "losses.mixup.identity": mixing.identity,
    "losses.mixup.variance": mixing.moments,
    "losses.mixup.shape": mixing.shape,
    "losses.cutmix.axis_mean": boxes.axis_mean,
    "losses.cutmix.continuous_axis_mean": boxes.continuous_axis_mean,
    "losses.cutmix.continuous_bias": boxes.continuous_bias,
}
