"""Plausible wrong answers of the architectures topic (tests/test_mutations.py rejects each).

Each is the derived table recomputed under one slip — the courses' own (convolutions or dense
layers counted without their biases), batch norm counted as 4C (its running statistics taken
for parameters), ceil for floor, padding added on one side only, groups ignored, dilation
ignored — or a slip in writing the table (each row given its input shape, FLOPs for MACs).
A slip that changes nothing for a network is not listed for it.

>>> "ceil for floor" in WRONG_ANSWERS["architectures.gaze_cnn.shapes"]
True
"""

from __future__ import annotations

import dataclasses
import math

import sympy as sp

from derivations.architectures import NETWORKS, Rules, conv_params, dense_params, table
from derivations.architectures.layers import Layer, Spec


def _ceil_size(n, kernel, *, stride=1, padding=0, dilation=1):
    return -(-(n + 2 * padding - dilation * (kernel - 1) - 1) // stride) + 1


def _one_side(n, kernel, *, stride=1, padding=0, dilation=1):
    span = n + padding - dilation * (kernel - 1) - 1
    if span < 0:
        raise ValueError("kernel: larger than the input padded on one side")
    return span // stride + 1


def _no_dilation(n, kernel, *, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - kernel) // stride + 1


def _conv_ungrouped(k_h, k_w, c_in, c_out, *, groups=1, bias=True):
    return conv_params(k_h, k_w, c_in, c_out, bias=bias)


#: label -> the rules with that slip
RULES = {
    "conv without bias": Rules(
        conv_params=lambda *a, groups=1, bias=True: conv_params(*a, groups=groups, bias=False)
    ),
    "dense without bias": Rules(dense_params=lambda *a, bias=True: dense_params(*a, bias=False)),
    "conv and dense without bias": Rules(
        conv_params=lambda *a, groups=1, bias=True: conv_params(*a, groups=groups, bias=False),
        dense_params=lambda *a, bias=True: dense_params(*a, bias=False),
    ),
    "batch norm as 4C (running statistics counted)": Rules(batchnorm_params=lambda c: 4 * c),
    "ceil for floor": Rules(output_size=_ceil_size),
    "padding on one side only": Rules(output_size=_one_side),
    "dilation ignored": Rules(output_size=_no_dilation),
    "groups ignored": Rules(conv_params=_conv_ungrouped),
}
_SHAPE_SLIPS = ("ceil for floor", "padding on one side only", "dilation ignored")


def _ungrouped(layers) -> tuple:
    return tuple(
        dataclasses.replace(x, groups=1, body=_ungrouped(x.body), shortcut=_ungrouped(x.shortcut))
        if isinstance(x, Layer)
        else x
        for x in layers
    )


def _mutated(spec: Spec, label: str):
    try:
        return table(spec, rules=RULES[label])
    except ValueError:  # the slip makes a window larger than its input: no table to give
        return None


def _for(name: str) -> dict:
    spec = NETWORKS[name]
    right = table(spec)
    out = {f"architectures.{name}.{w}": {} for w in ("shapes", "params", "macs", "total")}
    for label in RULES:
        wrong = _mutated(spec, label)
        if wrong is None:
            continue
        if label in _SHAPE_SLIPS and wrong.shapes != right.shapes:
            out[f"architectures.{name}.shapes"][label] = wrong.shapes
        if wrong.params != right.params:
            out[f"architectures.{name}.params"][label] = wrong.params
        if wrong.total != right.total:
            out[f"architectures.{name}.total"][label] = wrong.total
    # slips in writing the table rather than in a rule
    inputs = (right.input_shape, *right.shapes[:-1])
    out[f"architectures.{name}.shapes"]["each row given its input shape"] = inputs
    out[f"architectures.{name}.shapes"]["the last row left out"] = right.shapes[:-1]
    out[f"architectures.{name}.params"]["the last row left out"] = right.params[:-1]
    out[f"architectures.{name}.total"]["dense counted as in·out + in"] = right.total + sum(
        math.prod(i) - r.output_shape[0]
        for i, r in zip(inputs, right.rows, strict=True)
        if r.kind == "dense"
    )
    out[f"architectures.{name}.macs"]["FLOPs for MACs (twice as many)"] = tuple(
        2 * m for m in right.macs
    )
    out[f"architectures.{name}.macs"]["the bias add counted as a MAC"] = tuple(
        m + (math.prod(r.output_shape) if r.kind in ("conv", "dense") else 0)
        for m, r in zip(right.macs, right.rows, strict=True)
    )
    grouped = table(Spec(_ungrouped(spec.layers), spec.input_shape))
    if grouped.macs != right.macs:
        out[f"architectures.{name}.macs"]["groups ignored"] = grouped.macs
    return out


def _field(spec: Spec, *, own_stride=False, pools=True, dilation=True, strides=True) -> int:
    """The receptive field (rows) under a slip in the recursion."""
    field, jump = 1, 1
    for x in spec.layers:
        if x.kind in ("dense", "gap", "flatten", "residual"):
            break
        if x.kind not in ("conv", "maxpool", "avgpool") or (x.kind != "conv" and not pools):
            continue
        if own_stride and strides:
            jump *= x.stride[0]
        field += (x.dilation[0] if dilation else 1) * (x.kernel[0] - 1) * (jump if strides else 1)
        if not own_stride and strides:
            jump *= x.stride[0]
    return field


def _fields(name: str) -> dict:
    spec = NETWORKS[name]
    right = _field(spec)
    slips = {
        "strides not multiplied: 1 + Σ δ(k − 1)": _field(spec, strides=False),
        "each layer's own stride in its jump": _field(spec, own_stride=True),
        "poolings left out": _field(spec, pools=False),
        "dilation ignored": _field(spec, dilation=False),
    }
    return {label: v for label, v in slips.items() if v != right}


def _wrong_answers() -> dict:
    d = sp.Symbol("d")
    n, k, p, s = sp.symbols("n k p s")
    out = {
        "architectures.output_size": {
            "ceil for floor": sp.ceiling((n + 2 * p - d * (k - 1) - 1) / s) + 1,
            "padding on one side only": sp.floor((n + p - d * (k - 1) - 1) / s) + 1,
            "dilation ignored": sp.floor((n + 2 * p - k) / s) + 1,
            "the + 1 forgotten": sp.floor((n + 2 * p - d * (k - 1) - 1) / s),
            "no floor: (n + 2p − k)/s + 1": (n + 2 * p - d * (k - 1) - 1) / s + 1,
        }
    }
    for name in NETWORKS:
        out.update(_for(name))
    for name in ("vgg11", "gaze_cnn", "mnist_volumes"):
        out[f"architectures.{name}.receptive_field"] = _fields(name)
    return out


#: claim id -> {label: wrong answer}
WRONG_ANSWERS = _wrong_answers()
