"""The losses topic: derivations, the closed forms against torch and brute force, bad input,
and the sizing of the statistical claims.

Reference values come from elsewhere: by hand, from torch, from SciPy's Beta law, and from a
brute-force enumeration of box centres written here (not the package's per-axis law).
"""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from derivations import losses as L
from derivations.core import FAILED, PROVED
from verify import claims
from verify import losses as vl
from verify import montecarlo as mc
from verify.losses import wrong

SETTINGS = settings(max_examples=25, deadline=None)


@pytest.mark.parametrize("name", sorted(L.DERIVATIONS))
def test_every_step_is_proved(name):
    report = L.DERIVATIONS[name]().check()
    assert report.counts()[FAILED] == 0, str(report)
    assert all(s.status == PROVED for s in report.steps), str(report)


def test_the_derived_results_are_the_stated_ones():
    h, t = sp.symbols("h t", real=True)
    from derivations.functions import sigmoid

    assert sp.simplify(L.DERIVATIONS["losses.ova.gradient"]().result - (sigmoid(h) - t)) == 0
    a = sp.Symbol("alpha", positive=True)
    assert sp.simplify(L.DERIVATIONS["losses.mixup.variance"]().result - 1 / (4 * (2 * a + 1))) == 0


# --- one-versus-all ----------------------------------------------------------------------------
def test_ova_is_finite_and_exact_at_1000():
    # by hand: softplus(1000) = 1000 for each of the two non-labels, −log σ(−1000) = 1000
    loss, grad = L.ova_loss([[1000.0, -1000.0, 1000.0]], [1])
    assert loss == 3000.0
    assert grad.tolist() == [[1.0, -1.0, 1.0]]
    loss, grad = L.ova_loss([[-1000.0, 1000.0, -1000.0]], [1])
    assert loss == 0.0 and grad.tolist() == [[0.0, 0.0, 0.0]]


def test_ova_at_ties():
    loss, grad = L.ova_loss(np.zeros((2, 3)), [0, 2])
    assert loss == pytest.approx(3 * math.log(2), rel=1e-15)
    assert grad.tolist() == [[-0.25, 0.25, 0.25], [0.25, 0.25, -0.25]]


@SETTINGS
@given(
    st.integers(1, 5),
    st.integers(2, 6),
    st.floats(0.1, 1200),
    st.integers(0, 2**32 - 1),
)
def test_ova_equals_torch_bce_with_logits(n, m, scale, seed):
    rng = np.random.default_rng(seed)
    h = scale * rng.standard_normal((n, m))
    y = rng.integers(0, m, n)
    x = torch.tensor(h, requires_grad=True)
    target = F.one_hot(torch.tensor(y), m).double()
    ref = F.binary_cross_entropy_with_logits(x, target, reduction="sum") / n
    ref.backward()
    loss, grad = L.ova_loss(h, y)
    assert loss == pytest.approx(float(ref.detach()), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=0, atol=1e-14)


def test_ova_and_softmax_on_an_input_of_no_class():
    # all logits very negative: OVA says "none of the classes" (every σ small) and its
    # gradient pushes only the label up; softmax's probabilities are uniform and sum to 1
    h = np.full((1, 3), -6.0)
    p_ova = L.sigmoid_array(h)
    assert float(p_ova.max()) < 0.003
    _, g = L.ova_loss(h, [0])
    assert g[0, 0] < 0 and np.all(g[0, 1:] > 0) and abs(g.sum()) > 0.99
    p_soft = torch.softmax(torch.tensor(h), 1).numpy()
    np.testing.assert_allclose(p_soft, 1 / 3, rtol=1e-15)


@pytest.mark.parametrize(
    ("h", "y", "error", "match"),
    [
        (np.zeros((2, 3)), [0, 3], ValueError, r"^y: 0-based labels in \[0, 2\]"),
        (np.zeros((2, 3)), [-1, 0], ValueError, r"^y: 0-based labels"),
        (np.zeros((2, 3)), [0], ValueError, r"^y: one label per row"),
        (np.zeros(3), [0], ValueError, r"^h: "),
        (np.zeros((2, 1)), [0, 0], ValueError, r"^h: logits of shape \(N, M\)"),
        ([[0.0, float("nan")]], [0], ValueError, r"^h: finite entries"),
        (np.zeros((1, 2)), [0.0], TypeError, r"^y: "),
        (np.zeros((1, 2)), [True], TypeError, r"^y: "),
    ],
)
def test_ova_refuses_bad_input(h, y, error, match):
    with pytest.raises(error, match=match):
        L.ova_loss(h, np.asarray(y) if not isinstance(y, list) or y else y)


