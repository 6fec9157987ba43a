"""The robustness topic: derivations, the maximizers and projections, the attacks, bad input,
and the simulation's power against the wrong answers.

Reference values come from elsewhere: by hand, from NumPy's norms, from a dense grid over the
sphere, from random feasible points, from scipy.stats, from autograd written out here.
"""

import math
from statistics import NormalDist

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from derivations import robustness as rb
from derivations.core import FAILED, NUMERIC_ONLY, PROVED
from derivations.robustness import chains
from verify import claims
from verify import montecarlo as mc
from verify import robustness as vr
from verify.robustness.wrong import WRONG_ANSWERS

#: Steps SymPy cannot close (min/max cases, sign of a quotient, a power of a power); each
#: still agrees numerically at every point drawn.
NUMERIC_ONLY_OK = {
    "robustness.pixel_box",
    "robustness.mim_to_bim",
}


@pytest.mark.parametrize("name", sorted(chains.DERIVATIONS))
def test_every_derivation_holds(name):
    report = chains.DERIVATIONS[name]().check()
    assert report.counts()[FAILED] == 0, str(report)
    wanted = {PROVED, NUMERIC_ONLY} if name in NUMERIC_ONLY_OK else {PROVED}
    assert {s.status for s in report.steps} <= wanted, str(report)


def test_the_chains_end_in_the_stated_results():
    # the maximizer's value at q = 3 (r = 2), by hand for a = (1, 2, 2): ε (1 + 8 + 8)^(1/3)
    value = chains.maximizer_value().result.subs({chains.r: 2, chains.eps: sp.Rational(1, 2)})
    value = value.subs(dict(zip(chains.a, (1, 2, 2), strict=True)))
    assert sp.simplify(value - sp.Rational(1, 2) * sp.cbrt(17)) == 0
    # the robust accuracy's argument: (m − ε n_q)/(s n_2)
    m, nq, n2, s = sp.symbols("m n_q n_2 s")
    arg = chains.robust_accuracy().result.args[0]
    names = {x.name: x for x in arg.free_symbols}
    assert (
        sp.simplify(arg.subs(names["m"], 1).subs(names["epsilon"], 0) * names["s"] * names["n_2"])
        == 1
    )


# --- the maximizer -------------------------------------------------------------------------------
def _dual(p):
    return math.inf if p == 1 else (1.0 if math.isinf(p) else p / (p - 1))


@pytest.mark.parametrize("p", [1.5, 3.0, 2.0])
def test_the_maximizer_beats_a_dense_grid_of_the_sphere(p):
    g = np.array([1.3, -0.4])
    eps = 0.7
    t = np.linspace(0, 2 * np.pi, 200_001)
    sphere = np.stack([np.cos(t), np.sin(t)], 1)
    sphere = eps * sphere / np.linalg.norm(sphere, ord=p, axis=1)[:, None]
    best = sphere @ g
    delta = rb.worst_perturbation(g, eps, p)
    assert g @ delta >= best.max() - 1e-9
    assert np.allclose(delta, sphere[np.argmax(best)], atol=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    g=st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=6).filter(
        lambda v: any(abs(x) > 1e-3 for x in v)
    ),
    p=st.one_of(st.floats(1.0, 12.0), st.just(math.inf), st.just(1.0)),
    eps=st.floats(0.01, 3.0),
    seed=st.integers(0, 2**31),
)
def test_the_maximizer_is_feasible_attains_the_dual_norm_and_beats_random_points(g, p, eps, seed):
    g = np.array(g)
    delta = rb.worst_perturbation(g, eps, p)
    assert np.linalg.norm(delta, ord=p) <= eps * (1 + 1e-12)
    target = eps * np.linalg.norm(g, ord=_dual(p))
    assert math.isclose(g @ delta, target, rel_tol=1e-10, abs_tol=1e-12)
    v = np.random.default_rng(seed).standard_normal((200, g.size))
    v = eps * v / np.linalg.norm(v, ord=p, axis=1)[:, None]
    assert (v @ g).max() <= g @ delta + 1e-9


def test_ties_at_p1_share_the_budget_and_zeros_stay_at_pinf():
    g = np.array([2.0, -2.0, 1.0, 0.0])
    assert rb.worst_perturbation(g, 0.3, 1).tolist() == [0.15, -0.15, 0.0, 0.0]
    assert rb.worst_perturbation(g, 0.3, math.inf).tolist() == [0.3, -0.3, 0.3, 0.0]
    # FGM by hand: ε g/‖g‖₂ with ‖g‖₂ = 3
    assert np.allclose(rb.worst_perturbation(g, 0.3, 2), [0.2, -0.2, 0.1, 0.0])


def test_near_one_and_large_p_do_not_overflow():
    g = np.array([3.0, -1.0, 0.5])
    for p in (1.0 + 1e-9, 1e9):
        delta = rb.worst_perturbation(g, 0.2, p)
        assert np.all(np.isfinite(delta))
        top = np.abs(g).max()  # NumPy's norm overflows at such orders unless scaled
        target = 0.2 * top * np.linalg.norm(g / top, ord=_dual(p))
        assert math.isclose(g @ delta, target, rel_tol=1e-6)


