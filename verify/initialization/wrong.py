"""Plausible wrong answers to the initialization claims (each is rejected in tests/test_mutations.py)."""

import math

import numpy as np

from derivations import initialization as init

D = 512
LAYERS = np.arange(1, 5)  # the claims check layers 1-4


def _tanh_map(q1, var, depth=4, *, squash=lambda q: init.SECOND_MOMENT["tanh"](q)):
    q = [q1]
    for _ in range(depth - 1):
        q.append(D * var * squash(q[-1]))
    return q


def _shifted(probs, by):
    return {None if k is None else k + by: v for k, v in probs.items()}


OVERFLOW = init.overflow_distribution(D)

WRONG_ANSWERS = {
    "initialization.xavier_uniform.bound": {
        "3 instead of 6": lambda fi, fo: math.sqrt(3 / (fi + fo)),
        "fan_in only": lambda fi, fo: math.sqrt(6 / fi),
        "the std sqrt(2/(n_in + n_out)) used as the bound": lambda fi, fo: math.sqrt(2 / (fi + fo)),
        "the bound × (1 + 1e-5)": lambda fi, fo: math.sqrt(6 / (fi + fo)) * (1 + 1e-5),
    },
    "initialization.xavier_uniform.variance": {
        "3 instead of 6 (variance 1/(n_in + n_out))": lambda fi, fo: 1 / (fi + fo),
        "LeCun's 1/fan_in": lambda fi, fo: 1 / fi,
        "a² instead of a²/3": lambda fi, fo: 6 / (fi + fo),
    },
    "initialization.kaiming_normal.scale": {
        "the std × (1 + 1e-5)": lambda fan_in: math.sqrt(2 / fan_in) * (1 + 1e-5),
        "the std × (1 - 1e-5)": lambda fan_in: math.sqrt(2 / fan_in) * (1 - 1e-5),
        "fan_in + 1 (an off-by-one fan)": lambda fan_in: math.sqrt(2 / (fan_in + 1)),
    },
    "initialization.kaiming_normal.std": {
        "ReLU factor 1 instead of ½": lambda fan_in: math.sqrt(1 / fan_in),
        "fan_out instead of fan_in": lambda fan_in: math.sqrt(2 / (fan_in / 3)),
        "the variance 2/fan_in given as the std": lambda fan_in: 2 / fan_in,
    },
    "initialization.relu.second_moment": {
        "ReLU factor 1 instead of ½": 1.0,
        "¼ (squared the ½)": 0.25,
        "1/sqrt 2": 1 / math.sqrt(2),
    },
    "initialization.unit_normal.rms_pooled": {
        "𝔼[χ]²/sqrt(512): the mean of the per-pair RMS": init.expected_rms(D),
        "512: the mean square, not its root": 512.0,
        "sqrt(511): a Bessel correction that is not there": math.sqrt(D - 1),
    },
    "initialization.unit_normal.rms_per_pair": {
        "sqrt(512): the pooled RMS": math.sqrt(D),
        "1: the scale thought to stay put": 1.0,
    },
    "initialization.overflow.layer": {
        "off by one (early)": 28,
        "off by one (late)": 30,
        "two layers late": 31,
    },
    "initialization.overflow.distribution": {
        "off by one (late)": _shifted(OVERFLOW, 1),
        "off by one (early)": _shifted(OVERFLOW, -1),
        "the most likely layer only": {init.overflow_layer(D): 1.0},
    },
    "initialization.scaled.second_moments": {
        "σ_w² instead of σ_w²/d": [float(D) ** k for k in LAYERS],
        "weights scaled by 1/d, not 1/sqrt(d)": [float(D) ** -k for k in LAYERS],
        "2 % too large": [1.02] * 4,
    },
    "initialization.tanh.second_moments": {
        "tanh ignored (linear map)": [1.0] * 4,
        "tanh² of the RMS, no average over z": _tanh_map(
            1.0, 1 / D, squash=lambda q: math.tanh(math.sqrt(q)) ** 2
        ),
        "2 % too small after layer 1": [1.0, *(0.98 * v for v in _tanh_map(1.0, 1 / D)[1:])],
    },
    "initialization.xavier_tanh.second_moments": {
        "Xavier with 3 instead of 6": _tanh_map(0.5, 1 / (2 * D)),
        "tanh ignored (linear map)": [1.0] * 4,
    },
    "initialization.kaiming_relu.second_moments": {
        "ReLU factor 1 instead of ½": [2.0 * 2.0**k for k in range(4)],
        "σ_w² instead of σ_w²/d": [2.0 * D**k for k in range(4)],
        "the post-activation 1 taken for the pre-activation 2": [1.0] * 4,
    },
    "initialization.xavier_relu.second_moments": {
        "ReLU factor 1 instead of ½": [1.0] * 4,
        "halving from layer 3 (off by one)": [1.0, 1.0, 0.5, 0.25],
        "Xavier with 3 instead of 6": [0.5 * 0.5 ** (k - 1) for k in LAYERS],
    },
}

