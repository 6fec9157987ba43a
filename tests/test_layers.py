"""Layers: hand-computed values, the derivations, the networks' API, bad input, the claims."""

import math

import numpy as np
import pytest

from derivations import layers as L
from derivations.core import PROVED, Derivation, Step
from derivations.layers import chains as D
from verify import claims


@pytest.mark.parametrize("name", D.NAMES)
def test_every_backward_derivation_is_proved(name):
    report = D.get(name).check()
    assert [s.status for s in report.steps] == [PROVED] * len(report.steps), str(report)


def test_an_unflipped_kernel_is_caught_by_the_derivation_machinery():
    d = D.get("conv.dx")
    w = {str(s): s for s in d.steps[1].expr.free_symbols if str(s).startswith("w_")}
    unflip = {
        w["w_11"]: w["w_22"],
        w["w_22"]: w["w_11"],
        w["w_12"]: w["w_21"],
        w["w_21"]: w["w_12"],
    }
    bad = Derivation(
        "unflipped", d.symbols, [d.steps[0], Step(d.steps[1].expr.xreplace(unflip), "slip")]
    )
    assert not bad.check().ok


def test_affine_flattens_and_restores_the_input_shape():
    x = np.arange(12.0).reshape(2, 2, 3)
    w = np.eye(6)[:, :4]
    out, cache = L.affine_forward(x, w, np.array([1.0, 0, 0, 0]))
    assert out.tolist() == [[1.0, 1, 2, 3], [7.0, 7, 8, 9]]
    dx, dw, db = L.affine_backward(np.ones((2, 4)), cache)
    assert dx.shape == (2, 2, 3)
    assert dx[0].tolist() == [[1.0, 1, 1], [1, 0, 0]]
    assert db.tolist() == [2.0, 2, 2, 2]


def test_conv_with_stride_and_padding_by_hand():
    # 3×3 input 0..8, 3×3 kernel of ones, stride 2, padding 1: each output sums a 2×2 corner.
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    out, cache = L.conv_forward(x, np.ones((1, 1, 3, 3)), np.array([0.5]), {"stride": 2, "pad": 1})
    assert out[0, 0].tolist() == [[8.5, 12.5], [20.5, 24.5]]
    dx, dw, db = L.conv_backward(np.ones((1, 1, 2, 2)), cache)
    # centre pixel is in all four windows, edges in two, corners in one
    assert dx[0, 0].tolist() == [[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]
    assert db.tolist() == [4.0]


def test_max_pool_routes_to_the_arg_max_and_adds_overlaps():
    x = np.array([[[[1.0, 9, 2], [3, 4, 5], [6, 0, 7]]]])
    out, cache = L.max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 1})
    assert out[0, 0].tolist() == [[9.0, 9], [6, 7]]
    dx = L.max_pool_backward(np.array([[[[1.0, 10], [100, 1000]]]]), cache)
    assert dx[0, 0].tolist() == [[0.0, 11, 0], [0, 0, 0], [100, 0, 1000]]


def test_softmax_loss_of_equal_scores():
    loss, dx = L.softmax_loss(np.zeros((2, 4)), np.array([1, 3]))
    assert loss == pytest.approx(math.log(4))
    assert dx.tolist() == [[0.125, -0.375, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]]


def test_softmax_loss_is_stable_for_huge_scores():
    loss, dx = L.softmax_loss(np.array([[1e4, 0.0], [-1e4, 0.0]]), np.array([1, 1]))
    assert loss == pytest.approx(1e4 / 2)
    assert np.all(np.isfinite(dx))


def test_l2_penalty():
    loss, grads = L.l2_penalty([np.ones((2, 2)), np.full(3, 2.0)], 0.5)
    assert loss == pytest.approx(0.5 * 0.5 * (4 + 12))
    assert grads[1].tolist() == [1.0, 1.0, 1.0]


def test_batchnorm_normalizes_each_feature():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, (200, 3))
    out, _ = L.batchnorm_forward(x, np.array([1.0, 2, 3]), np.array([0.0, 1, 2]))
    np.testing.assert_allclose(out.mean(axis=0), [0, 1, 2], atol=1e-12)
    var = x.var(axis=0)
    np.testing.assert_allclose(out.std(axis=0), [1, 2, 3] * np.sqrt(var / (var + 1e-5)))


def test_spatial_batchnorm_pools_over_batch_and_space():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (4, 2, 3, 3)) + np.array([10.0, -10.0])[None, :, None, None]
    out, _ = L.spatial_batchnorm_forward(x, np.ones(2), np.zeros(2))
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)


