"""The float32 overflow experiment: the course's a @ x, its first inf and first nan, the
statistics of its claims, and bad input. (The rest of the initialization topic is tested in
tests/test_initialization.py.)"""

import math
import time

import numpy as np
import pytest
import torch
from scipy import stats

from derivations import initialization as init
from derivations.initialization import overflow as ov
from verify.claims import get
from verify.initialization import overflow as vo

F32 = float(np.finfo(np.float32).max)


# --- what the course's code computes --------------------------------------------------------
def _near_overflow(gen, scale):
    a = torch.randn(512, 512, generator=gen)
    u = torch.randn(512, generator=gen, dtype=torch.float64)
    exact = (a.double() @ u).abs().max().item()
    return a, (u * (scale * F32 / exact)).float()


def test_the_shape_of_x_does_not_change_the_numbers_but_a_batch_does():
    # x = torch.randn(512) and torch.randn(512, 1) reach the same kernel: identical outputs,
    # inf in the same places, right at the overflow threshold where the order of addition
    # decides. Eight networks through one bmm add in another order and overflow elsewhere.
    gen = torch.Generator().manual_seed(5)
    batch_differs = 0
    with vo.one_thread():
        for _ in range(40):
            a, x = _near_overflow(gen, 0.999999)
            as_vector, as_column = a @ x, (a @ x[:, None])[:, 0]
            assert torch.equal(as_vector, as_column)
            assert torch.equal(as_vector, torch.mv(a, x))
        for _ in range(20):
            pairs = [_near_overflow(gen, 1.0) for _ in range(8)]
            w = torch.stack([a for a, _ in pairs])
            x = torch.stack([x for _, x in pairs])[:, :, None]
            batched = torch.bmm(w, x)[:, :, 0]
            single = torch.stack([a @ u for a, u in pairs])
            batch_differs += not torch.equal(torch.isfinite(batched), torch.isfinite(single))
    assert batch_differs > 0


def test_std_of_an_inf_is_nan_so_an_std_check_fires_at_the_first_inf():
    x = torch.tensor([float("inf"), 1.0, -2.0])
    assert torch.isnan(x.std()) and not torch.isnan(x).any()


def test_an_inf_input_gives_nan_in_the_next_layer():
    # A row adds a_ij * inf for every inf entry j: signs differ between rows, so with two inf
    # entries some row adds +inf and -inf.
    gen = torch.Generator().manual_seed(2)
    a = torch.randn(512, 512, generator=gen)
    x = torch.randn(512, generator=gen)
    x[[3, 100]] = float("inf")
    assert torch.isnan(a @ x).any()


def test_inf_comes_first_at_28_and_with_nan_at_29():
    r = vo.law_networks(4, networks=300)
    first, nan = r["first"], r["nan"]
    assert set(first.tolist()) <= {28, 29} and 28 in first and 29 in first
    assert (nan == 29).all()  # nan first at layer 29 whichever layer held the first inf
    assert np.sum(first == 28) > 0 and (nan[first == 28] == 29).all()


def test_the_measured_nan_factor_is_what_this_machine_does():
    # A fresh measurement (bisection on the scale of x) against the stored quantiles: KS test
    # at 1e-6. It fails on a machine whose kernel adds in another order (say, AVX-512).
    gen = torch.Generator().manual_seed(99)
    factors = []
    with vo.one_thread():
        for _ in range(150):
            a = torch.randn(512, 512, generator=gen)
            u = torch.randn(512, generator=gen, dtype=torch.float64)
            u /= u.norm()
            lo, hi = math.log(F32) - 3, math.log(F32) + 3
            for _ in range(22):
                mid = (lo + hi) / 2
                lo, hi = (
                    (lo, mid) if torch.isnan(a @ (u * math.exp(mid)).float()).any() else (mid, hi)
                )
            factors.append(F32 / math.exp(hi))
    q = np.log(ov.KERNEL_NAN_FACTOR)
    cdf = lambda h: np.interp(np.log(h), q, np.linspace(0, 1, len(q)), left=0, right=1)  # noqa: E731
    assert stats.kstest(factors, cdf).pvalue > 1e-6


def test_the_measured_overshoot_is_rare_on_this_machine():
    # Share of layers whose kernel overflows although the exact largest row sum stays below
    # the largest float: the stored table says 1.47 %; 400 layers at 99.99 % of the largest
    # float (only an overshoot above 1.0001 overflows) must agree by a binomial test at 1e-6.
    gen = torch.Generator().manual_seed(8)
    hits = 0
    with vo.one_thread():
        for _ in range(400):
            a, x = _near_overflow(gen, 0.9999)
            hits += not torch.isfinite(a @ x).all().item()
    assert stats.binomtest(hits, 400, sum(p for p, _ in ov.KERNEL_OVERSHOOT)).pvalue > 1e-6


# --- the prediction -------------------------------------------------------------------------
def test_the_overshoot_moves_the_runner_up_by_under_a_tenth_of_a_point():
    with_it, without = init.overflow_distribution(), init.overflow_distribution(overshoot=False)
    assert 0 < with_it[28] - without[28] < 0.001


def test_the_prediction_against_direct_sampling_of_its_model():
    # P(layer 28 overflows) = P(‖u_27‖ G > F): ‖u_27‖² a product of 28 χ²_512, G the largest
    # of 512 |N(0,1)| times the overshoot; 400,000 samples give a standard error of 0.0005.
    rng = np.random.default_rng(1)
    n = 400_000
    log_norm = np.log(rng.chisquare(512, (n, 28))).sum(axis=1) / 2
    u = rng.random(n)
    m = np.sqrt(stats.chi2.ppf(u ** (1 / 512), 1))  # largest of 512 |N(0,1)| by inversion
    factor = np.ones(n)
    pick = rng.random(n)
    edge = 0.0
    for p, f in ov.KERNEL_OVERSHOOT:
        factor[(pick >= edge) & (pick < edge + p)] = f
        edge += p
    share = np.mean(log_norm + np.log(m * factor) > math.log(F32))
    assert abs(share - init.overflow_distribution()[28]) < 5 * math.sqrt(share * (1 - share) / n)