# --- mixup -------------------------------------------------------------------------------------
@SETTINGS
@given(st.floats(0, 1), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_mixup_loss_equals_torch_soft_cross_entropy(lam, m, seed):
    rng = np.random.default_rng(seed)
    h = 3 * rng.standard_normal((4, m))
    y1, y2 = rng.integers(0, m, 4), rng.integers(0, m, 4)
    x = torch.tensor(h, requires_grad=True)
    soft = (
        lam * F.one_hot(torch.tensor(y1), m).double()
        + (1 - lam) * F.one_hot(torch.tensor(y2), m).double()
    )
    ref = F.cross_entropy(x, soft)
    ref.backward()
    loss, grad = L.mixup_loss(h, y1, y2, lam)
    assert loss == pytest.approx(float(ref.detach()), rel=1e-12, abs=1e-13)
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=0, atol=1e-14)
    # and the mixed images and targets against torch.lerp
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    mixed, target = L.mixup(x1, x2, y1, y2, lam, m)
    ref_x = torch.lerp(torch.tensor(x2), torch.tensor(x1), lam).numpy()
    np.testing.assert_allclose(mixed, ref_x, rtol=0, atol=1e-14)
    np.testing.assert_allclose(target, soft.numpy(), rtol=0, atol=1e-15)


def test_mixup_by_hand():
    x, y = L.mixup([[1.0, 2.0]], [[3.0, 6.0]], [0], [2], 0.25, 3)
    assert x.tolist() == [[2.5, 5.0]] and y.tolist() == [[0.25, 0.0, 0.75]]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: L.mixup([[0.0]], [[1.0]], [0], [1], 1.5, 2), r"^lam: "),
        (lambda: L.mixup([[0.0]], [[1.0]], [0], [1], -0.1, 2), r"^lam: "),
        (lambda: L.mixup([[0.0]], [[1.0, 2.0]], [0], [1], 0.5, 2), r"^x1 of shape"),
        (lambda: L.mixup([[0.0]], [[1.0]], [0], [2], 0.5, 2), r"^y2: 0-based labels"),
        (lambda: L.mixup([[0.0]], [[1.0]], [0, 1], [1], 0.5, 2), r"^y1: one label per row"),
        (lambda: L.mixup_loss([[0.0, 1.0]], [0], [1], 2.0), r"^lam: "),
        (lambda: L.sample_lambda(0.0, 4), r"^alpha: "),
        (lambda: L.sample_lambda(-1.0, 4), r"^alpha: "),
        (lambda: L.adjusted_mean(0.0, 4, 4), r"^alpha: "),
        (lambda: L.cutmix(np.zeros((3, 4)), np.zeros((4, 3)), 0.5, 0, 0), r"^x_a of shape"),
        (lambda: L.box(0.5, 6, 9, 6, 0), r"^cy: "),
        (lambda: L.box(0.5, 6, 9, 0, -1), r"^cx: "),
        (lambda: L.box(1.2, 6, 9, 0, 0), r"^lam: "),
        (lambda: L.weight_law(0.5, 0, 9), r"^height: "),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_sample_lambda_is_numpys_beta():
    a = L.sample_lambda(0.4, 5, seed=3)
    np.testing.assert_array_equal(a, np.random.default_rng(3).beta(0.4, 0.4, 5))


