"""The Monte Carlo engine: calibration of its test, its power, its bookkeeping.

Expected values here come from textbook distributions (a unit exponential has mean 1,
skewness 2, excess kurtosis 6; a chi-square with k degrees of freedom has mean k and standard
deviation sqrt(2k)), never from the engine itself.
"""

import math

import pytest
import torch
from scipy.stats import binom

from verify import montecarlo as mc


def exponential(n, gen):
    return torch.empty(n, dtype=torch.float64, device=gen.device).exponential_(generator=gen)


def chi_square(k):
    def sampler(n, gen):
        z = torch.randn(n, k, generator=gen, dtype=torch.float64, device=gen.device)
        return (z * z).sum(dim=1)

    return sampler


def binomial_bounds(trials, p, outside=1e-6):
    """Counts a Binomial(trials, p) leaves with probability below ``outside`` (both sides)."""
    return binom.ppf(outside / 2, trials, p), binom.isf(outside / 2, trials, p)


@pytest.mark.parametrize(
    ("name", "sampler", "mean", "n"),
    [
        ("exponential", exponential, 1.0, 2000),
        # one degree of freedom: skewness sqrt(8), the most skewed squared Gaussian there is
        ("chi-square(1)", chi_square(1), 1.0, 2000),
    ],
)
def test_false_alarm_rate_matches_the_level(name, sampler, mean, n):
    # 500 independent estimates at level 5e-2: the number of false alarms is
    # Binomial(500, 0.05) if the test is calibrated; outside the 1e-6 bounds it is not
    level, seeds = 0.05, 500
    alarms = sum(
        not mc.compare(mc.estimate(sampler, n, seed=s, batch=n, level=level), mean)[0]
        for s in range(seeds)
    )
    lo, hi = binomial_bounds(seeds, level)
    assert lo <= alarms <= hi, f"{name}: {alarms} false alarms out of {seeds}, allowed {lo}..{hi}"


def test_p_values_are_uniform_under_the_null():
    # a stricter look than one level: the fraction of p-values below each of several levels
    seeds = 400
    p = [
        mc.compare(mc.estimate(exponential, 4000, seed=s, batch=4000), 1.0)[1] for s in range(seeds)
    ]
    for level in (0.01, 0.1, 0.5):
        lo, hi = binomial_bounds(seeds, level)
        below = sum(x <= level for x in p)
        assert lo <= below <= hi, (level, below)


@pytest.mark.parametrize("k", [5, 50])
def test_a_one_percent_error_is_detected_at_the_required_size(k):
    cv = math.sqrt(2 * k) / k
    n = mc.required_draws(cv, 0.01)
    for seed in range(5):
        est = mc.estimate(chi_square(k), n, seed=seed)
        assert mc.compare(est, k)[0], "the true mean must pass"
        assert not mc.compare(est, 1.01 * k)[0], "1% too high must be rejected"
        assert not mc.compare(est, 0.99 * k)[0], "1% too low must be rejected"


def test_required_draws_matches_the_normal_quantiles():
    # (z_{5e-7} + z_{1e-6})² for cv = 1, r = 1: 4.8916 + 4.7534 from normal tables
    assert mc.required_draws(1.0, 1.0) == math.ceil((4.8916 + 4.7534) ** 2)
    assert mc.required_draws(0.5, 0.01) == pytest.approx(
        0.25 * mc.required_draws(1.0, 0.01), rel=1e-5
    )


def test_estimate_reports_moments_of_one_draw():
    est = mc.estimate(exponential, 400_000, seed=3)
    assert est.n == 400_000 and est.seed == 3 and est.batches == math.ceil(400_000 / 65536)
    # the sample standard deviation of a unit exponential is 1
    assert est.std_error == pytest.approx(1 / math.sqrt(est.n), rel=0.01)
    assert est.skewness == pytest.approx(2.0, abs=0.1)
    assert est.kurtosis == pytest.approx(6.0, abs=1.0)
    lo, hi = est.interval
    assert hi - lo == pytest.approx(2 * mc.critical_z(1e-6) * est.std_error)
    # seven batches: the batch-means error is a rough (6 degrees of freedom) second opinion
    assert 0.3 < est.batch_std_error / est.std_error < 2.0


