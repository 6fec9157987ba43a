"""The guess-and-check topic: chains, the exact match probability, bounds, bad input, sizing.

Reference values come from elsewhere: counted by hand, from ``math`` directly, or from the
verify side's pair-by-pair equality test (:mod:`verify.guess_and_check.networks`), which
shares no code with :mod:`derivations.guess_and_check.equality`.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import guess_and_check as gc
from derivations.core import PROVED
from derivations.guess_and_check import equality as eq
from figures import guess_and_check as fig
from verify import claims
from verify import guess_and_check as vg
from verify.guess_and_check import networks as nw
from verify.guess_and_check.wrong import WRONG_ANSWERS


@pytest.mark.parametrize("name", sorted(gc.DERIVATIONS))
def test_every_step_is_proved(name):
    report = gc.DERIVATIONS[name]().check()
    assert all(s.status == PROVED for s in report.steps), str(report)


def brute_force(W1, w2, q, everywhere=True):
    """The share of all students equal to the teacher, pair by pair (verify's route)."""
    W1, w2 = np.array(W1), np.array(w2)
    d1, d0 = W1.shape
    W1s, w2s = nw.all_students(d0, d1, q)
    seen = {}
    hits = 0
    for a, b in zip(W1s, w2s, strict=True):
        key = nw.canonical(a, b)
        if key not in seen:
            seen[key] = nw.same_function((W1, w2), (a, b), everywhere=everywhere)
        hits += seen[key]
    return Fraction(hits, len(w2s))


# --- the exact match probability -------------------------------------------------------------
def test_match_probability_by_hand():
    # d0 = 1: sign([x]₊) is + on x > 0 and 0 on x < 0; only w1 = w2 = 1 does that
    assert gc.match_probability([[1]], [1], 3) == Fraction(1, 9)
    # the zero teacher, d0 = 2, d1 = 1: w2 = 0 (9 students) or w1 = 0 (3), one counted twice
    assert gc.match_probability([[0, 0]], [0], 3) == Fraction(11, 27)


def test_a_null_set_can_matter_and_is_handled_exactly():
    # g = -|x1 + x2|: sign -1 off the line x1 + x2 = 0, 0 on it. Everywhere: only the two
    # orders of the units (1, 1), (-1, -1) with w2 = -1. Off a null set also -|x1|, -|x2|,
    # -|x1 - x2| (each in two orders): 8 of 729.
    W1, w2 = [[-1, -1], [1, 1]], [-1, -1]
    assert gc.match_probability(W1, w2, 3) == Fraction(2, 729)
    assert gc.match_probability(W1, w2, 3, everywhere=False) == Fraction(8, 729)
    assert brute_force(W1, w2, 3) == Fraction(2, 729)
    assert brute_force(W1, w2, 3, everywhere=False) == Fraction(8, 729)


@settings(max_examples=12, deadline=None)
@given(
    shape=st.sampled_from([(1, 2, 3), (2, 1, 3), (2, 2, 3), (1, 2, 5), (2, 1, 5)]),
    data=st.data(),
    everywhere=st.booleans(),
)
def test_match_probability_agrees_with_the_pair_by_pair_test(shape, data, everywhere):
    d0, d1, q = shape
    m = (q - 1) // 2
    entry = st.integers(-m, m)
    W1 = data.draw(st.lists(st.lists(entry, min_size=d0, max_size=d0), min_size=d1, max_size=d1))
    w2 = data.draw(st.lists(entry, min_size=d1, max_size=d1))
    exact = gc.match_probability(W1, w2, q, everywhere=everywhere)
    assert exact == brute_force(W1, w2, q, everywhere)
    assert gc.match_probability(W1, w2, q, everywhere=False) >= gc.match_probability(W1, w2, q)


def test_the_hidden_units_permute():
    W1, w2 = np.array([[1, -1], [0, 1], [1, 1]]), np.array([1, -1, 1])
    for order in ([1, 2, 0], [2, 1, 0]):
        assert gc.match_probability(W1[order], w2[order], 3) == gc.match_probability(W1, w2, 3)


def test_the_unit_law_counts_every_student():
    for d0, d1, q in [(1, 8, 3), (2, 5, 3), (2, 3, 5)]:
        _, counts = eq.ray_values(d0, d1, q)
        assert int(counts.sum()) == q ** (d0 * d1 + d1)


def test_rays_are_in_angular_order_and_complete():
    for q in (3, 5, 7):
        R = eq.rays(2, q)
        angles = np.arctan2(R[:, 1], R[:, 0]) % (2 * np.pi)
        assert np.all(np.diff(angles) > 0)
        m = (q - 1) // 2
        lines = {
            (a // math.gcd(a, b), b // math.gcd(a, b))
            for a in range(0, m + 1)
            for b in range(-m, m + 1)
            if (a, b) != (0, 0) and (a > 0 or b > 0)
        }
        assert len(R) == 2 * len(lines)
    assert len(eq.rays(2, 5)) == 16  # slopes 0, ∞, ±1, ±2, ±1/2: 8 lines


def test_sixteen_parameters_at_q3_stay_cheap():
    import time

    start = time.process_time()
    p = gc.match_probability([[1]] + [[0]] * 7, [1] + [0] * 7, 3)
    assert p >= gc.lower_bound(1, 8, 1, 3)
    assert time.process_time() - start < 2.0


def test_the_lower_bound_holds_for_every_teacher_of_the_claim():
    for d0, d1, ds, q in vg.ARCHITECTURES:
        bound = gc.lower_bound(d0, d1, ds, q)
        for (W1, w2), (p_verify, copies) in zip(
            vg.teachers(d0, d1, ds, q), vg.exact_shares(d0, d1, ds, q), strict=True
        ):
            assert copies == Fraction(q ** (d0 * (d1 - ds)), q ** (d0 * d1 + d1))
            assert gc.match_probability(W1, w2, q) == p_verify >= bound


# --- the bounds ------------------------------------------------------------------------------
def test_bounds_by_hand():
    ln = math.log
    assert gc.generalization_bound(100, 2, 3, 1, 3, 0.1, 0.1) == pytest.approx(
        (5 * ln(3) + ln(10) + ln(ln(10))) / 100, rel=1e-14
    )
    assert gc.finite_class_bound(100, 2, 3, 3, 0.1) == pytest.approx(
        (9 * ln(3) + ln(10)) / 100, rel=1e-14
    )
    assert gc.lower_bound(2, 3, 1, 5) == Fraction(1, 5**5)


def test_the_saving_is_the_silenced_incoming_weights_less_the_guessing():
    N, d0, d1, ds, q, delta, eta = 40, 3, 4, 2, 5, 0.03, 0.2
    saving = gc.finite_class_bound(N, d0, d1, q, delta) - gc.generalization_bound(
        N, d0, d1, ds, q, delta, eta
    )
    assert saving == pytest.approx(
        (d0 * (d1 - ds) * math.log(q) - math.log(math.log(1 / eta))) / N, rel=1e-12
    )


def test_guesses_needed_is_the_first_n_with_tail_at_most_eta():
    for d0, d1, ds, q, eta in [(1, 2, 1, 3, 0.5), (2, 2, 1, 3, 0.05), (1, 3, 2, 5, 0.3)]:
        p = Fraction(1, q ** (d0 * ds + d1))
        n = 1
        while (1 - p) ** n > Fraction(str(eta)):
            n += 1
        assert gc.guesses_needed(d0, d1, ds, q, eta) == n


def test_the_bound_without_approximations():
    N, d0, d1, ds, q, delta, eta = 30, 2, 3, 1, 3, 0.05, 0.1
    n = gc.guesses_needed(d0, d1, ds, q, eta)
    eps = gc.rigorous_bound(N, d0, d1, ds, q, delta, eta)
    assert n * (1 - eps) ** N == pytest.approx(delta, rel=1e-12)
    # T_η from log(1/η)/p* exceeds n_η here, and (1 - ε)^N ≤ e^(-εN): Theorem 1 is looser
    assert eps < gc.generalization_bound(N, d0, d1, ds, q, delta, eta)


# --- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: gc.match_probability([[1]], [1], 4), "q"),
        (lambda: gc.lower_bound(2, 3, 1, 6), "q"),
        (lambda: gc.lower_bound(2, 3, 3, 3), "d1_star"),
        (lambda: gc.generalization_bound(10, 2, 3, 4, 3, 0.1, 0.1), "d1_star"),
        (lambda: gc.generalization_bound(10, 2, 3, 1, 3, 0.0, 0.1), "delta"),
        (lambda: gc.generalization_bound(10, 2, 3, 1, 3, 0.1, 1.0), "eta"),
        (lambda: gc.finite_class_bound(10, 2, 3, 3, 1.5), "delta"),
        (lambda: gc.match_probability([[2]], [1], 3), "W1"),
        (lambda: gc.match_probability([[1]], [-2], 3), "w2"),
        (lambda: gc.match_probability([[1, 0]], [1, 1], 3), "w2"),
        (lambda: gc.match_probability([[1, 0, 1]], [1], 3), "W1"),
        (lambda: gc.match_probability([1, 0], [1], 3), "W1"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        call()


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="^W1:"):
        gc.match_probability([[0.5]], [1], 3)
    with pytest.raises(TypeError, match="^N:"):
        gc.generalization_bound(10.0, 2, 3, 1, 3, 0.1, 0.1)


# --- the simulation and its sizing -------------------------------------------------------------
def test_guess_and_check_returns_consistent_students_only():
    guesses, outputs = vg.guess_and_check(vg.STOP, 200, np.random.default_rng(5))
    assert np.all(guesses >= 1) and np.isin(outputs, vg.consistent(vg.STOP)).all()


def test_the_stopping_claim_has_power_against_its_wrong_tails():
    # each wrong tail lies at least 10 standard errors from the true one at some T of TAILS:
    # rejected at level 1e-6 (critical value 5.3 after Bonferroni over 9) with probability
    # above 1 - 1e-6
    p = Fraction(len(vg.consistent(vg.STOP)), 729)
    runs = vg.STOP.runs
    true = {T: float((1 - p) ** math.floor(T)) for T in vg.TAILS}

    def z(wrong, T, s):
        gap = abs(float(vg.value(wrong, ("p", "T"), {"p": p, "T": T})) - s)
        if s == 1:  # every run draws at least once: any other value is refuted outright
            return math.inf if gap > 0 else 0.0
        return gap / math.sqrt(s * (1 - s) / runs)

    for label, wrong in WRONG_ANSWERS["guess_and_check.stopping_time"].items():
        best = max(z(wrong, T, s) for T, s in true.items())
        assert best > 10, (label, best)


def test_the_output_claim_has_power_against_the_law_over_functions():
    wrong = WRONG_ANSWERS["guess_and_check.output_law"][
        "uniform on the functions that fit, then on their students"
    ]
    c = len(vg.consistent(vg.STOP))
    runs = vg.STOP.runs
    z = max(abs(v - 1 / c) / math.sqrt(v * (1 - v) / runs) for v in wrong.values())
    assert z > 10, z


def test_the_tail_claim_uses_the_sample_not_the_function():
    # the two shares differ, which is what the stopping claim must tell apart
    from verify.guess_and_check.wrong import functional_share

    assert Fraction(len(vg.consistent(vg.STOP)), 729) > functional_share() > 0


def test_clopper_pearson_by_hand():
    # k = 0: the upper end solves (1 - p)^n = level/2
    lo, hi = vg.clopper_pearson(0, 50, 0.01)
    assert lo == 0 and hi == pytest.approx(1 - 0.005 ** (1 / 50), rel=1e-9)


def test_error_from_angles_matches_a_large_sample():
    t = (np.array([[1, -1], [0, 0], [0, 0]]), np.array([1, 0, 0]))
    s = (np.array([[1, 0], [0, 1], [1, 1]]), np.array([1, -1, 0]))
    X = np.random.default_rng(3).standard_normal((200_000, 2))
    sampled = np.mean(
        nw.labels(t[0].astype(float), t[1].astype(float), X)
        != nw.labels(s[0].astype(float), s[1].astype(float), X)
    )
    exact = nw.error(t, s)
    assert abs(sampled - exact) < 5 * math.sqrt(exact * (1 - exact) / len(X))
    # t = [x1 - x2]₊ is + below the diagonal, 0 above; s = [x1]₊ - [x2]₊ is - in the first
    # quadrant above the diagonal (angle π/4) and in the second (π/2), 0 in the third, where
    # t is + below the diagonal (π/4): π of 2π
    assert exact == pytest.approx(0.5, abs=1e-12)


def test_claims_are_declared_with_two_wrong_answers_each():
    ids = {c.id for c in claims.select("guess_and_check.")}
    assert ids == set(WRONG_ANSWERS)
    assert all(len(v) >= 2 for v in WRONG_ANSWERS.values())


def test_figures_build():
    import matplotlib.pyplot as plt

    assert set(fig.FIGURES) == {"guess_and_check.bounds", "guess_and_check.stopping"}
    plt.close(fig.stopping_tail(runs=300))
