"""Gradient checking: the centered difference, the directional check, and localization of the
wrong backward passes of verify/layers/wrong.py to the parameter block at fault."""

import math

import numpy as np
import pytest

from derivations import layers as L
from verify import gradcheck as G
from verify.bench import gradcheck as bench
from verify.layers import problem
from verify.layers import wrong as M


def test_centered_difference_of_a_cubic_is_exact_up_to_rounding():
    # (x+h)³ - (x-h)³ = 6x²h + 2h³: the quotient is 3x² + h², known by hand.
    x = np.array([0.5, -2.0, 3.0])
    g = G.centered_difference(lambda p: float(np.sum(p["x"] ** 3)), {"x": x}, h=1e-3)
    np.testing.assert_allclose(g["x"], 3 * x**2 + 1e-6, rtol=1e-9)


def test_relative_error_follows_the_course_formula():
    a, b = np.array([1.0, 0.0]), np.array([3.0, 0.0])
    assert G.relative_error(a, b) == pytest.approx(2 / 4)
    assert G.relative_error(a, b, elementwise=True) == pytest.approx(2 / 4)
    assert G.relative_error([0.0], [1e-9]) == pytest.approx(1e-9 / 1e-8)
    with pytest.raises(ValueError, match=r"a of shape \(2,\) and b of shape \(3,\)"):
        G.relative_error(np.zeros(2), np.zeros(3))


def test_rounding_factor_covers_float64_sums():
    # The tolerance assumes a sum of n ≲ 4096 terms rounds by < ROUNDING·eps·Σ|terms|.
    rng = np.random.default_rng(3)
    worst = 0.0
    for _ in range(50):
        terms = rng.standard_normal(4096)
        exact = math.fsum(terms)
        worst = max(worst, abs(float(np.sum(terms)) - exact) / (G.EPS * np.sum(np.abs(terms))))
    assert worst < G.ROUNDING


def test_directional_check_scales_to_half_a_million_parameters():
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((1000, 500)), "b": rng.standard_normal(500)}

    def f(p):
        return float(np.sum(np.tanh(p["W"] * 0.1)) + 0.5 * p["b"] @ p["b"])

    grads = {"W": 0.1 * (1 - np.tanh(params["W"] * 0.1) ** 2), "b": params["b"].copy()}
    assert G.directional_check(f, params, grads).passed
    grads["W"][123, 45] += 1e-3
    result = G.gradcheck(f, params, grads)
    assert not result.passed and result.verdict == "failed"
    assert result.localization.blocks == ["W"]
    assert result.localization.faults[0].coordinates == [(123, 45)]


def test_localization_finds_every_injected_coordinate_in_a_big_block():
    rng = np.random.default_rng(1)
    params = {"a": rng.standard_normal(200_000), "c": rng.standard_normal(7)}

    n = params["a"].size

    def f(p):  # a mean, like a loss: a sum of 200,000 terms would round 10⁵ times coarser
        return float(0.5 * p["a"] @ p["a"] / n + np.sum(np.sin(p["c"])))

    grads = {"a": params["a"] / n, "c": np.cos(params["c"])}
    where = [11, 90_000, 199_999]
    grads["a"][where] -= 1e-4
    loc = G.localize(f, params, grads, seed=5)
    assert loc.blocks == ["a"]
    assert loc.faults[0].coordinates == [(i,) for i in where]
    assert loc.faults[0].complete
    np.testing.assert_allclose(loc.faults[0].numeric, params["a"][where] / n, atol=1e-8)


# label, layer, mutation, the block at fault, whether it is a shape error
FAULTS = [
    ("affine", "dx not reshaped to x's shape", "x", True),
    ("affine", "db summed over the wrong axis", "b", True),
    ("relu", "gradient kept where x ≤ 0", "x", False),
    ("batchnorm", "dx missing the mean terms", "x", False),
    ("conv", "dx with an unflipped kernel", "x", False),
    ("max_pool", "gradient routed to the window's first element", "x", False),
    ("max_pool", "gradient routed to the window's minimum", "x", False),
]


