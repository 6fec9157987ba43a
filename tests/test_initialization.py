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


def test_g_test_matches_scipy():
    probs = {1: 0.2, 2: 0.3, 3: 0.5}
    observed = np.array([1] * 30 + [2] * 25 + [3] * 45)
    p, how = vi.frequency_test(probs, observed)
    g = stats.power_divergence([30, 25, 45], [20, 30, 50], lambda_="log-likelihood")
    assert how.startswith("G =") and p == pytest.approx(g.pvalue, rel=1e-12)


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