def test_sam_is_the_maximizer_with_radius_rho():
    g = np.array([0.3, -1.2, 0.0, 0.5])
    assert np.allclose(rb.sam_perturbation(g, 0.05), 0.05 * g / np.linalg.norm(g))
    assert np.allclose(rb.sam_perturbation(g, 0.05, 3), rb.worst_perturbation(g, 0.05, 3))


def test_dual_exponents():
    for p in (1.5, 2.0, 3.0, 7.0):
        assert math.isclose(1 / p + 1 / rb.dual_exponent(p), 1.0)
    assert rb.dual_exponent(1) == math.inf and rb.dual_exponent(math.inf) == 1.0


# --- projections ---------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    delta=st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=6),
    eps=st.floats(0.01, 1.0),
    p=st.sampled_from([2.0, math.inf]),
    seed=st.integers(0, 2**31),
)
def test_projections_are_nearest_and_idempotent(delta, eps, p, seed):
    delta = np.array(delta)
    z = rb.project(delta, eps, p)
    assert np.linalg.norm(z, ord=p) <= eps * (1 + 1e-12)
    assert np.allclose(rb.project(z, eps, p), z)
    v = np.random.default_rng(seed).uniform(-1, 1, (300, delta.size))
    v = v * eps / np.maximum(np.linalg.norm(v, ord=p, axis=1), eps)[:, None]  # inside the ball
    assert np.linalg.norm(v - delta, axis=1).min() >= np.linalg.norm(z - delta) - 1e-12


def test_the_pixel_box_by_hand():
    x = np.array([0.0, 1.0, 0.98, 0.5])
    delta = np.array([-0.05, 0.05, 0.05, -0.05])
    assert np.allclose(rb.project(delta, 0.0313, math.inf, x=x), [0.0, 0.0, 0.02, -0.0313])
    l2 = rb.project(delta, 0.0313, 2, x=x)
    assert np.linalg.norm(l2) <= 0.0313 + 1e-15 and np.all((x + l2 >= 0) & (x + l2 <= 1))


# --- linear models -------------------------------------------------------------------------------
def test_linear_robust_accuracy_by_hand():
    w, mu, s = np.array([1.0, -2.0, 0.5]), np.array([0.4, -0.3, 0.2]), 0.7
    for p, eps in ((math.inf, 0.1), (2.0, 0.2), (1.0, 0.3), (3.0, 0.15)):
        t = (w @ mu - eps * np.linalg.norm(w, ord=_dual(p))) / (s * np.linalg.norm(w))
        assert math.isclose(rb.linear_robust_accuracy(w, mu, s, eps, p), norm.cdf(t), rel_tol=1e-12)
    clean = norm.cdf(w @ mu / (s * np.linalg.norm(w)))
    assert math.isclose(rb.linear_robust_accuracy(w, mu, s, 0.0, 2), clean, rel_tol=1e-12)


def test_linear_margin_is_attained_by_the_attack():
    w, x, b = np.array([0.8, -1.5, 0.0]), np.array([0.2, 0.1, 0.3]), -0.05
    for y in (1, -1):
        for p in (math.inf, 2.0, 1.5):
            delta = -y * rb.worst_perturbation(w, 0.1, p)
            assert math.isclose(
                y * (w @ (x + delta) + b), rb.linear_margin(w, x, y, b, 0.1, p), rel_tol=1e-12
            )


# --- attacks on torch models ---------------------------------------------------------------------
def _model():
    torch.manual_seed(3)
    return torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3)
    ).double()


def _batch():
    gen = torch.Generator().manual_seed(5)
    x = torch.rand(4, 5, generator=gen, dtype=torch.float64)
    x[:, 0] = 1.0
    return x, torch.tensor([0, 2, 1, 2])


def test_fgsm_by_hand_on_a_linear_model():
    model = torch.nn.Linear(2, 2, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[2.0, 0.0], [0.0, 1.0]]))
    x = torch.tensor([[0.3, 0.99]], dtype=torch.float64)
    # logits (0.6, 0.99); for label 1 the input gradient is W1ᵀ(p − e₁): sign (+, −)
    out = rb.fgsm(model, x, torch.tensor([1]), 0.0313)
    assert torch.allclose(out, torch.tensor([[0.3313, 0.9587]], dtype=torch.float64))


def test_pgd_stays_in_its_ball_with_a_random_start_and_at_p2():
    model, (x, y) = _model(), _batch()
    gen = torch.Generator().manual_seed(0)
    for p in (math.inf, 2.0):
        out = rb.pgd(model, x, y, p=p, random_start=True, generator=gen)
        size = (out - x).flatten(1).norm(p=p, dim=1)
        assert bool((size <= rb.EPSILON * (1 + 1e-12)).all())
        assert bool((out >= 0).all() and (out <= 1).all())


