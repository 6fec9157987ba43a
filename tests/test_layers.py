"""Layers: hand-computed values, the derivations, the networks' API, bad input, the claims."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

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
                np.ones((1, 1, 2, 6)), np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 2, "pad": 0}
            ),
            r"conv_param: a window of 3 does not fit in a \(padded\) size of 2",
        ),
        (
            lambda: L.conv_forward(
                np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 2}
            ),
            r"conv_param: a dict with key 'pad' is required",
        ),
        (
            lambda: L.conv_forward(
                np.ones((1, 1, 6, 6)),
                np.ones((1, 1, 3, 3)),
                np.zeros(1),
                {"stride": 2, "pad": 0, "dilation": 2},
            ),
            r"conv_param: keys among 'stride', 'pad' are required, got unknown key 'dilation'",
        ),
        (
            lambda: L.conv_forward(
                np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 0, "pad": 0}
            ),
            r"conv_param\['stride'\]: a positive integer",
        ),
        (
            lambda: L.max_pool_forward(
                np.ones((1, 1, 5, 1)), {"pool_height": 2, "pool_width": 2, "stride": 2}
            ),
            r"pool_param: a window of 2 does not fit in a \(padded\) size of 1",
        ),
        (
            lambda: L.max_pool_forward(
                np.ones((1, 1, 5, 5)), {"pool_height": 3, "pool_width": 2, "stride": 2, "pad": 2}
            ),
            r"pool_param\['pad'\]: at most half the window, min\(pool_height, pool_width\) // 2 = 1",
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


# --- strides that do not divide: torch's floor, forward and backward ---------------------------
def _torch_conv(x, w, b, stride, pad, dout):
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(tx, tw, tb, stride=stride, padding=pad)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


# (x shape, w shape, stride, pad): sizes the stride does not divide among them
CONV_GEOMETRIES = [
    ((1, 2, 64, 64), (3, 2, 1, 1), 2, 0),  # a ResNet shortcut on an even size: 63/2 floors
    ((1, 2, 65, 65), (3, 2, 1, 1), 2, 0),  # odd size: 64/2 divides
    ((2, 3, 7, 7), (4, 3, 3, 3), 2, 1),
    ((2, 3, 8, 8), (4, 3, 3, 3), 2, 1),  # 7/2 floors: the last padded row is in no window
    ((1, 2, 13, 55), (2, 2, 5, 3), 3, 2),
    ((2, 1, 6, 9), (3, 1, 3, 2), 3, 1),
]


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "pad"), CONV_GEOMETRIES)
def test_conv_floors_and_matches_torch_autograd(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(sum(x_shape) + stride)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    out, cache = L.conv_forward(x, w, b, {"stride": stride, "pad": pad})
    expected_hw = [
        (n + 2 * pad - k) // stride + 1 for n, k in zip(x_shape[2:], w_shape[2:], strict=True)
    ]
    assert list(out.shape) == [x_shape[0], w_shape[0], *expected_hw]
    dout = rng.standard_normal(out.shape)
    t_out, t_dx, t_dw, t_db = _torch_conv(x, w, b, stride, pad, dout)
    dx, dw, db = L.conv_backward(dout, cache)
    for ours, theirs in ((out, t_out), (dx, t_dx), (dw, t_dw), (db, t_db)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-11 * max(1, np.abs(theirs).max()))


def test_one_by_one_stride_two_by_hand():
    # A 1×1 kernel of weight 3 with stride 2 on 4×4 reads rows and columns 0 and 2; the last
    # row and column (3) are in no window, and neither are rows 1: their gradient is 0.
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out, cache = L.conv_forward(x, np.full((1, 1, 1, 1), 3.0), np.zeros(1), {"stride": 2, "pad": 0})
    assert out[0, 0].tolist() == [[0.0, 6.0], [24.0, 30.0]]
    dx, dw, db = L.conv_backward(np.array([[[[1.0, 2.0], [4.0, 8.0]]]]), cache)
    assert dx[0, 0].tolist() == [[3.0, 0, 6, 0], [0, 0, 0, 0], [12, 0, 24, 0], [0, 0, 0, 0]]
    assert dw.ravel().tolist() == [1 * 0 + 2 * 2 + 4 * 8 + 8 * 10.0]
    assert db.tolist() == [15.0]


POOL_GEOMETRIES = [
    ((1, 2, 13, 55), 2, 2, 2, 0),  # the gaze CNN's second pool: 13×55 → 6×27
    ((2, 2, 7, 8), 3, 3, 2, 0),  # overlapping, floors in width
    ((2, 1, 5, 6), 3, 2, 2, 1),  # padded
    ((1, 1, 9, 4), 3, 3, 3, 1),
]


@pytest.mark.parametrize(("shape", "ph", "pw", "stride", "pad"), POOL_GEOMETRIES)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_floors_and_matches_torch_autograd_with_and_without_ties(
    shape, ph, pw, stride, pad, ties
):
    rng = np.random.default_rng(sum(shape) + ph)
    x = rng.integers(0, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride, "pad": pad}
    out, cache = L.max_pool_forward(x, param)
    dout = rng.standard_normal(out.shape)
    tx = torch.tensor(x, requires_grad=True)
    t_out = F.max_pool2d(tx, (ph, pw), stride, padding=pad)
    t_out.backward(torch.tensor(dout))
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_array_equal(out, t_out.detach().numpy())
    np.testing.assert_allclose(L.max_pool_backward(dout, cache), tx.grad.numpy(), atol=1e-14)


def test_pool_13_by_55_by_hand():
    x = np.arange(13 * 55.0).reshape(1, 1, 13, 55)
    out, cache = L.max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    assert out.shape == (1, 1, 6, 27)
    # the max of the window at (i, j) is its bottom-right entry, x[2i + 1, 2j + 1]
    assert out[0, 0, 5, 26] == (2 * 5 + 1) * 55 + 2 * 26 + 1
    dx = L.max_pool_backward(np.ones_like(out), cache)
    assert dx[0, 0, 12].sum() == 0 and dx[0, 0, :, 54].sum() == 0  # in no window
    assert dx.sum() == 6 * 27


def test_pool_ties_go_to_the_first_maximum_in_row_major_order():
    # Torch's CPU kernel keeps the running maximum unless an entry is strictly larger, so the
    # first of tied maxima wins. Each 2×2 window below holds a tie; worked out by hand.
    x = np.array([[[[1.0, 3, 3], [3, 0, 3], [2, 3, 1]]]])
    out, cache = L.max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 1})
    assert out[0, 0].tolist() == [[3.0, 3], [3, 3]]
    dx = L.max_pool_backward(np.array([[[[1.0, 10], [100, 1000]]]]), cache)
    assert dx[0, 0].tolist() == [[0.0, 11, 0], [100, 0, 1000], [0, 0, 0]]
    # torch agrees
    tx = torch.tensor(x, requires_grad=True)
    F.max_pool2d(tx, 2, 1).backward(torch.tensor([[[[1.0, 10], [100, 1000]]]], dtype=torch.float64))
    assert tx.grad.numpy()[0, 0].tolist() == dx[0, 0].tolist()


def test_relu_derivative_is_zero_at_the_kink_as_torch():
    x = np.array([-1.5, -0.0, 0.0, 2.0])
    dout = np.array([2.0, 3.0, 5.0, 7.0])
    ours = L.relu_backward(dout, L.relu_forward(x)[1])
    assert ours.tolist() == [0.0, 0.0, 0.0, 7.0]
    tx = torch.tensor(x, requires_grad=True)
    F.relu(tx).backward(torch.tensor(dout))
    assert tx.grad.tolist() == ours.tolist()


def test_the_claims_reach_kinks_ties_and_floors():
    from verify.layers import CASES, problem

    labels = [i.label for i in CASES["conv"].instances]
    assert any("64×64, 1×1 kernel, stride 2" in lab for lab in labels)
    assert any("7×7, 3×3 kernel, stride 2, pad 1" in lab for lab in labels)
    pool = [i.label for i in CASES["max_pool"].instances]
    assert any(lab.startswith("13×55, 2×2 window, stride 2, pad 0 → 6×27") for lab in pool)
    kink = next(i for i, c in enumerate(CASES["relu"].instances) if not c.finite_difference)
    x = problem("relu", instance=kink).params["x"]
    assert np.sum(x == 0) >= 5 and np.any(np.signbit(x) & (x == 0))
    tied = next(i for i, c in enumerate(CASES["max_pool"].instances) if not c.finite_difference)
    p = problem("max_pool", instance=tied)
    x = p.params["x"]
    windows = x[:, :, :12, :54].reshape(1, 2, 6, 2, 27, 2).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(1, 2, 6, 27, 4)
    ties = (windows == windows.max(axis=-1, keepdims=True)).sum(axis=-1) > 1
    assert ties.mean() > 0.3  # most windows hold tied maxima


def test_the_strided_derivation_agrees_with_the_layer():
    d = D.get("conv.dx_strided")
    rng = np.random.default_rng(3)
    w, g = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    values = {}
    for s in d.result.free_symbols:
        name, (i, j) = str(s)[0], (int(str(s)[2]) - 1, int(str(s)[3]) - 1)
        values[s] = {"w": w, "g": g}[name][i, j]
    symbolic = np.array(d.result.subs(values), dtype=float)
    layer = L.conv_input_gradient(
        g[None, None], w[None, None], {"stride": 2, "pad": 0}, (1, 1, 5, 5)
    )
    np.testing.assert_allclose(symbolic, layer[0, 0], atol=1e-12)
    assert np.all(symbolic[4] == 0) and np.all(symbolic[:, 4] == 0)


# --- bad input: named errors, never a silently wrong number ---------------------------------
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("value", [NAN, INF, -INF])
def test_reg_and_weight_scale_must_be_finite(value):
    with pytest.raises(ValueError, match=r"^reg: a finite real number >= 0"):
        L.TwoLayerNet(4, 3, 2, reg=value)
    with pytest.raises(ValueError, match=r"^weight_scale: a finite real number >= 0"):
        L.TwoLayerNet(4, 3, 2, weight_scale=value)
    with pytest.raises(ValueError, match=r"^reg: a finite real number >= 0"):
        L.FullyConnectedNet([3], 4, 2, reg=value)
    with pytest.raises(ValueError, match=r"^weight_scale: a finite real number >= 0"):
        L.FullyConnectedNet([3], 4, 2, weight_scale=value)
    with pytest.raises(ValueError, match=r"^reg: a finite real number >= 0"):
        L.l2_penalty([np.ones(2)], value)
    net = L.TwoLayerNet(4, 3, 2)
    net.reg = value  # reg may be changed at any time: checked when the loss is computed
    with pytest.raises(ValueError, match=r"^reg: a finite real number >= 0"):
        net.loss(np.ones((2, 4)), np.array([0, 1]))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: L.TwoLayerNet(4, 3, 2, reg=0.5j), "reg"),
        (lambda: L.TwoLayerNet(4, 3, 2, weight_scale=1 + 0j), "weight_scale"),
        (lambda: L.relu_forward(np.array([1 + 2j])), "x"),
        (lambda: L.relu_backward(np.array([1j]), np.array([1.0])), "dout"),
        (lambda: L.affine_forward(np.ones((1, 2)), np.ones((2, 1)) * 1j, np.zeros(1)), "w"),
        (lambda: L.softmax_loss(np.zeros((2, 3), dtype=complex), np.array([0, 1])), "x"),
        (
            lambda: L.conv_forward(
                np.ones((1, 1, 3, 3)) + 0j,
                np.ones((1, 1, 1, 1)),
                np.zeros(1),
                {"stride": 2, "pad": 0},
            ),
            "x",
        ),
        (
            lambda: L.max_pool_forward(
                np.ones((1, 1, 2, 2), dtype=complex),
                {"pool_height": 2, "pool_width": 2, "stride": 2},
            ),
            "x",
        ),
        (lambda: L.batchnorm_forward(np.ones((2, 1)), np.array([1j]), np.zeros(1)), "gamma"),
        (lambda: L.dropout_forward(np.array([1j, 2.0]), {"p": 0.5}), "x"),
        (lambda: L.TwoLayerNet(2, 3, 2).loss(np.array([[1j, 0.0]])), "X"),
    ],
)
def test_complex_numbers_are_refused_not_truncated(call, name):
    with pytest.raises(TypeError, match=rf"^{name}: "):
        call()


def test_softmax_loss_on_an_empty_batch_names_x():
    with pytest.raises(ValueError, match=r"^x: scores of shape \(N, C\) with N >= 1 .* \(0, 3\)"):
        L.softmax_loss(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=r"^x: .* got shape \(0, 3\)"):
        L.softmax_loss(np.zeros((0, 3)), [])  # an empty list, whatever its dtype
    with pytest.raises(ValueError, match=r"^x: .* got shape \(2, 0\)"):
        L.softmax_loss(np.zeros((2, 0)), np.array([0, 0]))


def test_softmax_loss_with_scores_near_the_float_limit():
    # Row 1: -log softmax([1e308, -1e308])[1] = 2e308 (as -1e308 - 1e308 - log(1 + e^-2e308));
    # row 2: log 2. Their mean, 1e308 + log(2)/2, is a float64 (to rounding: 1e308) although
    # the row loss is not.
    loss, dx = L.softmax_loss(np.array([[1e308, -1e308], [0.0, 0.0]]), np.array([1, 0]))
    assert loss == pytest.approx(1e308, rel=1e-15)
    assert dx.tolist() == [[0.5, -0.5], [-0.25, 0.25]]
    loss, _ = L.softmax_loss(np.array([[1.7e308, 0.0, -1.7e308]]), np.array([0]))
    assert loss == 0.0
    with pytest.raises(OverflowError, match=r"^x: the mean cross-entropy"):
        L.softmax_loss(np.array([[1e308, -1e308]]), np.array([1]))  # 2e308: beyond float64


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (
            lambda: L.affine_forward(np.full((1, 2), 1e200), np.full((2, 1), 1e200), np.zeros(1)),
            "x, w, b",
        ),
        (
            lambda: L.conv_forward(
                np.full((1, 1, 2, 2), 1e200),
                np.full((1, 1, 2, 2), 1e200),
                np.zeros(1),
                {"stride": 1, "pad": 0},
            ),
            "x, w, b",
        ),
        (lambda: L.batchnorm_forward(np.array([[1e200], [-1e200]]), np.ones(1), np.zeros(1)), "x"),
        (lambda: L.l2_penalty([np.full(2, 1e200)], 0.5), "weights, reg"),
        (lambda: L.dropout_forward(np.full(4, 1.5e308), {"p": 0.5, "seed": 0}), "x"),
        (
            lambda: L.TwoLayerNet(4, 3, 2, weight_scale=1e200).loss(
                np.full((2, 4), 1e200), np.array([0, 1])
            ),
            "X, params",
        ),
    ],
)
def test_an_overflow_is_a_named_error_never_inf_or_nan(call, names):
    with pytest.raises(OverflowError, match=rf"^{names}: "):
        call()


def test_spatial_batchnorm_names_its_own_arguments():
    x = np.ones((2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"^x of shape \(2, 3, 4, 5\) and gamma of shape \(2,\)"):
        L.spatial_batchnorm_forward(x, np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"^x of shape \(2, 3, 4, 5\) and beta of shape \(4,\)"):
        L.spatial_batchnorm_forward(x, np.ones(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"^x: at least one value per channel"):
        L.spatial_batchnorm_forward(np.ones((0, 3, 4, 5)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"^x: a real 4-d array"):
        L.spatial_batchnorm_forward(np.ones((2, 3, 4)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"^x: a batch of at least one row"):
        L.batchnorm_forward(np.ones((0, 3)), np.ones(3), np.zeros(3))


def test_settings_a_layer_would_ignore_are_refused():
    # A cs231n-style bn_param with mode 'test' and running statistics would otherwise run
    # training-mode batch norm silently; a misspelt dropout seed would draw an unseeded mask.
    with pytest.raises(ValueError, match=r"^bn_param: keys among 'eps' .* unknown key 'mode'"):
        L.batchnorm_forward(np.ones((2, 1)), np.ones(1), np.zeros(1), {"mode": "test"})
    with pytest.raises(ValueError, match=r"^dropout_param: keys among .* unknown key 'sed'"):
        L.dropout_forward(np.ones(3), {"p": 0.5, "sed": 3})
    with pytest.raises(ValueError, match=r"^pool_param: keys among .* unknown key 'padding'"):
        L.max_pool_forward(
            np.ones((1, 1, 4, 4)), {"pool_height": 2, "pool_width": 2, "stride": 2, "padding": 1}
        )


def test_empty_maps_and_kernels_name_x_and_w():
    param = {"stride": 1, "pad": 1}
    with pytest.raises(ValueError, match=r"^x: a height and width of at least 1"):
        L.conv_forward(np.ones((1, 1, 0, 5)), np.ones((1, 1, 1, 1)), np.zeros(1), param)
    with pytest.raises(ValueError, match=r"^w: a kernel of height and width at least 1"):
        L.conv_forward(np.ones((1, 1, 3, 5)), np.ones((1, 1, 0, 1)), np.zeros(1), param)
    with pytest.raises(ValueError, match=r"^x: a height and width of at least 1"):
        L.max_pool_forward(np.ones((1, 1, 4, 0)), {"pool_height": 1, "pool_width": 1, "stride": 1})
    # an empty batch is fine, as in torch
    out, _ = L.conv_forward(np.ones((0, 1, 3, 3)), np.ones((2, 1, 2, 2)), np.zeros(2), param)
    assert out.shape == tuple(
        F.conv2d(torch.ones(0, 1, 3, 3), torch.ones(2, 1, 2, 2), padding=1).shape
    )


@pytest.mark.parametrize(
    ("layer", "label"),
    [
        ("relu", "ReLU′(0) = 1 (mask x ≥ 0)"),
        ("relu", "ReLU′(0) = 1/2"),
        ("max_pool", "ties routed to the last maximum"),
        ("max_pool", "ties split evenly"),
    ],
)
def test_kink_conventions_are_caught_only_at_kinks_and_ties(layer, label):
    # Right on every smooth instance (so the old kink-free inputs accepted them), wrong on the
    # instances that hit a kink or a tie.
    from verify.layers import wrong as M

    candidate = M.KINK_MUTATIONS[layer][label]
    assert claims.get(f"layers.{layer}.finite_difference").check(candidate).passed
    evidence = claims.get(f"layers.{layer}.autograd").check(candidate)
    assert not evidence.passed
    assert evidence.witness.point["instance"].endswith(("ties", "the kink"))


# --- index forms ---------------------------------------------------------------------------
def test_strided_conv_index_form_agrees_entrywise():
    import sympy as sp

    from derivations.render import LARGEST_SHOWN

    form = D.index_form("conv.dx_strided")
    result = D.get("conv.dx_strided").result
    assert form.disagreements(result) == []
    # row 5 and column 5 lie in no window: their entries are 0, and a form that forgot the
    # kernel's support (reading w cyclically) would disagree there
    assert form.entry(5, 3) == 0 and result[4, 2] == 0
    assert form.disagreements(result.T) != []
    wide = [n for n in D.NAMES if max(getattr(D.get(n).result, "shape", (1,))) > LARGEST_SHOWN]
    assert wide == ["conv.dx_strided"]
    assert all(D.index_form(n) is None for n in D.NAMES if n not in wide)
    assert isinstance(form.equation, sp.Basic)
