"""One rule for bad arguments, checked everywhere: the wrong type is a TypeError, a wrong value a
ValueError, and the message starts with the argument's name.

The table below lists public functions with one argument each and a value that works; the
same bad values of that argument's kind (NaN, ±inf, complex, bool, 10**400, a string, None, an
array, wrong shapes, …) are then fed to every one of them.
"""

import re

import numpy as np
import pytest
import torch

from derivations import activations as act
from derivations import arguments as arg
from derivations import initialization as init
from derivations import layers as L
from derivations import mlp
from derivations import optimizers as opt
from derivations import ridge as rd
from derivations.mlp.solution import worked_solution
from verify import gradcheck as G
from verify import montecarlo as mc

# --- bad values by kind: (label, value, error) --------------------------------------------------
NOT_REAL = [
    ("complex", 1 + 2j, TypeError),
    ("bool", True, TypeError),
    ("string", "0.5", TypeError),
    ("None", None, TypeError),
    ("array", np.ones(2), TypeError),
    ("list", [0.5], TypeError),
]
REAL = [
    *NOT_REAL,
    ("nan", float("nan"), ValueError),
    ("inf", float("inf"), ValueError),
    ("-inf", float("-inf"), ValueError),
    ("10**400", 10**400, ValueError),
    ("-10**400", -(10**400), ValueError),
]
INTEGER = [
    ("float", 2.0, TypeError),
    ("nan", float("nan"), TypeError),
    ("complex", 2 + 0j, TypeError),
    ("bool", True, TypeError),
    ("string", "3", TypeError),
    ("None", None, TypeError),
    ("10**400", 10**400, ValueError),
    ("-1", -1, ValueError),
]
COUNT = [*INTEGER, ("0", 0, ValueError)]
SEED = [*INTEGER, ("2**63", 2**63, ValueError), ("2**64", 2**64, ValueError)]
OPTIONAL_SEED = [row for row in SEED if row[1] is not None]  # None: draw unseeded
OPTIONAL_REAL = [row for row in REAL if row[1] is not None]  # None: the default
CHOICE = [("unknown", "nope", ValueError), ("int", 3, TypeError), ("None", None, TypeError)]


def array_values(good):
    """Bad arrays shaped like ``good``: every kind refused, and each non-finite entry."""
    good = np.asarray(good, dtype=np.float64)
    out = [
        ("string", "abc", TypeError),
        ("None", None, TypeError),
        ("complex", good.astype(complex), TypeError),
        ("bool", good > 0, TypeError),
        ("strings", good.astype(str), TypeError),
    ]
    for label, bad in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf)):
        a = good.copy()
        a.flat[-1] = bad
        out.append((f"{label} entry", a, ValueError))
    huge = good.astype(object)
    huge.flat[0] = 10**400
    out.append(("10**400 entry", huge.tolist(), ValueError))
    return out


# --- the table: label, call(value), argument name, bad values ------------------------------------
X, W, B = np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)
X4, W4 = np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3))
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def key(**kw):
    return mlp.answer_key(**({"student_id": 0} | kw))


def ests(**kw):
    return mc.estimate(lambda n, g: torch.rand(n, generator=g, dtype=torch.float64), **kw)


