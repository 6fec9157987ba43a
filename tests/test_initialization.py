"""Initialization: derivations, closed forms, the overflow prediction, claims, bad input."""

import math

import numpy as np
import pytest
import sympy as sp
import torch
from scipy import integrate, special, stats

from derivations import initialization as init
from derivations.core import FAILED, Derivation, Step
from verify import claims
from verify import initialization as vi


@pytest.mark.parametrize("name", sorted(init.derivations()))
def test_every_derivation_checks(name):
    report = init.derivations()[name].check()
    assert report.ok and report.counts()[FAILED] == 0, str(report)


def test_derived_results_are_the_textbook_ones():
    d, s, n_in, n_out = init.d, init.s, init.n_in, init.n_out
    assert sp.simplify(init.relu_by_gaussian_integral().result - s**2 / 2) == 0
    assert sp.simplify(init.kaiming_sigma().result - sp.sqrt(2 / d)) == 0
    assert sp.simplify(init.xavier_bound().result - sp.sqrt(6 / (n_in + n_out))) == 0
    assert init.variance_propagation().result == 2 * init.sigma**2 * init.q  # d = 2


def test_a_wrong_relu_step_is_caught():
    good = init.relu_by_symmetry()
    wrong = Derivation(
        "no half",
        good.symbols,
        [*good.steps[:-1], Step(2 * good.steps[-1].expr, "slip")],
        domain=good.domain,
    )
    assert wrong.check().first_failure.index == len(good.steps) - 1


def test_closed_forms_by_hand():
    assert init.xavier_uniform_bound(100, 50) == pytest.approx(0.2, rel=1e-15)  # sqrt(6/150)
    assert init.kaiming_normal_std(50) == pytest.approx(0.2, rel=1e-15)  # sqrt(2/50)


def test_kaiming_std_is_what_torch_computes():
    w = torch.empty(10, 72)
    gain = torch.nn.init.calculate_gain("relu")
    fan_in = torch.nn.init._calculate_fan_in_and_fan_out(w)[0]
    assert init.kaiming_normal_std(72) == pytest.approx(gain / math.sqrt(fan_in), rel=1e-15)


def test_tanh_map_against_adaptive_quadrature():
    for q in (0.05, 1.0, 7.0, 300.0):
        reference = integrate.quad(
            lambda z, q=q: np.tanh(math.sqrt(q) * z) ** 2 * stats.norm.pdf(z), -40, 40, limit=400
        )[0]
        got = init.variance_map(q, activation="tanh", fan_in=10, weight_var=0.1)
        assert got == pytest.approx(reference, rel=1e-10)


def test_xavier_and_scaled_normal_give_the_same_map_on_square_layers():
    # 2/(d + d) = 1/d: the weights differ in law, not in variance.
    np.testing.assert_allclose(
        init.second_moments("tanh, Xavier uniform", 512, 6),
        init.second_moments("tanh, normal / sqrt(d)", 512, 6),
        rtol=1e-12,
    )


def test_expected_rms_against_scipy_chi():
    assert init.expected_rms(512) == pytest.approx(stats.chi(512).mean() ** 2 / math.sqrt(512))


def test_overflow_distribution_against_direct_sampling_of_the_model():
    # The same model sampled instead of convolved: sum of 28 log χ²_512 (input norm + 27
    # layers) and the largest of 512 |z| by inverse transform. P(layer 28) is the chance
    # that layer 28 already overflows; 200,000 samples give a standard error below 0.001.
    rng = np.random.default_rng(7)
    n = 200_000
    log_norm2 = np.log(rng.chisquare(512, (n, 28))).sum(axis=1)
    m = special.ndtri((1 + rng.random(n) ** (1 / 512)) / 2)
    threshold = math.log(float(np.finfo(np.float32).max)) + math.log1p(2.0**-25)
    p28 = np.mean(log_norm2 / 2 + np.log(m) > threshold)
    probs = init.overflow_distribution(512)
    assert set(probs) == {28, 29}
    assert probs[28] == pytest.approx(p28, abs=6 * math.sqrt(p28 * (1 - p28) / n))
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-12)