@pytest.mark.parametrize(("layer", "label", "block", "shape_error"), FAULTS)
def test_each_wrong_backward_is_localized_to_its_block(layer, label, block, shape_error):
    p = problem(layer, M.LAYER_MUTATIONS[layer][label])
    assert not G.directional_check(p.f, p.params, p.grads, scale=p.scale).passed
    loc = G.localize(p.f, p.params, p.grads, scale=p.scale)
    assert loc.blocks == [block], loc.report()
    fault = loc.faults[0]
    if shape_error:
        assert "shape" in fault.shape_error
        return
    assert fault.coordinates
    # Every coordinate reported is really wrong: torch autograd disagrees with the candidate.
    for c, a in zip(fault.coordinates, fault.analytic, strict=True):
        assert a == pytest.approx(p.grads[block][c])
        assert abs(p.torch_grads[block][c] - a) > 1e-6


def test_relu_fault_is_where_x_is_negative():
    p = problem("relu", M.relu_kept_where_negative)
    loc = G.localize(p.f, p.params, p.grads, scale=p.scale, max_coordinates=3)
    assert all(p.params["x"][c] < 0 for c in loc.faults[0].coordinates)
    assert not loc.faults[0].complete  # about half the entries are at fault; the search stops


def test_the_correct_backward_passes_are_not_flagged():
    for layer in ("affine", "relu", "conv", "max_pool", "batchnorm", "dropout"):
        p = problem(layer)
        loc = G.localize(p.f, p.params, p.grads, scale=p.scale)
        assert loc.faults == [], (layer, loc.report())


def test_network_faults_are_localized_to_the_right_parameters():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    for cls, blocks in [
        (M.LAYER_MUTATIONS["two_layer_net"]["ReLU gradient kept where x ≤ 0"], ["W1", "b1"]),
        (M.LAYER_MUTATIONS["two_layer_net"]["L2 gradient 0.5·reg·W"], ["W1", "W2"]),
    ]:
        net = cls(input_dim=5, hidden_dim=8, num_classes=3, weight_scale=0.5, reg=0.3)
        _, grads = net.loss(X, y)
        truth = L.TwoLayerNet(input_dim=5, hidden_dim=8, num_classes=3, weight_scale=0.5, reg=0.3)

        def f(p, truth=truth):
            truth.params = p
            return truth.loss(X, y)[0]

        loc = G.localize(f, dict(net.params), grads)
        assert loc.blocks == blocks, loc.report()


def test_bad_arguments():
    with pytest.raises(TypeError, match="params"):
        G.directional_check(lambda p: 0.0, {}, {})
    with pytest.raises(TypeError, match=r"params\['w'\]: a float64"):
        G.directional_check(lambda p: 0.0, {"w": np.ones(2, dtype=np.float32)}, {})
    r = G.directional_check(lambda p: 0.0, {"w": np.ones(2)}, {"w": np.ones(3)})
    assert not r.passed
    report = G.localize(lambda p: 0.0, {"w": np.ones(2)}, {"w": np.ones(3)}).report()
    assert "is wrong: gradient of shape (3,) for a parameter of shape (2,)" in report