def test_inverted_dropout_drops_a_fraction_p_and_keeps_the_mean():
    p, n = 0.3, 200_000
    out, cache = L.dropout_forward(np.ones(n), {"p": p, "seed": 7})
    dropped = float(np.mean(out == 0))
    # binomial standard deviation sqrt(p(1-p)/n) ≈ 1e-3: allow 6 of them
    assert abs(dropped - p) < 6 * math.sqrt(p * (1 - p) / n)
    assert set(np.unique(out)) == {0.0, 1 / (1 - p)}
    assert abs(out.mean() - 1.0) < 6 * math.sqrt(p / (1 - p) / n)
    test_out, test_cache = L.dropout_forward(np.arange(3.0), {"p": p, "mode": "test"})
    assert test_out.tolist() == [0.0, 1, 2]
    assert L.dropout_backward(np.ones(3), test_cache).tolist() == [1.0, 1, 1]
    same, _ = L.dropout_forward(np.ones(10), {"p": 0.0, "seed": 1})
    assert same.tolist() == [1.0] * 10


def test_two_layer_net_defaults_and_mutable_reg():
    net = L.TwoLayerNet()
    assert net.params["W1"].shape == (3072, 100) and net.params["b2"].shape == (10,)
    assert 5e-4 < net.params["W1"].std() < 2e-3 and net.reg == 0.0
    small = L.TwoLayerNet(input_dim=4, hidden_dim=3, num_classes=2, weight_scale=0.5)
    X, y = np.ones((3, 4)), np.array([0, 1, 1])
    base, _ = small.loss(X, y)
    small.reg = 2.0
    loss, grads = small.loss(X, y)
    squares = sum(float(np.sum(small.params[k] ** 2)) for k in ("W1", "W2"))
    assert loss - base == pytest.approx(0.5 * 2.0 * squares)
    assert small.loss(X).shape == (3, 2)


def test_fc_net_zero_weights_give_log_classes_and_seeds_repeat():
    net = L.FullyConnectedNet([4, 4], input_dim=3, num_classes=5, weight_scale=0.0)
    loss, grads = net.loss(np.ones((2, 3)), np.array([0, 4]))
    assert loss == pytest.approx(math.log(5))
    a = L.FullyConnectedNet([4], input_dim=3, num_classes=2, seed=3).params["W1"]
    b = L.FullyConnectedNet([4], input_dim=3, num_classes=2, seed=3).params["W1"]
    assert np.array_equal(a, b)
    assert sorted(net.params) == ["W1", "W2", "W3", "b1", "b2", "b3"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: L.affine_forward(np.ones((2, 3, 2)), np.ones((5, 4)), np.zeros(4)),
            r"x of shape \(2, 3, 2\) and w of shape \(5, 4\)",
        ),
        (
            lambda: L.affine_forward(np.ones((2, 5)), np.ones((5, 4)), np.zeros(3)),
            r"w of shape \(5, 4\) and b of shape \(3,\)",
        ),
        (
            lambda: L.conv_forward(
                np.ones((1, 2, 5, 5)), np.ones((1, 3, 3, 3)), np.zeros(1), {"stride": 1, "pad": 0}
            ),
            r"x of shape \(1, 2, 5, 5\) and w of shape \(1, 3, 3, 3\)",
        ),
        (
            lambda: L.conv_forward(
                np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 2, "pad": 0}
            ),
            "does not tile",
        ),
        (
            lambda: L.conv_forward(
                np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 0, "pad": 0}
            ),
            r"conv_param\['stride'\]: a positive integer",
        ),
        (
            lambda: L.max_pool_forward(
                np.ones((1, 1, 5, 5)), {"pool_height": 2, "pool_width": 2, "stride": 2}
            ),
            "does not tile",
        ),
        (
            lambda: L.batchnorm_forward(np.ones((4, 3)), np.ones(2), np.zeros(3)),
            r"x of shape \(4, 3\) and gamma of shape \(2,\)",
        ),
        (
            lambda: L.softmax_loss(np.zeros((3, 2)), np.array([0, 1])),
            r"x of shape \(3, 2\) and y of shape \(2,\)",
        ),
        (
            lambda: L.dropout_forward(np.ones(3), {"p": -0.1}),
            r"dropout_param\['p'\]: a real number in \[0, 1\)",
        ),
        (
            lambda: L.dropout_forward(np.ones(3), {"p": 1}),
            r"dropout_param\['p'\]: a real number in \[0, 1\)",
        ),
        (
            lambda: L.relu_backward(np.ones(3), np.ones(4)),
            r"dout of shape \(3,\) and x of shape \(4,\)",
        ),
        (lambda: L.TwoLayerNet(hidden_dim=0), "hidden_dims"),
        (lambda: L.FullyConnectedNet([3], reg=-1.0), "reg: a finite real number >= 0"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_arrays(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_every_layers_claim_passes():
    evidence = claims.run("layers")
    assert len(evidence) == 20
    assert all(e.passed for e in evidence), [e.summary() for e in evidence if not e.passed]