def test_mim_at_mu_zero_is_pgd_and_pgd_never_loses_to_the_clean_loss():
    model, (x, y) = _model(), _batch()
    assert torch.equal(rb.mim(model, x, y, mu=0.0), rb.pgd(model, x, y))
    loss = torch.nn.functional.cross_entropy
    x_adv = rb.pgd(model, x, y)
    with torch.no_grad():
        assert float(loss(model(x_adv), y)) > float(loss(model(x), y))


def test_the_normalization_pitfall_halves_the_loss_gain_of_a_linear_model():
    # a linear score: the loss gain of an L∞ attack is about ε‖∇‖₁, so half ε is about half
    model, x, y = vr.linear_model()
    loss = torch.nn.functional.cross_entropy
    full_x = rb.fgsm(model, x, y, clip=None)
    half_x = rb.fgsm(model, x, y, rb.pixel_budget(rb.EPSILON), clip=None)
    with torch.no_grad():
        base = float(loss(model(x), y))
        full = float(loss(model(full_x), y)) - base
        half = float(loss(model(half_x), y)) - base
    assert 0.45 < half / full < 0.55


# --- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: rb.worst_perturbation([1.0, 2.0], 0.1, 0.5), ValueError, "p: a real number >= 1"),
        (lambda: rb.worst_perturbation([1.0, 2.0], 0.1, float("nan")), ValueError, "p:"),
        (lambda: rb.worst_perturbation([1.0, 2.0], 0.1, True), TypeError, "p:"),
        (lambda: rb.worst_perturbation([1.0, 2.0], -0.1, 2), ValueError, "eps:"),
        (lambda: rb.worst_perturbation([0.0, 0.0], 0.1, math.inf), ValueError, "not unique"),
        (lambda: rb.worst_perturbation([], 0.1, 2), ValueError, "g:"),
        (lambda: rb.sam_perturbation([0.0], 0.1), ValueError, "not unique"),
        (lambda: rb.sam_perturbation([1.0], -1.0), ValueError, "rho:"),
        (lambda: rb.project([0.1], 0.1, 3), ValueError, "p: 2 or math.inf"),
        (lambda: rb.project([0.1, 0.2], 0.1, 2, x=[0.5]), ValueError, "delta of shape (2,) and x"),
        (lambda: rb.project([0.1], 0.1, 2, x=[1.5]), ValueError, "x: pixel values in [0, 1]"),
        (
            lambda: rb.linear_robust_accuracy([1.0, 2.0], [1.0], 0.5, 0.1, 2),
            ValueError,
            "w of shape",
        ),
        (lambda: rb.linear_robust_accuracy([1.0], [1.0], 0.0, 0.1, 2), ValueError, "s:"),
        (lambda: rb.linear_robust_accuracy([1.0], [1.0], 0.5, 0.1, 0.9), ValueError, "p:"),
        (lambda: rb.linear_margin([1.0], [1.0], 0, 0.0, 0.1, 2), ValueError, "y:"),
        (
            lambda: rb.fgsm(_model(), _batch()[0], torch.tensor([0, 1])),
            ValueError,
            "y: one label per example",
        ),
        (
            lambda: rb.fgsm(_model(), _batch()[0] * 2, _batch()[1]),
            ValueError,
            "x: pixel values in [0, 1]",
        ),
        (
            lambda: rb.fgsm(_model(), [[0.5] * 5], _batch()[1]),
            TypeError,
            "x: a floating-point torch tensor",
        ),
        (lambda: rb.pgd(_model(), *_batch(), p=3), ValueError, "p: 2 or math.inf"),
        (lambda: rb.pgd(_model(), *_batch(), steps=-1), ValueError, "steps:"),
        (lambda: rb.mim(_model(), *_batch(), mu=-0.5), ValueError, "mu:"),
    ],
)
def test_bad_input_is_refused_by_name(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


# --- the simulation: size and power --------------------------------------------------------------
Z_DETECT = mc.critical_z(1e-6) + NormalDist().inv_cdf(1 - 1e-6)


@pytest.mark.parametrize("name", sorted(vr.ACCURACY_SETTINGS))
def test_the_simulation_detects_a_one_percent_error_and_every_wrong_answer(name):
    point = vr.accuracy_point(name)
    p, eps = vr.ACCURACY_SETTINGS[name]
    # the accuracy from scipy, not from the derivation's own function
    truth = norm.cdf((point["m"] - eps * point["nq"]) / (point["s"] * point["n2"]))
    cv = math.sqrt((1 - truth) / truth)
    assert vr.ACCURACY_DRAWS >= mc.required_draws(cv), (name, mc.required_draws(cv))
    se = math.sqrt(truth * (1 - truth) / vr.ACCURACY_DRAWS)
    names = sp.symbols(vr.ACCURACY_VARIABLES)
    for label, wrong in WRONG_ANSWERS[f"robustness.linear_accuracy.{name}"].items():
        value = float(wrong.subs({n: point[n.name] for n in names}))
        assert abs(value - truth) / se >= Z_DETECT, (name, label, abs(value - truth) / se)


def test_every_claim_passes_at_seed_zero():
    evidence = claims.run("robustness.")
    assert len(evidence) == len(claims.select("robustness.")) >= 15
    assert all(e.passed for e in evidence), [e.summary() for e in evidence if not e.passed]
