"""Backpropagation through the course network, and the per-student answer keys.

:mod:`.chains` derives the rules (softmax with cross-entropy, label smoothing, the layer
rules read off the whole network, the SGD step); :mod:`.key` computes a student's answer key
in NumPy, for the course's one-hidden-layer LeakyReLU net or any hidden widths with ReLU or
LeakyReLU; :mod:`.deep` derives the rules through two hidden layers; :mod:`.solution` writes a
key out as a worked solution.

>>> round(answer_key(80)["loss"], 4)
0.6963
"""

from derivations.mlp.chains import (
    D0,
    D1,
    LABEL,
    POINTS,
    RULES,
    SLOPE,
    W1,
    W2,
    M,
    b1,
    b2,
    cross_entropy_gradient,
    derivation,
    h1,
    h1_bar,
    h2,
    ids,
    index_form,
    label_smoothing_gradient,
    leaky_relu,
    leaky_relu_abs,
    leaky_relu_abs_prime,
    leaky_relu_prime,
    onehot,
    sgd_first_order,
    whole_network,
    x,
)
from derivations.mlp.key import (
    ACTIVATIONS,
    KEYS,
    answer_key,
    backprop,
    hidden_widths,
    keys,
    parameter_shapes,
    predicted_classes,
    student_parameters,
)

#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {i: (lambda i=i: derivation(i)) for i in ids()}

__all__ = [
    "ACTIVATIONS",
    "DERIVATIONS",
    "hidden_widths",
    "index_form",
    "keys",
    "parameter_shapes",
    "predicted_classes",
    "D0",
    "D1",
    "M",
    "W1",
    "W2",
    "b1",
    "b2",
    "h1",
    "h1_bar",
    "h2",
    "KEYS",
    "LABEL",
    "POINTS",
    "RULES",
    "SLOPE",
    "answer_key",
    "backprop",
    "cross_entropy_gradient",
    "derivation",
    "ids",
    "label_smoothing_gradient",
    "leaky_relu",
    "leaky_relu_abs",
    "leaky_relu_abs_prime",
    "leaky_relu_prime",
    "onehot",
    "sgd_first_order",
    "student_parameters",
    "whole_network",
    "x",
]