def test_benchmark_machinery_on_a_tiny_net(capsys):
    assert (
        bench.main(
            [
                "--input-dim",
                "12",
                "--hidden-dim",
                "5",
                "--classes",
                "3",
                "--batch",
                "4",
                "--loop-coordinates",
                "20",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for needed in (
        "per-coordinate loop",
        "torch.autograd.gradcheck",
        "ours",
        "localization",
        "extrapolated",
    ):
        assert needed in out
    assert "fault found: W1" in out


def test_vector_output_with_a_weight_v_checks_vT_J_u():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 1, 5, 5)), rng.standard_normal((3, 1, 3, 3)), np.zeros(3)
    param = {"stride": 2, "pad": 1}
    out, cache = L.conv_forward(x, w, b, param)
    dout = rng.standard_normal(out.shape)

    def conv(p):
        return L.conv_forward(p["x"], p["w"], p["b"], param)[0]

    params = {"x": x, "w": w, "b": b}
    good = dict(zip("xwb", L.conv_backward(dout, cache), strict=True))
    assert G.gradcheck(conv, params, good, v=dout).verdict == "passed"
    bad = dict(zip("xwb", M.conv_unflipped_kernel(dout, cache), strict=True))
    result = G.gradcheck(conv, params, bad, v=dout)
    assert not result.passed and result.localization.blocks == ["x"]
    assert result.verdict == "failed"
    with pytest.raises(ValueError, match=r"v of shape \(3,\) and f's output of shape"):
        G.directional_check(conv, params, good, v=np.ones(3))


# --- the three verdicts ------------------------------------------------------------------------
W0 = np.array([1.0, -2.0, 0.5])
#: Large enough that the mixed third derivative swamps the directional tolerance (below).
C = 1e6


def mixed_cubic(p):
    """``Σ w² + C·Π(w - W0)``: at ``W0`` the product and its gradient vanish, since every
    partial derivative keeps a factor ``w_j - W0_j = 0``; only its mixed third derivative
    ``∂³/∂w1∂w2∂w3 = C`` does not."""
    w = p["w"]
    return float(np.sum(w**2) + C * np.prod(w - W0))


def test_unconfirmed_when_the_directional_check_fails_but_no_coordinate_is_wrong():
    params, grads = {"w": W0.copy()}, {"w": 2 * W0}  # the exact gradient, by hand
    # Along a unit u the centered quotient is 2 W0·u + C h² Π u exactly: the product's h³
    # term is odd. With C = 1e6 that is about 1e-4·|Π u| ≈ 1e-5, far above the tolerance
    # F·1.5e-9 (F ≈ |W0|² ≈ 5), which assumes a third derivative of at most 6F along u.
    # Along one coordinate the product is 0 (the other factors are exactly 0), so each
    # coordinate's own difference agrees.
    directional = G.directional_check(mixed_cubic, params, grads)
    assert not directional.passed
    assert directional.error > 100 * directional.tolerance
    for i in range(3):
        e = np.zeros(3)
        e[i] = G.H
        quotient = (mixed_cubic({"w": W0 + e}) - mixed_cubic({"w": W0 - e})) / (2 * G.H)
        assert quotient == pytest.approx(2 * W0[i], abs=1e-8)
    result = G.gradcheck(mixed_cubic, params, grads)
    assert result.verdict == "unconfirmed"
    assert not result.passed  # unconfirmed is not a pass
    assert result.localization.faults == [] and result.localization.checked >= 1
    report = result.report()
    assert "UNCONFIRMED" in report and "FAILED" not in report


def test_a_wrong_coordinate_of_the_same_function_is_failed_not_unconfirmed():
    wrong = {"w": 2 * W0 + np.array([0.0, 0.0, 1e-3])}
    result = G.gradcheck(mixed_cubic, {"w": W0.copy()}, wrong)
    assert result.verdict == "failed"
    assert result.localization.faults[0].coordinates == [(2,)]
    assert "FAILED" in result.report()


def test_the_verdicts_of_a_smooth_function():
    def f(p):
        return float(np.sum(np.sin(p["w"])))

    params = {"w": np.linspace(-1.0, 2.0, 7)}
    good = {"w": np.cos(params["w"])}
    assert G.gradcheck(f, params, good).verdict == "passed"
    assert G.gradcheck(f, params, {"w": good["w"][:6]}).verdict == "failed"  # wrong shape
    assert set(G.VERDICTS) == {"passed", "failed", "unconfirmed"}


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"h": 0.0}, ValueError, "h"),
        ({"h": float("nan")}, ValueError, "h"),
        ({"h": "1e-5"}, TypeError, "h"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2**64}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"directions": 0}, ValueError, "directions"),
        ({"directions": True}, TypeError, "directions"),
        ({"scale": float("inf")}, ValueError, "scale"),
        ({"max_coordinates": 10**400}, ValueError, "max_coordinates"),
    ],
)
def test_bad_options_name_the_argument(kwargs, error, name):
    with pytest.raises(error, match=f"^{name}: "):
        G.gradcheck(mixed_cubic, {"w": W0.copy()}, {"w": 2 * W0}, **kwargs)