def test_the_variance_claim_detects_a_one_percent_error_and_every_wrong_answer():
    z_detect = mc.critical_z(vl.SUB_LEVEL) + stats.norm.isf(1e-6)
    sds = {}
    for a in vl.ALPHAS:
        var = 1 / (4 * (2 * a + 1))  # by hand from B(α + k, α)/B(α, α)
        fourth = 3 / (16 * (2 * a + 1) * (2 * a + 3))  # E(λ − ½)⁴ of a symmetric Beta
        assert stats.beta(a, a).var() == pytest.approx(var, rel=1e-12)
        assert stats.beta(a, a).expect(lambda x: (x - 0.5) ** 4) == pytest.approx(fourth, 1e-8)
        cv = math.sqrt(fourth / var**2 - 1)
        assert mc.required_draws(cv, 0.01, level=vl.SUB_LEVEL) <= vl.VARIANCE_DRAWS[a]
        sds[a] = math.sqrt(fourth - var**2) / math.sqrt(vl.VARIANCE_DRAWS[a])
    alpha = sp.Symbol("alpha")
    for label, cand in wrong.WRONG_ANSWERS["losses.mixup.lambda_variance"].items():
        away = max(
            abs(float(cand.subs(alpha, a)) - 1 / (4 * (2 * a + 1))) / sds[a] for a in vl.ALPHAS
        )
        assert away >= z_detect, label


def test_the_law_claim_has_its_level_and_power():
    eps = vl.dkw_epsilon(vl.LAW_DRAWS)
    # the exact Kolmogorov–Smirnov law says the DKW bound is conservative
    assert stats.kstwo(vl.LAW_DRAWS).sf(eps) <= vl.SUB_LEVEL
    lam, alpha = sp.symbols("lam alpha")
    from verify.kinds import as_function

    for label, cand in wrong.WRONG_ANSWERS["losses.mixup.lambda_law"].items():
        f = as_function(cand, ("lam", "alpha"), vectorized=True)
        gaps = []
        for a in vl.ALPHAS:
            cdf = vl.candidate_cdf(f, a)
            truth = stats.beta(a, a).cdf(vl.LAW_GRID)
            gaps.append(float(np.max(np.where(np.isfinite(cdf), np.abs(cdf - truth), np.inf))))
        # rejected unless sup|F_n − F| exceeds gap − eps ≥ eps: probability ≤ 5e-7 (DKW)
        assert max(gaps) >= 2 * eps, (label, gaps)
    # and the derived density's CDF is SciPy's
    right = as_function(
        claims.get("losses.mixup.lambda_law").reference(), ("lam", "alpha"), vectorized=True
    )
    for a in vl.ALPHAS:
        np.testing.assert_allclose(
            vl.candidate_cdf(right, a), stats.beta(a, a).cdf(vl.LAW_GRID), atol=1e-8
        )


# --- CutMix ------------------------------------------------------------------------------------
def _brute_weights(lam, rows, cols):
    """Every centre's weight, by the reference's arithmetic written out again here."""
    r = math.sqrt(1 - lam)
    hh, hw = int(rows * r) // 2, int(cols * r) // 2
    out = []
    for cy in range(rows):
        for cx in range(cols):
            y1, y2 = max(cy - hh, 0), min(cy + hh, rows)
            x1, x2 = max(cx - hw, 0), min(cx + hw, cols)
            out.append(1 - Fraction((y2 - y1) * (x2 - x1), rows * cols))
    return out


def test_cutmix_by_hand():
    # 4×5 image, λ = 0.5: int(4·0.707) = 2, int(5·0.707) = 3, halves 1 and 1; centre (0, 4)
    # gives rows [0, 1) and columns [3, 5): 2 pixels of 20
    mixed, weight = L.cutmix(np.zeros((4, 5)), np.ones((4, 5)), 0.5, 0, 4)
    assert weight == 0.9
    assert mixed.sum() == 2 and mixed[0, 3] == mixed[0, 4] == 1
    assert L.box(0.3, 6, 9, 0, 8) == (0, 2, 5, 9)


@SETTINGS
@given(st.floats(0, 1), st.integers(1, 12), st.integers(1, 12))
def test_weight_law_and_mean_against_brute_force(lam, rows, cols):
    weights = _brute_weights(lam, rows, cols)
    law = {}
    for w in weights:
        law[w] = law.get(w, 0) + Fraction(1, len(weights))
    assert L.weight_law(lam, rows, cols) == law
    assert L.mean_weight(lam, rows, cols) == sum(weights) / len(weights)