def test_batch_means_agree_with_the_draw_by_draw_error():
    est = mc.estimate(chi_square(3), 256 * 400, seed=0, batch=400)
    # 256 batch means: their standard error is within ~10% of the direct one (chi, 255 dof)
    assert est.batch_std_error / est.std_error == pytest.approx(1.0, abs=0.15)


def test_the_same_seed_gives_the_same_estimate_and_another_seed_does_not():
    a = mc.estimate(exponential, 5000, seed=7)
    b = mc.estimate(exponential, 5000, seed=7)
    c = mc.estimate(exponential, 5000, seed=8)
    assert a.mean == b.mean and a.std_error == b.std_error
    assert a.mean != c.mean


def test_sequential_stops_at_the_width_or_the_budget():
    est = mc.sequential(exponential, rel_width=0.02, budget=10**7, batch=8192)
    assert est.details["stopped"] == "width" and est.rel_half_width <= 0.02
    # the width needs about (4.89/0.02)² ≈ 60,000 draws; one batch more at most
    assert est.n <= 60_000 + 2 * 8192
    short = mc.sequential(exponential, rel_width=1e-4, budget=20_000, batch=8192)
    assert short.details["stopped"] == "budget" and short.n == 20_000


def test_evidence_carries_the_test():
    est = mc.estimate(exponential, 10**5, seed=2)
    good = mc.evidence("demo.mc", est, 1.0)
    bad = mc.evidence("demo.mc", est, 1.1)
    assert good.passed and not bad.passed
    assert good.method == "monte-carlo" and good.n == 10**5 and good.seed == 2
    assert good.interval == est.interval and 0 < bad.p_value < 1e-6 < good.p_value


def test_no_progress_output_unless_asked(capsys):
    mc.estimate(exponential, 1000, batch=100)
    assert capsys.readouterr().err == ""
    mc.estimate(exponential, 1000, batch=100, progress=True)
    assert capsys.readouterr().err != ""


def test_tail_error_is_small_for_the_sizes_used():
    est = mc.estimate(chi_square(1), 10**4, seed=0)
    assert est.tail_error < 1.0  # the level is right within a factor 2 even in this worst case
    assert mc.estimate(chi_square(1), 10**5, seed=0).tail_error < 0.1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 1}, "n: an integer >= 2"),
        ({"n": 10, "seed": -1}, "seed: an integer with 0 <= seed < 2"),
        ({"n": 10, "batch": 0}, "batch: a positive integer"),
        ({"n": 10, "level": 1.5}, r"level: a real number in \(0, 1\)"),
        ({"n": 10, "device": "nowhere"}, "device: not a torch device"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mc.estimate(exponential, **kwargs)


def test_bad_samplers():
    with pytest.raises(TypeError, match="sampler: a callable"):
        mc.estimate(3, 10)
    with pytest.raises(ValueError, match=r"sampler: must return shape \(10,\)"):
        mc.estimate(lambda n, g: torch.zeros(n, 2), 10)
    with pytest.raises(ValueError, match="sampler: returned non-finite"):
        mc.estimate(lambda n, g: torch.full((n,), math.inf), 10)
    with pytest.raises(ValueError, match="rel_width: a finite real number > 0"):
        mc.sequential(exponential, rel_width=0, budget=10)


def test_benchmark_machinery_smoke():
    # no timing assertions: only that both ways simulate the same risk and the figures exist
    import numpy as np

    from derivations.ridge import bayes_risk
    from verify.bench import montecarlo as bench

    r = bench.run(4000, 40, 2000, 8000)
    X = bench.design().numpy()
    expected = bayes_risk(np.linalg.eigvalsh(X.T @ X), bench.MU, bench.SIGMA_W2, bench.SIGMA_EPS2)
    # the per-trial cv here is about 0.15: 4000 trials give ±0.25% per standard error,
    # 40 loop trials ±2.4%; allow six standard errors each
    assert r["engine_mean"] == pytest.approx(expected, rel=6 * 0.15 / math.sqrt(4000))
    assert r["loop_mean"] == pytest.approx(expected, rel=6 * 0.15 / math.sqrt(40))
    assert r["ratio"] > 0 and 0 < r["fraction"] and r["interval"].n <= 8000