CASES = [
    # activations
    ("get leaky_relu a", lambda v: act.get("leaky_relu", a=v), "a", REAL),
    ("get elu alpha", lambda v: act.get("elu", alpha=v), "alpha", REAL),
    ("get softmax n", lambda v: act.get("softmax", n=v), "n", COUNT),
    ("softmax n", lambda v: act.softmax(v), "n", COUNT),
    # layers
    ("affine_forward x", lambda v: L.affine_forward(v, W, B), "x", array_values(X)),
    ("affine_forward w", lambda v: L.affine_forward(X, v, B), "w", array_values(W)),
    ("affine_forward b", lambda v: L.affine_forward(X, W, v), "b", array_values(B)),
    ("relu_forward x", lambda v: L.relu_forward(v), "x", array_values(X)),
    ("relu_backward dout", lambda v: L.relu_backward(v, X), "dout", array_values(X)),
    ("softmax_loss x", lambda v: L.softmax_loss(v, np.array([0, 1])), "x", array_values(X)),
    ("l2_penalty reg", lambda v: L.l2_penalty([W], v), "reg", REAL),
    (
        "batchnorm_forward eps",
        lambda v: L.batchnorm_forward(X, np.ones(3), np.zeros(3), {"eps": v}),
        "bn_param['eps']",
        REAL,
    ),
    (
        "batchnorm_forward gamma",
        lambda v: L.batchnorm_forward(X, v, np.zeros(3)),
        "gamma",
        array_values(np.ones(3)),
    ),
    ("dropout_forward p", lambda v: L.dropout_forward(X, {"p": v}), "dropout_param['p']", REAL),
    (
        "dropout_forward seed",
        lambda v: L.dropout_forward(X, {"p": 0.5, "seed": v}),
        "dropout_param['seed']",
        OPTIONAL_SEED,
    ),
    (
        "dropout_forward mode",
        lambda v: L.dropout_forward(X, {"p": 0.5, "mode": v}),
        "dropout_param['mode']",
        CHOICE,
    ),
    (
        "conv_forward stride",
        lambda v: L.conv_forward(X4, W4, np.zeros(2), {"stride": v, "pad": 1}),
        "conv_param['stride']",
        COUNT,
    ),
    (
        "conv_forward pad",
        lambda v: L.conv_forward(X4, W4, np.zeros(2), {"stride": 1, "pad": v}),
        "conv_param['pad']",
        INTEGER,
    ),
    (
        "conv_forward x",
        lambda v: L.conv_forward(v, W4, np.zeros(2), {"stride": 1, "pad": 1}),
        "x",
        array_values(X4),
    ),  # fmt: skip
    (
        "max_pool_forward pool_height",
        lambda v: L.max_pool_forward(X4, {**POOL, "pool_height": v}),
        "pool_param['pool_height']",
        COUNT,
    ),
    ("dilate stride", lambda v: L.dilate(X4, v), "stride", COUNT),
    ("TwoLayerNet reg", lambda v: L.TwoLayerNet(4, 3, 2, reg=v), "reg", REAL),
    (
        "TwoLayerNet weight_scale",
        lambda v: L.TwoLayerNet(4, 3, 2, weight_scale=v),
        "weight_scale",
        REAL,
    ),  # fmt: skip
    ("TwoLayerNet hidden_dim", lambda v: L.TwoLayerNet(4, v, 2), "hidden_dims[0]", COUNT),
    ("TwoLayerNet input_dim", lambda v: L.TwoLayerNet(v, 3, 2), "input_dim", COUNT),
    ("TwoLayerNet seed", lambda v: L.TwoLayerNet(4, 3, 2, seed=v), "seed", SEED),
    (
        "FullyConnectedNet num_classes",
        lambda v: L.FullyConnectedNet([3], 4, v),
        "num_classes",
        COUNT,
    ),  # fmt: skip
    # optimizers
    ("sgd learning_rate", lambda v: opt.sgd(X, X, {"learning_rate": v}), "learning_rate", REAL),
    ("sgd weight_decay", lambda v: opt.sgd(X, X, {"weight_decay": v}), "weight_decay", REAL),
    ("sgd w", lambda v: opt.sgd(v, X), "w", array_values(X)),
    ("sgd dw", lambda v: opt.sgd(X, v), "dw", array_values(X)),
    (
        "sgd_momentum momentum",
        lambda v: opt.sgd_momentum(X, X, {"momentum": v}),
        "momentum",
        REAL,
    ),  # fmt: skip
    (
        "sgd_momentum velocity",
        lambda v: opt.sgd_momentum(X, X, {"velocity": v}),
        "velocity",
        array_values(X),
    ),
    ("adam beta1", lambda v: opt.adam(X, X, {"beta1": v}), "beta1", REAL),
    ("adam beta2", lambda v: opt.adam(X, X, {"beta2": v}), "beta2", REAL),
    ("adam epsilon", lambda v: opt.adam(X, X, {"epsilon": v}), "epsilon", REAL),
    ("adam t", lambda v: opt.adam(X, X, {"t": v}), "t", INTEGER),
    (
        "adamw learning_rate",
        lambda v: opt.adamw(X, X, {"learning_rate": v}),
        "learning_rate",
        REAL,
    ),  # fmt: skip
    ("adam_gap_value lr", lambda v: opt.adam_gap_value(1.0, 1.0, v, 0.1, 0.0), "lr", REAL),
    # initialization
    ("xavier_uniform_bound fan_in", lambda v: init.xavier_uniform_bound(v, 3), "fan_in", COUNT),
    (
        "xavier_uniform_bound fan_out",
        lambda v: init.xavier_uniform_bound(3, v),
        "fan_out",
        COUNT,
    ),  # fmt: skip
    ("kaiming_normal_std fan_in", lambda v: init.kaiming_normal_std(v), "fan_in", COUNT),
    (
        "variance_map q_prev",
        lambda v: init.variance_map(v, activation="tanh", fan_in=4, weight_var=0.25),
        "q_prev",
        REAL,
    ),
    (
        "variance_map weight_var",
        lambda v: init.variance_map(1.0, activation="tanh", fan_in=4, weight_var=v),
        "weight_var",
        REAL,
    ),
    (
        "variance_map fan_in",
        lambda v: init.variance_map(1.0, activation="tanh", fan_in=v, weight_var=0.25),
        "fan_in",
        COUNT,
    ),
    (
        "variance_map activation",
        lambda v: init.variance_map(1.0, activation=v, fan_in=4, weight_var=0.25),
        "activation",
        CHOICE,
    ),
    ("second_moments scheme", lambda v: init.second_moments(v), "scheme", CHOICE),
    (
        "second_moments width",
        lambda v: init.second_moments("ReLU, Kaiming normal", v),
        "width",
        COUNT,
    ),  # fmt: skip
    (
        "second_moments depth",
        lambda v: init.second_moments("ReLU, Kaiming normal", 8, v),
        "depth",
        [*COUNT, ("10**6", 10**6, ValueError)],
    ),
    ("expected_rms width", lambda v: init.expected_rms(v), "width", COUNT),
    ("overflow_estimate width", lambda v: init.overflow_estimate(v), "width", COUNT),
    (
        "overflow_layer width",
        lambda v: init.overflow_layer(v),
        "width",
        [*COUNT, ("2**62", 2**62, ValueError)],
    ),  # fmt: skip
    (
        "overflow_layer depth",
        lambda v: init.overflow_layer(512, depth=v),
        "depth",
        [*COUNT, ("10**6", 10**6, ValueError)],
    ),
    ("overflow_layer dtype", lambda v: init.overflow_layer(512, v), "dtype", CHOICE),
    (
        "overflow_distribution margin",
        lambda v: init.overflow_distribution(512, 40, margin=v),
        "margin",
        REAL,
    ),  # fmt: skip
    # ridge
    (
        "bayes_risk eigenvalues",
        lambda v: rd.bayes_risk(v, 0.5, 1.0, 1.0),
        "eigenvalues",
        [*array_values([1.0, 2.0]), ("2-d", [[1.0, 2.0]], ValueError)],
    ),
    (
        "bayes_risk mu",
        lambda v: rd.bayes_risk([1.0, 2.0], v, 1.0, 1.0),
        "mu",
        [*REAL, ("1e200", 1e200, ValueError)],
    ),
    ("bayes_risk sigma_w2", lambda v: rd.bayes_risk([1.0], 0.5, v, 1.0), "sigma_w2", REAL),
    ("bayes_risk sigma_eps2", lambda v: rd.bayes_risk([1.0], 0.5, 1.0, v), "sigma_eps2", REAL),
    ("optimal_mu d", lambda v: rd.optimal_mu(v, 1.0, 0.25), "d", COUNT),
    ("optimal_mu sigma_w2", lambda v: rd.optimal_mu(10, v, 0.25), "sigma_w2", REAL),
    ("optimal_mu sigma_eps2", lambda v: rd.optimal_mu(10, 1.0, v), "sigma_eps2", REAL),
    # mlp
    (
        "student_parameters student_id",
        lambda v: mlp.student_parameters(v),
        "student_id",
        [*INTEGER, ("2**32", 2**32, ValueError)],
    ),  # fmt: skip
    ("answer_key lr", lambda v: key(lr=v), "lr", REAL),
    ("answer_key label_smoothing", lambda v: key(label_smoothing=v), "label_smoothing", REAL),
    ("answer_key slope", lambda v: key(slope=v), "slope", OPTIONAL_REAL),
    ("answer_key activation", lambda v: key(activation=v), "activation", CHOICE),
    ("answer_key label", lambda v: key(label=v), "label", [*COUNT, ("4", 4, ValueError)]),
    (
        "answer_key x",
        lambda v: key(x=v),
        "x",
        [*array_values([[1.0], [-1.0], [1.5]]), ("(2, 1)", np.ones((2, 1)), ValueError)],
    ),
    (
        "answer_key W1",
        lambda v: mlp.answer_key(params={**mlp.student_parameters(0), "W1": v}),
        "params['W1']",
        [*array_values(np.ones((4, 3))), ("3-d", np.ones((4, 3, 1)), ValueError)],
    ),
    ("worked_solution digits", lambda v: worked_solution(0, digits=v), "digits", COUNT),
    ("worked_solution fmt", lambda v: worked_solution(0, fmt=v), "fmt", CHOICE),
    (
        "backprop label",
        lambda v: mlp.backprop([np.eye(2)], [np.zeros((2, 1))], np.ones((2, 1)), v),
        "label",
        [*COUNT, ("3", 3, ValueError)],
    ),
    (
        "backprop x",
        lambda v: mlp.backprop([np.eye(2)], [np.zeros((2, 1))], v, 1),
        "x",
        [*array_values(np.ones((2, 1))), ("(3, 1)", np.ones((3, 1)), ValueError)],
    ),
    # verify.montecarlo
    ("estimate n", lambda v: ests(n=v), "n", COUNT),
    ("estimate seed", lambda v: ests(n=10, seed=v), "seed", SEED),
    ("estimate batch", lambda v: ests(n=10, batch=v), "batch", COUNT),
    ("estimate level", lambda v: ests(n=10, level=v), "level", REAL),
    ("required_draws cv", lambda v: mc.required_draws(v), "cv", REAL),
    ("required_draws rel_error", lambda v: mc.required_draws(1.0, v), "rel_error", REAL),
    ("required_draws miss", lambda v: mc.required_draws(1.0, miss=v), "miss", REAL),
    ("critical_z level", lambda v: mc.critical_z(v), "level", REAL),
    # verify.gradcheck
    (
        "directional_check h",
        lambda v: G.directional_check(lambda p: float(p["w"] @ p["w"]), {"w": B}, {"w": B}, h=v),
        "h",
        REAL,
    ),
    (
        "directional_check seed",
        lambda v: G.directional_check(lambda p: 0.0, {"w": B}, {"w": B}, seed=v),
        "seed",
        SEED,
    ),
]