# --- initmoments: finite width and layer 100 ------------------------------------------------
FW_D, FW_L = 32, 5  # verify.initialization.moments.FW_WIDTH, FW_DEPTH


def _q_last(var, depth=100, squash=None):
    """𝔼[u_depth²] of the tanh map with weight variance ``var`` (or a wrong ``squash``)."""
    squash = squash or init.SECOND_MOMENT["tanh"]
    q = D * var
    for _ in range(depth - 1):
        q = D * var * squash(q)
    return q


def _flipped(name):
    q = init.second_moments(init.SHORT[name][0], FW_D, FW_L)
    return list(2 * q - init.finite_width_second_moments(name, FW_D, FW_L))


_KAIMING_MEAN = 1 / math.sqrt(math.pi)  # 𝔼[ReLU(u)], u ~ N(0, 2)

WRONG_ANSWERS.update(
    {
        "initialization.tanh.finite_width": {
            "the infinite-width variance map": list(
                init.second_moments("tanh, normal / sqrt(d)", FW_D, FW_L)
            ),
            "the correction with the wrong sign (above the map)": _flipped("tanh"),
        },
        "initialization.xavier_tanh.finite_width": {
            "the infinite-width variance map": list(
                init.second_moments("tanh, Xavier uniform", FW_D, FW_L)
            ),
            "the correction with the wrong sign (above the map)": _flipped("xavier_tanh"),
        },
        "initialization.scaled.layer100": {
            "half the scale: (0, 0.5)": [0.0, 0.5],
            "a mean of half the std: (0.5, 1)": [0.5, 1.0],
            "the unit-normal growth: (0, sqrt(512))": [0.0, math.sqrt(D)],
        },
        "initialization.tanh.layer100": {
            "tanh ignored: (0, 1)": [0.0, 1.0],
            "tanh² of the RMS, no average over z": [
                0.0,
                math.tanh(math.sqrt(_q_last(1 / D, squash=lambda q: math.tanh(math.sqrt(q)) ** 2))),
            ],
            "weights N(0, 2/d) (Kaiming's variance with tanh)": [
                0.0,
                math.sqrt(init.SECOND_MOMENT["tanh"](_q_last(2 / D))),
            ],
        },
        "initialization.xavier_tanh.layer100": {
            "tanh ignored: (0, 1)": [0.0, 1.0],
            "Xavier with 3 instead of 6": [
                0.0,
                math.sqrt(init.SECOND_MOMENT["tanh"](_q_last(1 / (2 * D)))),
            ],
        },
        "initialization.kaiming_relu.layer100": {
            "the pre-activation's (0, sqrt 2)": [0.0, math.sqrt(2)],
            "the RMS sqrt(𝔼[ReLU(u)²]) = 1 taken for the std": [_KAIMING_MEAN, 1.0],
            "a mean of 0 with the std kept at 1": [0.0, 1.0],
        },
        "initialization.xavier_relu.layer100": {  # log2 of (mean, std)
            "no halving: Kaiming's values": [
                math.log2(_KAIMING_MEAN),
                math.log2(math.sqrt(1 - 1 / math.pi)),
            ],
            "the pre-activation's std 2^-49.5 beside ReLU's mean": [
                -49.5 + math.log2(1 / math.sqrt(2 * math.pi)),
                -49.5,
            ],
        },
    }
)


# --- the overflow claims (helper "overflow"): the course's a @ x, its indexing, nan --------
def _runner_up_shifted(by):
    probs = dict(init.overflow_distribution(D))
    probs[28], probs[29] = probs[28] + by, probs[29] - by
    return probs


for _claim_id, _wrong in {
    "initialization.overflow.layer": {
        "the 0-based loop index of layer 29 given as the layer": 28,
    },
    "initialization.overflow.distribution": {
        "the runner-up 3 points more likely": _runner_up_shifted(0.03),
        "the runner-up 3 points less likely": _runner_up_shifted(-0.03),
        # What a batch of 8 networks through torch.bmm gives (another order of addition).
        "the frequencies of batched bmm, not of a @ x": {28: 0.164, 29: 0.836},
    },
    "initialization.overflow.nan_layer": {
        "the 0-based loop index of layer 29 given as the layer": 28,
        "nan one layer after the first inf, always": 30,
    },
    "initialization.overflow.state_law": {
        "2.3 % less growth per layer (χ²_500)": 500,
        "the norm's growth sqrt(512) read as the squared norm's": 22.627,
        "twice the growth (χ²_1024)": 1024,
    },
}.items():
    WRONG_ANSWERS.setdefault(_claim_id, {}).update(_wrong)