def test_overflow_prediction_at_another_width_matches_torch():
    # Width 64: growth sqrt(64) = 8 per layer, the first overflow spreads over ~3 layers.
    probs = init.overflow_distribution(64)
    observed = vi.first_overflow(3, seeds=300, width=64)
    p, _ = vi.frequency_test(probs, observed)
    assert p > 1e-6
    assert vi.frequency_test({k + 1 if k else k: v for k, v in probs.items()}, observed)[0] < 1e-6


def test_overflow_layer_is_none_when_float64_never_overflows():
    assert init.overflow_layer(512, "float64") is None
    assert (
        init.overflow_layer(512, "float64", depth=300)
        == max((p, k) for k, p in init.overflow_distribution(512, 300, "float64").items())[1]
    )


def test_frequency_test_is_bonferroni_over_exact_binomial_tests():
    # Layers 1 and 2 are tested (layer 3, the most likely, is what they leave): by hand,
    # 2 * min(binomtest(30, 100, 0.2), binomtest(25, 100, 0.3)).
    probs = {1: 0.2, 2: 0.3, 3: 0.5}
    observed = np.array([1] * 30 + [2] * 25 + [3] * 45)
    p, how = vi.frequency_test(probs, observed)
    expected = 2 * min(stats.binomtest(30, 100, 0.2).pvalue, stats.binomtest(25, 100, 0.3).pvalue)
    assert "Bonferroni over 2" in how and p == pytest.approx(expected, rel=1e-12)


def test_every_initialization_claim_passes():
    failed = [e.summary() for e in claims.run("initialization") if not e.passed]
    assert not failed, failed


def test_one_thread_restores_the_pool():
    before = torch.get_num_threads()
    with vi.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: init.xavier_uniform_bound(0, 3), "fan_in"),
        (lambda: init.xavier_uniform_bound(3, -2), "fan_out"),
        (lambda: init.second_moments("ReLU, Kaiming normal", 512, 10**6), "depth"),
        (lambda: init.overflow_distribution(512, 10**6), "depth"),
        (lambda: init.overflow_distribution(10**400), "width"),
        (lambda: init.variance_map(-1.0, activation="relu", fan_in=4, weight_var=1.0), "q_prev"),
        (
            lambda: init.variance_map(1.0, activation="relu", fan_in=4, weight_var=-0.5),
            "weight_var",
        ),
        (lambda: init.variance_map(1.0, activation="relu", fan_in=0, weight_var=1.0), "fan_in"),
        (lambda: init.variance_map(1.0, activation="elu", fan_in=4, weight_var=1.0), "activation"),
        (lambda: init.second_moments("tanh", 512, 3), "scheme"),
        (lambda: init.second_moments("ReLU, Kaiming normal", 0, 3), "width"),
        (lambda: init.overflow_distribution(-512), "width"),
        (lambda: init.overflow_distribution(512, 0), "depth"),
        (lambda: init.overflow_layer(512, "int8"), "dtype"),
        (lambda: vi.first_overflow(0, seeds=0), "seeds"),
        (lambda: vi.network_draw("Glorot", torch.Generator()), "family"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_a_non_number_variance_is_a_type_error():
    with pytest.raises(TypeError, match="weight_var"):
        init.variance_map(1.0, activation="tanh", fan_in=4, weight_var="1/512")
    for bad in (True, 2.5):
        with pytest.raises(TypeError, match="^fan_in: a positive integer"):
            init.kaiming_normal_std(bad)


def test_a_deep_prediction_stops_once_the_first_overflow_is_certain():
    # float64 overflows near layer 228 for width 512: the remaining 772 layers of the
    # convolution are skipped, so this takes a fraction of a second, and no mass is lost.
    probs = init.overflow_distribution(512, 1000, "float64")
    assert None not in probs and 220 < max(probs, key=probs.get) < 235
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-10)