# what each call gets when its argument is fine (the bad value is then the only fault)
GOOD = {
    "a": 0.1, "alpha": 0.5, "n": 3, "reg": 0.1, "bn_param['eps']": 1e-5,
    "dropout_param['p']": 0.5, "dropout_param['seed']": 1, "dropout_param['mode']": "test",
    "conv_param['stride']": 1, "conv_param['pad']": 1, "pool_param['pool_height']": 2,
    "stride": 2, "weight_scale": 0.1, "hidden_dims[0]": 3, "input_dim": 4, "seed": 1,
    "num_classes": 2, "learning_rate": 0.1, "weight_decay": 0.0, "momentum": 0.5,
    "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-8, "t": 2, "lr": 0.1, "fan_in": 8, "fan_out": 8,
    "q_prev": 1.0, "weight_var": 0.25, "activation": "relu", "scheme": "tanh, Xavier uniform",
    "width": 64, "depth": 5, "dtype": "float16", "margin": 0.5, "mu": 0.5, "sigma_w2": 1.0,
    "sigma_eps2": 0.5, "d": 10, "student_id": 7, "label_smoothing": 0.1, "slope": 0.05,
    "label": 2, "digits": 4, "fmt": "text", "batch": 4, "level": 0.01, "cv": 1.0,
    "rel_error": 0.1, "miss": 0.01, "h": 1e-5,
}  # fmt: skip