def test_the_layer_claims_agree_and_state_their_indexing():
    probs = init.overflow_distribution()
    assert init.overflow_layer(512) == max(probs, key=probs.get) == 29
    assert ov.nan_layer() == 29 and ov.nan_distribution()[29] > 1 - 1e-5
    assert ov.nan_bound_gap() < 1e-12
    for claim_id in ("initialization.overflow.layer", "initialization.overflow.nan_layer"):
        assert get(claim_id).near_miss(28) == "that is the 0-based loop index of layer 29"
        assert "counted from 1" in get(claim_id).statement


def test_nothing_overflows_before_the_law_networks_start():
    cdf = ov._overflow_cdf(512, 40, "float32", 1.0, "inf", True)
    assert cdf[vo.START - 2] < 1e-100  # P(first ≤ 27)


# --- the statistics of the distribution claim -----------------------------------------------
def _acceptance(n, p0, level=1e-6):
    ks = np.arange(n + 1)
    pmf = stats.binom.pmf(ks, n, p0)
    # two-sided exact binomial test as scipy defines it: outcomes no more likely than k
    pvals = np.array([pmf[pmf <= pmf[k] * (1 + 1e-7)].sum() for k in ks])
    return ks[pvals > level].min(), ks[pvals > level].max()


def test_the_distribution_test_rejects_a_three_point_shift_with_high_power():
    n, p0 = vo.LAW_NETWORKS, init.overflow_distribution()[28]
    lo, hi = _acceptance(n, p0)
    up = stats.binom.cdf(lo - 1, n, p0 + 0.03) + stats.binom.sf(hi, n, p0 + 0.03)
    down = stats.binom.cdf(lo - 1, n, p0 - 0.03) + stats.binom.sf(hi, n, p0 - 0.03)
    assert up > 0.93 and down > 0.98, (up, down)
    # the false-alarm rate of the same region stays below the level
    alarm = stats.binom.cdf(lo - 1, n, p0) + stats.binom.sf(hi, n, p0)
    assert alarm < 1e-6


@pytest.mark.parametrize("runner_up", [1e-11, 1e-3, 0.08, 0.141, 0.35])
def test_no_merging_lets_a_wrong_runner_up_through(runner_up):
    # An observed sample with the predicted shares: the old test (categories merged to five
    # expected counts) accepted every one of these runner-up probabilities.
    n, p = 5000, 0.111
    observed = np.array([28] * round(n * p) + [29] * (n - round(n * p)))
    assert vo.frequency_test({28: runner_up, 29: 1 - runner_up}, observed)[0] < 1e-6
    assert vo.frequency_test({28: p, 29: 1 - p}, observed)[0] > 0.5


def test_a_layer_outside_the_support_rejects():
    observed = np.array([29] * 99 + [31])
    p, how = vo.frequency_test({28: 0.1, 29: 0.9}, observed)
    assert p == 0 and "1 networks" in how


# --- bad input ------------------------------------------------------------------------------
def test_a_huge_depth_is_refused_at_once_and_the_largest_allowed_is_quick():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="depth"):
        init.overflow_layer(512, depth=10**5)
    assert time.perf_counter() - start < 1
    start = time.perf_counter()
    assert init.overflow_layer(512, "float64", depth=ov.MAX_DEPTH) is not None
    assert time.perf_counter() - start < 20  # stops once the first overflow is certain


@pytest.mark.parametrize(
    "call, name, error",
    [
        (lambda: ov.nan_distribution(64), "width", ValueError),
        (lambda: ov.nan_distribution(512, dtype="float16"), "dtype", ValueError),
        (lambda: ov.nan_distribution(512, 0), "depth", ValueError),
        (lambda: ov.nan_layer(512, "int8"), "dtype", ValueError),
        (lambda: ov.nan_bound_gap(10**4), "depth", ValueError),
        (lambda: init.overflow_distribution(overshoot=1), "overshoot", TypeError),
        (lambda: vo.raw_networks(0, networks=0), "networks", ValueError),
        (lambda: vo.raw_networks(-1), "seed", ValueError),
        (lambda: vo.law_networks(0, start=0), "start", ValueError),
        (lambda: vo.law_networks(0, networks=1.5), "networks", TypeError),
    ],
)
def test_bad_arguments_name_themselves(call, name, error):
    with pytest.raises(error, match=name):
        call()


def test_a_partly_followed_sample_counts_each_layer_where_it_was_observed():
    # 5,000 networks seen through layer 28, the first 1,000 to the end: 111 per 1,000 at 28.
    followed = [28] * 111 + [29] * 889
    rest = [28] * 444 + [-1] * 3556
    observed = np.array(followed + rest)
    ok = {28: 0.111, 29: 0.889}
    assert vo.frequency_test(ok, observed, through=28, followed=1000)[0] > 0.5
    # a layer after 28 is counted over the followed networks only: 0 of 1,000, not 0 of 5,000
    late = {28: 0.111, 29: 0.879, 30: 0.01}
    p_late = vo.frequency_test(late, observed, through=28, followed=1000)[0]
    assert p_late == pytest.approx(2 * stats.binomtest(0, 1000, 0.01).pvalue)
    # a network not followed must not hide an impossible layer
    bad = np.array(followed + [27] + rest[1:])
    assert vo.frequency_test(ok, bad, through=28, followed=1000)[0] == 0