# --- issue 10 -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: init.xavier_uniform_bound(10**400, 10), ValueError, "fan_in"),
        (lambda: init.xavier_uniform_bound(10, 10**400), ValueError, "fan_out"),
        (lambda: init.kaiming_normal_std(10**400), ValueError, "fan_in"),
        (lambda: init.kaiming_normal_std(float("nan")), TypeError, "fan_in"),
        (lambda: init.kaiming_normal_std(float("inf")), TypeError, "fan_in"),
        (lambda: init.kaiming_normal_std(8 + 0j), TypeError, "fan_in"),
        (lambda: init.xavier_uniform_bound(True, 10), TypeError, "fan_in"),
        (lambda: init.xavier_uniform_bound(10, float("nan")), TypeError, "fan_out"),
        (lambda: init.xavier_uniform_bound(10, 3j), TypeError, "fan_out"),
        (lambda: init.post_activation_moments("relu", 100), ValueError, "scheme"),
        (lambda: init.post_activation_moments("tanh", 0), ValueError, "layer"),
        (lambda: init.post_activation_moments("tanh", 10**400), ValueError, "layer"),
        (lambda: init.post_activation_moments("tanh", 3, width=0), ValueError, "width"),
        (lambda: init.post_activation_moments("tanh", 2.0), TypeError, "layer"),
        (lambda: init.log_std_moments("scaled", 100, width=2), ValueError, "width"),
        (lambda: init.log_std_moments("scaled", True), TypeError, "layer"),
        (lambda: init.ratio_moments("kaiming_relu", float("inf")), TypeError, "width"),
        (lambda: init.finite_width_second_moments("tanh", 32, 10**5), ValueError, "depth"),
        (lambda: init.tanh_map_terms(float("nan")), ValueError, "q"),
    ],
)
def test_bad_input_is_refused_by_name(call, error, name):
    with pytest.raises(error, match=f"^{name}:"):
        call()


def test_the_two_rms_estimators_have_different_limits():
    # By hand: the pooled RMS is sqrt(E[‖ax‖²]/d) = sqrt(d·d/d); the per-pair mean is
    # E[χ_d]²/sqrt(d) with scipy's chi. They differ by 0.022, 10 claim standard errors.
    pooled = claims.get("initialization.unit_normal.rms_pooled").reference()
    per_pair = claims.get("initialization.unit_normal.rms_per_pair").reference()
    assert pooled == pytest.approx(math.sqrt(512), rel=1e-15)
    assert per_pair == pytest.approx(stats.chi(512).mean() ** 2 / math.sqrt(512), rel=1e-12)
    ev = claims.get("initialization.unit_normal.rms_per_pair").check()
    assert (pooled - per_pair) > 9 * ev.tolerance / mc_critical_t()


def mc_critical_t():
    return stats.t.isf(0.5e-6, vi.moments.RMS_MATRICES - 3)


def test_controlled_mean_matches_ordinary_least_squares():
    rng = np.random.default_rng(3)
    c = rng.normal(size=(300, 2))
    v = 2.5 + c @ [4.0, -1.5] + rng.normal(size=300) * 0.2
    mean, se, _ = vi.moments.controlled_mean(v, c)
    x = np.column_stack([np.ones(300), c])
    fit = stats.linregress(c[:, 0], v - 2.5 - c[:, 1] * -1.5)  # one control: a 1-D check
    assert mean == pytest.approx(np.linalg.lstsq(x, v, rcond=None)[0][0], rel=1e-12)
    assert 0.2 / math.sqrt(300) * 0.8 < se < 0.2 / math.sqrt(300) * 1.25
    assert fit.slope == pytest.approx(4.0, abs=0.05)


def test_torch_scales_are_the_formulas_torch_documents():
    # torch's docs: kaiming std = gain / sqrt(fan_in), gain sqrt(2) for ReLU; Xavier bound
    # gain · sqrt(6 / (fan_in + fan_out)). Fans 100 and 30: none is 1 or equal to the other.
    kaiming = vi.moments.torch_scale(
        lambda t, g: torch.nn.init.kaiming_normal_(t, nonlinearity="relu", generator=g),
        lambda t, g: t.normal_(0, 1, generator=g),
        30,
        100,
        5,
    )
    assert kaiming == pytest.approx(torch.nn.init.calculate_gain("relu") / 10, rel=1e-7)
    assert init.kaiming_normal_std(100) == pytest.approx(kaiming, rel=1e-7)
    xavier = vi.moments.torch_scale(
        lambda t, g: torch.nn.init.xavier_uniform_(t, generator=g),
        lambda t, g: t.uniform_(-1, 1, generator=g),
        30,
        100,
        5,
    )
    assert init.xavier_uniform_bound(100, 30) == pytest.approx(xavier, rel=1e-7)
    for claim_id, wrong in (
        ("initialization.xavier_uniform.bound", lambda fi, fo: math.sqrt(6 / (fi + fo)) * 1.00001),
        ("initialization.kaiming_normal.scale", lambda fi: math.sqrt(2 / fi) * 0.99999),
    ):
        ev = claims.get(claim_id).check(wrong, seed=11)
        assert not ev.passed and ev.witness is not None