def _good(label, name):
    if label == "estimate n":
        return 10
    if name in GOOD:
        return GOOD[name]
    return None  # an array argument: its good value is the fixture above


def _rows():
    for label, call, name, bad in CASES:
        for what, value, error in bad:
            yield pytest.param(call, name, value, error, id=f"{label}: {what}")


@pytest.mark.parametrize(("call", "name", "value", "error"), list(_rows()))
def test_a_bad_argument_gets_the_right_error_naming_it(call, name, value, error):
    with pytest.raises((TypeError, ValueError)) as info:
        call(value)
    assert info.type is error, f"{info.type.__name__}: {info.value}"
    message = str(info.value)
    assert re.match(re.escape(name) + r"(, \w+)*: ", message), message
    assert "\n" not in message and len(message) < 400, message


ARRAY_ARGS = {
    "x": X, "w": W, "b": B, "dout": X, "gamma": np.ones(3), "velocity": X,
    "dw": X, "eigenvalues": [1.0, 2.0], "params['W1']": np.ones((4, 3)),
}  # fmt: skip


@pytest.mark.parametrize(
    ("label", "call", "name"), [c[:3] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_call_of_the_table_works_with_a_good_value(label, call, name):
    # otherwise a row could pass because of some other fault in the call
    good = _good(label, name)
    if good is None:
        good = {
            "conv_forward x": X4,
            "answer_key x": [1.0, -1.0, 1.5],
            "sgd w": X,
            "backprop x": np.ones((2, 1)),
        }.get(label, ARRAY_ARGS[name])
    call(good)


def test_every_public_module_uses_the_one_module():
    # no private copies of the checks are left behind
    import inspect

    from derivations.initialization import moments, overflow
    from derivations.layers import basic, nets, spatial
    from derivations.mlp import key as mlp_key

    for module in (basic, nets, spatial, opt, moments, overflow, rd, mlp_key, act, mc, G):
        source = inspect.getsource(module)
        assert "isinstance(value, bool)" not in source, module.__name__
        for helper in ("def _variance(", "def _array(", "def _real(", "def _number(",
                       "def _non_negative(", "def _check_id("):  # fmt: skip
            assert helper not in source, (module.__name__, helper)


# --- the module itself ---------------------------------------------------------------------------
def test_messages_read_name_requirement_value():
    with pytest.raises(ValueError) as info:
        arg.real(-1.0, "lr", low=0)
    assert str(info.value) == "lr: a finite real number >= 0 is required, got -1.0"
    with pytest.raises(TypeError) as info:
        arg.count("3", "width")
    assert str(info.value) == "width: a positive integer is required, got '3' (str)"


def test_huge_integers_are_named_not_overflow_errors():
    for check in (
        lambda: arg.real(10**400, "mu"),
        lambda: arg.count(10**400, "n"),
        lambda: arg.seed(10**400),
        lambda: arg.array([10**400], "x"),
        lambda: arg.real(-(10**5000), "mu"),  # past Python's 4300-digit repr limit
    ):
        with pytest.raises(ValueError) as info:
            check()
        assert not isinstance(info.value, OverflowError)
        assert len(str(info.value)) < 200


def test_array_conversions():
    a = arg.array([[1, 2, 3]], "x", shape=(None, 3))
    assert a.dtype == np.float64 and a.shape == (1, 3)
    assert arg.array(np.arange(3), "y", dtype=int).dtype == np.int64
    assert np.isnan(arg.array([np.nan], "x", finite=False)[0])
    assert arg.array([10**30], "x")[0] == 1e30  # beyond int64 but a fine float
    with pytest.raises(ValueError, match=r"^x: a real array of shape \(any, 3\) is required"):
        arg.array(np.ones((2, 2)), "x", shape=(None, 3))
    with pytest.raises(ValueError, match=r"^x: a real 2-d array is required, got shape \(3,\)"):
        arg.array(np.ones(3), "x", ndim=2)
    with pytest.raises(TypeError, match="^x: a real array"):
        arg.array([[1.0], [1.0, 2.0]], "x")  # ragged
    with pytest.raises(TypeError, match="^x: a real array"):
        arg.array(np.array([1, "a"], dtype=object), "x")
    with pytest.raises(
        ValueError, match=r"^y: an integer array is required, got an entry of 2\*\*63"
    ):
        arg.array([1, 2**64], "y", dtype=int)
    with pytest.raises(TypeError, match="^y: an integer array"):
        arg.array([1.5, 2**64], "y", dtype=int)


def test_choice_refuses_lookalikes():
    assert arg.choice(3, "n_rows", (1, 3)) == 3
    with pytest.raises(TypeError):
        arg.choice(3.0, "n_rows", (1, 3))  # equal to 3, not the option 3
    with pytest.raises(TypeError):
        arg.choice(True, "n_rows", (1, 3))
    with pytest.raises(TypeError):
        arg.choice(["relu"], "activation", ("relu",))


def test_reals_accept_numpy_and_fractions():
    from fractions import Fraction

    assert arg.real(np.float32(0.5), "x") == 0.5
    assert arg.real(np.int64(3), "x") == 3.0
    assert arg.real(Fraction(1, 4), "x") == 0.25
    with pytest.raises(TypeError):
        arg.real(np.bool_(True), "x")
    with pytest.raises(ValueError, match=r"^p: a real number in \(0, 1\) is required"):
        arg.probability(0.0, "p", open_low=True, open_high=True)


def test_the_depth_of_the_overflow_prediction_is_bounded_and_quick():
    import time

    start = time.perf_counter()
    init.overflow_distribution(512, init.overflow.MAX_DEPTH, "float64")
    assert time.perf_counter() - start < 20  # the convolution stops at the first overflow
    with pytest.raises(ValueError, match="^depth: an integer in"):
        init.overflow_layer(512, depth=init.overflow.MAX_DEPTH + 1)