def test_the_unadjusted_weight_is_biased_and_the_continuum_limit_is_close_on_large_images():
    # the recomputed weight exceeds λ on average for every λ < 1 (clipping loses area)
    for lam in (0.0, 0.2, 0.5, 0.8, 0.95):
        assert float(L.mean_weight(lam, 224, 224)) > lam
        assert abs(float(L.mean_weight(lam, 224, 224)) - L.continuous_mean_weight(lam)) < 0.01
    assert L.continuous_mean_weight(0.0) == 7 / 16  # (1 − 1/4)² kept of the full box


@pytest.mark.parametrize(("alpha", "rows", "cols"), [(1.0, 6, 9), (0.4, 6, 9), (2.5, 5, 7)])
def test_adjusted_mean_against_quadrature_of_brute_force(alpha, rows, cols):
    breaks = sorted(
        {1 - (m / cols) ** 2 for m in range(cols + 1)}
        | {1 - (m / rows) ** 2 for m in range(rows + 1)}
    )
    pdf = stats.beta(alpha, alpha).pdf
    total = 0.0
    for lo, hi in zip(breaks, breaks[1:], strict=False):
        mid = (lo + hi) / 2
        inner = float(sum(_brute_weights(mid, rows, cols))) / (rows * cols)
        total += integrate.quad(pdf, lo, hi)[0] * inner
    assert float(L.adjusted_mean(alpha, rows, cols)) == pytest.approx(total, abs=1e-9)


def test_the_mean_settings_hit_the_truncation_kinks_exactly():
    hits = [
        (lam, s)
        for lam, rows, cols in vl.MEAN_SETTINGS
        for s in (rows, cols)
        if 0 < lam < 1 and (s * math.sqrt(1 - lam)).is_integer()
    ]
    assert len(hits) >= 2, hits


def test_the_adjusted_mean_claims_detect_one_percent_and_their_wrong_answers():
    z_detect = mc.critical_z(1e-6) + stats.norm.isf(1e-6)
    for name, (a, rows, cols, n) in vl.ADJUSTED.items():
        est = mc.estimate(vl.ref.weight_sampler(a, rows, cols), 20_000, seed=7)
        sd = est.std_error * math.sqrt(est.n)
        assert mc.required_draws(1.1 * sd / est.mean) <= n
        truth = float(L.adjusted_mean(a, rows, cols))
        for label, cand in wrong.WRONG_ANSWERS[f"losses.cutmix.adjusted_mean.{name}"].items():
            assert abs(cand - truth) >= 1.1 * z_detect * sd / math.sqrt(n), (name, label)


def test_every_claim_passes_at_another_seed():
    for c in claims.select("losses."):
        e = c.check(seed=3)
        assert e.passed, e.summary()


def test_check_answer_explains_the_common_mistakes():
    from verify.answers import check_answer

    assert "unadjusted" in check_answer("losses.cutmix.adjusted_mean.cifar", "0.5").message
    assert "sign" in check_answer("losses.ova.gradient", "t - sigmoid(h)").message
    assert check_answer("losses.ova.gradient", "sigmoid(h) - t").verdict == "equivalent"
    assert "2α + 1" in check_answer("losses.mixup.lambda_variance", "1/(4*(alpha + 1))").message


def test_adjusted_law_against_brute_force_over_lambda_intervals():
    rows, cols = 6, 9
    breaks = sorted(
        {1 - (m / cols) ** 2 for m in range(cols + 1)}
        | {1 - (m / rows) ** 2 for m in range(rows + 1)}
    )
    law = {}
    for lo, hi in zip(breaks, breaks[1:], strict=False):  # λ ~ U(0, 1): probability hi − lo
        weights = _brute_weights((lo + hi) / 2, rows, cols)
        for w in weights:
            law[float(w)] = law.get(float(w), 0.0) + (hi - lo) / len(weights)
    exact = {float(w): float(p) for w, p in L.adjusted_law(1, rows, cols).items()}
    assert exact.keys() == law.keys()
    for w, p in law.items():
        assert exact[w] == pytest.approx(p, abs=1e-12)