def test_heat_equation_derivatives_against_finite_differences():
    for q in (0.3, 1.7):
        h = 1e-4
        g = [init.tanh_map_terms(q + k * h)["g"] for k in (-1, 0, 1)]
        t = init.tanh_map_terms(q)
        assert t["g1"] == pytest.approx((g[2] - g[0]) / (2 * h), rel=1e-7)
        assert t["g2"] == pytest.approx((g[2] - 2 * g[1] + g[0]) / h**2, rel=1e-4)


def test_finite_width_layer_two_against_the_exact_integral():
    # With normal weights E[u_2²] = E[g(Q_1)] exactly, Q_1 = χ²_d/d: a 1-D integral (scipy's
    # chi-square density). The first-order correction must carry the gap up to O(1/d²): its
    # relative error falls like 1/d.
    errors = []
    for d in (32, 128):
        exact = integrate.quad(
            lambda v, d=d: init.SECOND_MOMENT["tanh"](v / d) * stats.chi2.pdf(v, d),
            0,
            d * 6,
            limit=400,
        )[0]
        infinite = init.second_moments("tanh, normal / sqrt(d)", d, 2)[1]
        first = init.finite_width_second_moments("tanh", d, 2)[1]
        assert exact < infinite  # the finite network sits below the map
        errors.append(abs(first - exact) / abs(infinite - exact))
    assert errors[0] < 0.1 and errors[1] < errors[0] / 2.5


def test_post_activation_moments_against_quadrature():
    for scheme, f in (("kaiming_relu", lambda u: np.maximum(u, 0)), ("tanh", np.tanh)):
        q = init.second_moments(init.SHORT[scheme][0], 512, 7)[-1]
        m1, m2 = (
            integrate.quad(
                lambda z, f=f, q=q, k=k: f(math.sqrt(q) * z) ** k * stats.norm.pdf(z), -30, 30
            )[0]
            for k in (1, 2)
        )
        mean, std = init.post_activation_moments(scheme, 7)
        assert mean == pytest.approx(m1, abs=1e-12)
        assert std == pytest.approx(math.sqrt(m2 - m1**2), rel=1e-9)
    assert init.post_activation_moments("xavier_relu", 5)[1] == pytest.approx(
        math.sqrt(2.0**-4 * (0.5 - 1 / (2 * math.pi))), rel=1e-12
    )


def test_log_std_and_ratio_against_sampling_the_scalar_model():
    # The per-layer factors drawn directly with NumPy (ReLU: 2/d Σ ReLU(z)², 100 layers is
    # too slow here, so 30 layers of width 96), and the last layer's sample std and mean.
    rng = np.random.default_rng(1)
    d, layers, n = 96, 30, 20_000
    log_s = np.log(rng.chisquare(d, n) / d)
    for _ in range(layers - 1):
        z = rng.standard_normal((n, d))
        log_s += np.log(2 / d * np.square(np.maximum(z, 0)).sum(axis=1))
    last = np.maximum(rng.standard_normal((n, d)), 0)
    log_std = 0.5 * (log_s + math.log(2)) + np.log(last.std(axis=1, ddof=1))
    mean, sd = init.log_std_moments("kaiming_relu", layers, width=d)
    assert mean == pytest.approx(log_std.mean(), abs=6 * log_std.std() / math.sqrt(n))
    assert sd == pytest.approx(log_std.std(), rel=0.03)
    ratio = last.mean(axis=1) / last.std(axis=1, ddof=1)
    r_mean, r_sd = init.ratio_moments("kaiming_relu", d)
    assert r_mean == pytest.approx(ratio.mean(), abs=6 * ratio.std() / math.sqrt(n))
    assert r_sd == pytest.approx(ratio.std(), rel=0.03)
    # the map's own ratio (no 1/d bias) is 6 standard errors off: the bias is needed
    naive = (1 / math.sqrt(2 * math.pi)) / math.sqrt(0.5 - 1 / (2 * math.pi))
    assert abs(naive - ratio.mean()) > 4 * ratio.std() / math.sqrt(n)
